"""Fixtures: a sandbox market (real TrancheToken, Compliance and TrancheMarket on a
stand-in deal), one per module, one anchor per test."""

from __future__ import annotations

from collections.abc import Iterator

import boa
import pytest

from trancheflow.market.sandbox import UNIT, MarketSandbox


@pytest.fixture(scope="module")
def sandbox_module() -> MarketSandbox:
    sb = MarketSandbox(1_000_000 * UNIT, amp=20, fee_bps=10, twap_window=3_600)
    sb.lp = str(boa.env.generate_address("lp"))  # type: ignore[attr-defined]
    sb.trader = str(boa.env.generate_address("trader"))  # type: ignore[attr-defined]
    for who in (sb.lp, sb.trader):  # type: ignore[attr-defined]
        sb.admit(who)
        sb.fund(who, tokens=200_000 * UNIT, cash=400_000 * UNIT)
    return sb


@pytest.fixture
def sb(sandbox_module: MarketSandbox) -> Iterator[MarketSandbox]:
    with boa.env.anchor():
        yield sandbox_module

"""MarketClient and ``trancheflow market`` against a sandbox pool on a BoaBackend chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boa
import pytest
from typer.testing import CliRunner

from trancheflow.chain.backends.boa_backend import BoaBackend
from trancheflow.cli import market as market_cli
from trancheflow.errors import MarketError
from trancheflow.market.client import MarketClient
from trancheflow.market.sandbox import UNIT, MarketSandbox


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[BoaBackend, MarketSandbox]]:
    backend = BoaBackend()
    with boa.swap_env(backend.env):
        sb = MarketSandbox(1_000_000 * UNIT)
        me = backend.accounts[0]
        sb.admit(me)
        sb.fund(me, tokens=300_000 * UNIT, cash=500_000 * UNIT)
    yield backend, sb


def test_client_seeds_quotes_swaps_exactly(chain: tuple[BoaBackend, MarketSandbox]) -> None:
    backend, sb = chain
    mc = MarketClient(backend, sb.pool.address)
    mc.add(0, 100_000 * UNIT, 98_000 * UNIT)
    st = mc.status()
    assert (st.tokens, st.cash, st.spot_per_100) == (100_000 * UNIT, 98_000 * UNIT, 98.0)
    # a period the pool has not synced yet: the quote includes the pending sync
    with boa.swap_env(backend.env):
        sb.period(800_000 * UNIT, 210_000 * UNIT)
    q = mc.quote("sell", 5_000 * UNIT)
    with boa.swap_env(backend.env):
        c0 = int(sb.usdc.balanceOf(backend.accounts[0]))
    assert mc.swap("sell", 5_000 * UNIT) == q
    with boa.swap_env(backend.env):
        assert int(sb.usdc.balanceOf(backend.accounts[0])) - c0 == q
    # principal paid: no price jump; the 5% sale moves the price by under 1
    # (depth about 10x a constant product: half the seed in an amp-20 core)
    assert abs(mc.status().spot_per_100 - 98.0) < 1.0
    with pytest.raises(MarketError, match="side 'hold'"):
        mc.quote("hold", 1)


def test_cli_status_quote_and_bad_input(
    chain: tuple[BoaBackend, MarketSandbox], monkeypatch: Any
) -> None:
    backend, sb = chain
    monkeypatch.setattr(market_cli, "_backend", lambda *a: backend)
    runner = CliRunner()
    r = runner.invoke(market_cli.app, ["status", "--pool", sb.pool.address])
    assert r.exit_code == 0, r.output
    assert "spot price" in r.output and "TWAP" in r.output
    r = runner.invoke(market_cli.app, ["quote", "buy", "1,000", "--pool", sb.pool.address])
    assert r.exit_code == 0 and "tokens out" in r.output
    r = runner.invoke(market_cli.app, ["status", "--pool", sb.pool.address, "--spec", "x.yaml"])
    assert isinstance(r.exception, MarketError)
    assert "--spec, --tranche and --curve" in str(r.exception)
    with pytest.raises(MarketError, match="not a TrancheMarket"):
        MarketClient(backend, sb.usdc.address)

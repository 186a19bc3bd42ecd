"""``trancheflow market status``: depth, spot, TWAP and fair value side by side with
rich/cheap, as a table and as JSON equal to the client's status; bad input exits 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boa
import pytest
from typer.testing import CliRunner

from trancheflow.chain.backends.boa_backend import BoaBackend
from trancheflow.cli import app as cli
from trancheflow.cli import market as market_cli
from trancheflow.market.client import MarketClient
from trancheflow.market.sandbox import UNIT, MarketSandbox


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[BoaBackend, str]]:
    backend = BoaBackend()
    with boa.swap_env(backend.env):
        sb = MarketSandbox(1_000_000 * UNIT)
        me = backend.accounts[0]
        sb.admit(me)
        sb.fund(me, tokens=300_000 * UNIT, cash=500_000 * UNIT)
    MarketClient(backend, sb.pool.address).add(0, 100_000 * UNIT, 97_000 * UNIT)
    yield backend, sb.pool.address


def _run(args: list[str], backend: BoaBackend, monkeypatch: Any) -> Any:
    monkeypatch.setattr(market_cli, "_backend", lambda *a: backend)
    return CliRunner().invoke(cli, ["market", "status", *args])


def test_json_is_the_clients_status_with_rich_cheap(pool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    backend, address = pool
    r = _run(["--pool", address, "--fair", "96.5", "--format", "json"], backend, monkeypatch)
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    st = MarketClient(backend, address).status()
    assert got["spot_per_100"] == st.spot_per_100 and got["twap_per_100"] == st.twap_per_100
    assert got["depth_bid_units"] == st.cash
    assert got["depth_ask_units"] == int(st.current_face * st.spot_per_100 / 100)
    assert got["rich_cheap_bp"] == pytest.approx((st.spot_per_100 - 96.5) / 96.5 * 1e4)
    assert got["rich_cheap_bp"] > 0  # seeded at 97, fair 96.5: the pool is rich


def test_table_shows_the_figures_side_by_side(pool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    backend, address = pool
    r = _run(["--pool", address, "--fair", "98"], backend, monkeypatch)
    assert r.exit_code == 0, r.output
    for word in ("bid depth", "ask depth", "pool spot", "TWAP", "fair value", "cheap", "97.0000"):
        assert word in r.output, word
    r = _run(["--pool", address], backend, monkeypatch)
    assert r.exit_code == 0 and "fair value" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fair", "-3"], "--fair -3"),
        (["--fair", "97", "--spec", "x.yaml"], "either --fair"),
        (["--spec", "x.yaml"], "--spec, --tranche and --curve"),
        (["--format", "xml"], "--format 'xml'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(pool, monkeypatch, args, message) -> None:  # type: ignore[no-untyped-def]
    backend, address = pool
    r = _run(["--pool", address, *args], backend, monkeypatch)
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_not_a_pool_exits_2(pool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    backend, _ = pool
    r = _run(["--pool", backend.accounts[3]], backend, monkeypatch)
    assert r.exit_code == 2 and "not a TrancheMarket" in r.output

"""The demo's market step on a small deal (200 loans x 8 months): pools are seeded,
investors and the arbitrageur trade through them, the figures are stored, the
audit still passes and every pool is consistent with the chain."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from rich.console import Console

from trancheflow.market.agents import PoolDesk, pool_constructor_args, size_to_price, target_trade
from trancheflow.market.fair_path import fair_value_path
from trancheflow.ops import demo_market
from trancheflow.ops.demo import run_demo
from trancheflow.ops.metrics import read_metrics

MONTHS = 8


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, demo_market.MarketStep]:
    out = tmp_path_factory.mktemp("demo-market")
    hooks: list[demo_market.MarketStep] = []
    orig = demo_market.make_hook

    def keep(out_dir: Path, console: Console) -> demo_market.MarketStep:
        hooks.append(orig(out_dir, console))
        return hooks[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(demo_market, "make_hook", keep)
    try:
        result = run_demo(out, loans=200, seed=3, months=MONTHS, investors=4, extras=("market",))
    finally:
        mp.undo()
    return result, hooks[0]


def test_trades_happened_and_the_audit_passes(run: tuple[Any, demo_market.MarketStep]) -> None:
    result, step = run
    assert result.audit_ok, result.audit_summary
    assert step.ok and result.extras == {"market": True}, step.problems
    assert sorted(step.desks) == ["A1", "M"]
    for desk in step.desks.values():
        figs = desk.figures
        assert sorted(figs) == list(range(1, MONTHS + 1))
        assert sum(f.swaps for f in figs.values()) >= MONTHS  # investors and the arbitrageur
        assert sum(f.volume for f in figs.values()) > 0
        assert desk.lp_received > 0  # the pool claimed distributions and paid them to its LP
    page = result.report_path.read_text()
    assert "Secondary market" in page and 'data-chart="market-A1"' in page
    assert (result.out_dir / "market_A1.svg").is_file()


def test_metrics_stored_match_the_pool_figures(run: tuple[Any, demo_market.MarketStep]) -> None:
    result, step = run
    stored = read_metrics(result.db_url, "DEMO-2026-1", "market")
    setup = {m.key: m.payload for m in stored if m.period == 0}
    assert sorted(setup) == ["A1", "M"]
    for name, desk in step.desks.items():
        assert setup[name]["pool"] == desk.market.pool
        rows = [m for m in stored if m.key == name and m.period > 0]
        assert [m.period for m in rows] == list(range(1, MONTHS + 1))
        for m in rows:
            f = desk.figures[m.period]
            p = m.payload
            assert p["price"] == round(f.price, 6) and p["fair"] == round(f.fair, 6)
            assert p["rich_cheap_bp"] == pytest.approx(
                (p["price"] - p["fair"]) / p["fair"] * 1e4, abs=1e-2
            )
            assert p["depth_bid"] > 0 and p["depth_ask"] > 0
            # the arbitrageur leaves the pool within its band (15 bp) plus the fee's width
            assert abs(p["rich_cheap_bp"]) <= 25
        # the LP of a pool that follows the model is close to holding its seed
        assert abs(rows[-1].payload["lp_vs_hold_pct"]) < 0.5


def test_pools_consistent_with_the_chain(run: tuple[Any, demo_market.MarketStep]) -> None:
    _, step = run
    for desk in step.desks.values():
        m = desk.market
        st = m.status()
        # the pool's own view of the tranche equals the deal's
        assert st.factor == pytest.approx(m.balance() / m.face, abs=1e-12)
        assert st.pending_distribution == 0  # synced at the end: nothing stranded at the token
        held = int(m.backend.call("TrancheToken", m.token, "balanceOf", [m.pool]))
        assert held >= st.tokens
        # every quote is what the contract pays (the mirror's exact math)
        q = m.quote("sell", 1_000 * 10**6)
        assert 0 < q < 1_000 * 10**6


def test_model_value_at_closing_is_the_monte_carlo_price(
    run: tuple[Any, demo_market.MarketStep],
) -> None:
    _, step = run
    for fp in step.fair.values():
        # the deterministic roll-forward at the closing Z-spread reprices the MC price
        assert fp.at(0) == pytest.approx(fp.mc_price, abs=0.02)
        assert 50 < fp.mc_price < 120 and fp.mc_se < 1


def test_bad_inputs_are_clear_errors(run: tuple[Any, demo_market.MarketStep]) -> None:
    from trancheflow.errors import MarketError

    result, step = run
    spec = step.desks["A1"]  # a desk to reuse its client
    with pytest.raises(MarketError, match="not a debt tranche"):
        fair_value_path(_spec_of(result), ["Z9"])
    with pytest.raises(MarketError, match="paths=1"):
        fair_value_path(_spec_of(result), ["A1"], paths=1)
    with pytest.raises(MarketError, match="side 'hold'"):
        spec.market.quote("hold", 1)


def _spec_of(result: Any) -> Any:
    import pandas as pd

    from trancheflow.ops.demo import DEMO_SPEC, _spec_for_tape

    tape = pd.read_parquet(result.tape_path)
    return _spec_for_tape(DEMO_SPEC, result.tape_path, float(tape["current_balance"].sum()), [])


def test_arbitrage_sizing_moves_the_mirror_to_the_target(
    run: tuple[Any, demo_market.MarketStep],
) -> None:
    _, step = run
    desk: PoolDesk = step.desks["A1"]
    m = desk.market.mirror()
    spot = m.spot_price() / 10**18
    for side, target in (("buy", spot * 1.004), ("sell", spot * 0.996)):
        cap = m.cash // 2 if side == "buy" else m.tokens // 2
        now = desk.market.now()
        x = size_to_price(m, side, target, cap, now)
        assert 0 < x < cap
        c = copy.deepcopy(m)
        if side == "buy":
            c.buy(x, 0, now)
        else:
            c.sell(x, 0, now)
        after = c.spot_price() / 10**18
        # within one bisection step of the target, on the right side of it
        assert (after <= target) if side == "buy" else (after >= target)
        assert abs(after - target) / target < 2e-4
    assert target_trade(spot, spot * 1.01, 15) == "buy"
    assert target_trade(spot, spot * 0.99, 15) == "sell"
    assert target_trade(spot, spot, 15) is None


def test_constructor_args_follow_the_abi() -> None:
    args = pool_constructor_args("0x" + "11" * 20, "0x" + "22" * 20, amp=7)
    assert args[:2] == ["0x" + "11" * 20, "0x" + "22" * 20] and 7 in args
    assert all(isinstance(a, int) for a in args[2:])


def test_a_failing_step_never_stops_the_deal(tmp_path: Path) -> None:
    step = demo_market.MarketStep(tmp_path, Console(quiet=True))

    class Broken:  # a desk whose every trade fails
        figures: ClassVar[dict[int, Any]] = {}

    step.desks = {"A1": Broken()}

    class Ctx:
        period = 1
        handle = None
        client = None

    step.on_period(Ctx())  # type: ignore[arg-type]
    assert not step.ok and step.problems and "period 1" in step.problems[0]
    assert any("market:" in line for line in step.summary_lines())
    np.testing.assert_equal(len(step.report_sections()), 1)

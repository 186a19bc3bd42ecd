"""Auction proceeds enter the deal's waterfall as recoveries at finalize.

docs/waterfall.md, "Liquidation (auction) proceeds": recoveries = reported
recoveries + proceeds taken at finalize, up to the pool room
``P0 - scheduled - prepayments - recoveries - losses``; the rest is carried
to the next period, held by the deal. The submission bounds check includes
the proceeds known then. Each period is compared with the exact waterfall
fed the larger recoveries (``ParityRun`` computes the applied amount
independently of the contract).
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from trancheflow.deal.exact import PeriodInput

from ..conftest import UNIT, WINDOW, ParityRun, World
from .conftest import LiqEnv


def _inp(**kw: int) -> PeriodInput:
    base = {
        "interest": 5_000 * UNIT,
        "scheduled_principal": 1_000 * UNIT,
        "prepayments": 3_000 * UNIT,
        "recoveries": 0,
        "losses": 0,
        "delinquent_60_plus": 10_000 * UNIT,
    }
    base.update(kw)
    return PeriodInput(**base)


class Env:
    def __init__(self) -> None:
        holder: dict[str, ParityRun] = {}

        def first(w: World, root: bytes) -> None:
            holder["run"] = ParityRun(w)
            holder["run"].period(_inp(), loans_root=root)

        self.e = LiqEnv(first_period=first)
        self.run = holder["run"]
        self.run.liquidation = self.e.liq
        with boa.env.prank(self.e.w.owner):
            self.e.w.deal.set_liquidation(self.e.liq.address)

    def sell(self, name: str) -> int:
        self.e.value(name)
        self.e.mark(name)
        lid = self.e.ids[name]
        with boa.env.prank(self.e.buyer):
            self.e.liq.bid(lid, 2**255)
        a = self.e.liq.auctions(lid)
        return int(a.proceeds - a.surplus)  # the deal's share: at most the note balance


@pytest.fixture()
def env() -> Env:
    return Env()


def test_proceeds_become_recoveries(env: Env) -> None:
    w, liq = env.e.w, env.e.liq
    assert w.deal.liquidation() == liq.address
    price = env.sell("L1")
    pool = w.deal.pool_balance()
    r = env.run.period(_inp(losses=20_000 * UNIT))
    ev = env.run.events[-1]
    assert ev.auction_proceeds == price and liq.recoveries_held() == 0
    assert pool - w.deal.pool_balance() == 1_000 * UNIT + 3_000 * UNIT + 20_000 * UNIT + price
    assert r.cash_in == 9_000 * UNIT + price
    env.run.check_solvency()


def test_no_proceeds_no_change(env: Env) -> None:
    r = env.run.period(_inp())
    assert r.cash_in == 9_000 * UNIT
    env.run.check_solvency()


def test_submission_bound_includes_held_proceeds(env: Env) -> None:
    w = env.e.w
    price = env.sell("L1")
    pool = w.deal.pool_balance()
    rep = w.report(scheduled_principal=0, prepayments=0, losses=pool - price + 1)
    with boa.reverts("deal: auction proceeds exceed pool balance"):
        w.submit(rep)
    env.run.period(_inp(scheduled_principal=0, prepayments=0, losses=pool - price))
    assert w.deal.pool_balance() == 0
    env.run.check_solvency()


def test_bid_during_dispute_window_beyond_room_is_carried(env: Env) -> None:
    w, e = env.e.w, env.e
    pool = w.deal.pool_balance()
    room = 50_000 * UNIT
    inp = _inp(scheduled_principal=0, prepayments=0, losses=pool - room)
    # the bid lands after submission (the bound saw nothing held) and exceeds the room
    orig_submit = w.submit

    def submit_then_bid(report: Any, sigs: Any = None, sender: Any = None) -> None:
        orig_submit(report, sigs, sender)
        env.sell("L1")

    w.submit = submit_then_bid  # type: ignore[method-assign]
    r = env.run.period(inp)
    w.submit = orig_submit  # type: ignore[method-assign]
    a = e.liq.auctions(e.ids["L1"])
    price = a.proceeds - a.surplus  # capped at the note balance
    assert price > room
    assert r.state.pool_balance == 0
    assert w.deal.auction_proceeds_carried() == price - room
    env.run.check_solvency()
    # with the pool at 0 there is never room again: the carry stays held by the
    # deal (counted in solvency), and a report without principal or losses is
    # still accepted, so proceeds can never block the deal
    env.run.period(_inp(scheduled_principal=0, prepayments=0, interest=10 * UNIT))
    assert w.deal.auction_proceeds_carried() == price - room
    env.run.check_solvency()


def test_detached_liquidation_is_not_taken(env: Env) -> None:
    w = env.e.w
    with boa.env.prank(w.owner):
        w.deal.set_liquidation("0x" + "00" * 20)
    env.run.liquidation = None
    price = env.sell("L1")
    env.run.period(_inp())
    assert env.e.liq.recoveries_held() == price


def test_liquidation_detached_while_pending_is_not_taken(env: Env) -> None:
    """Issue 10 escape hatch: governance may detach the liquidation contract while a
    report is pending; the report still finalizes and nothing held is taken."""
    w, liq = env.e.w, env.e.liq
    held = env.sell("L1")
    r = w.report()
    w.submit(r)
    with boa.env.prank(w.owner):
        w.deal.set_liquidation("0x" + "00" * 20)
    boa.env.time_travel(seconds=WINDOW)
    w.finalize(r)
    assert liq.recoveries_held() == held

"""Marking (90+ delinquent or LTV over threshold, proven against the deal's root), the
descending-price auction with compliance-checked buyers, expiry and recoveries."""

from __future__ import annotations

import boa
import pytest

from ..conftest import UNIT
from .conftest import DURATION, FLOOR_BPS, LAG, LOANS, LiqEnv


def _events(env: LiqEnv, name: str) -> list:
    return [e for e in env.liq.get_logs() if type(e).__name__ == name]


@pytest.mark.parametrize("name", ["L1", "L2"])
def test_mark_liquidatable(env: LiqEnv, name: str) -> None:
    env.value(name)
    env.mark(name)
    ev = _events(env, "LoanMarked")[-1]
    balance, days, house = LOANS[name]
    assert (ev.keeper, ev.balance, ev.days_delinquent) == (env.keeper, balance * UNIT, days)
    assert ev.ltv == balance * 10**9 // house
    a = env.liq.auctions(env.ids[name])
    assert (a.status, a.start_price) == (1, house * UNIT)
    assert a.floor_price == house * UNIT * FLOOR_BPS // 10_000


def test_current_and_low_ltv_not_liquidatable(env: LiqEnv) -> None:
    env.value("L3")
    with boa.reverts("liquidation: loan not liquidatable"):
        env.mark("L3")


def test_mark_needs_proof_value_and_is_once(env: LiqEnv) -> None:
    with boa.reverts("liquidation: no property value"):
        env.mark("L1")
    env.value("L1")
    with boa.reverts("liquidation: loan data not proven"):
        env.mark("L3", days=120)  # claims a delinquency the servicer did not report
    env.mark("L1")
    with boa.reverts("liquidation: loan already marked"):
        env.mark("L1")


def test_price_descends_linearly_to_floor(env: LiqEnv) -> None:
    env.value("L1")
    env.mark("L1")
    start = 250_000 * UNIT
    floor = start * FLOOR_BPS // 10_000
    lid = env.ids["L1"]
    assert env.liq.price(lid) == start
    boa.env.time_travel(seconds=DURATION // 3)
    assert env.liq.price(lid) == start - (start - floor) * (DURATION // 3) // DURATION
    boa.env.time_travel(seconds=DURATION)
    assert env.liq.price(lid) == floor


def test_eligible_buyer_pays_current_price(env: LiqEnv) -> None:
    env.value("L1")
    env.mark("L1")
    lid = env.ids["L1"]
    boa.env.time_travel(seconds=DURATION // 2)
    p = env.liq.price(lid)
    with boa.env.prank(env.retail), boa.reverts("liquidation: buyer not eligible"):
        env.liq.bid(lid, p)
    with boa.env.prank(env.buyer), boa.reverts("liquidation: price above max_price"):
        env.liq.bid(lid, p - 1)
    before = env.w.usdc.balanceOf(env.buyer)
    with boa.env.prank(env.buyer):
        assert env.liq.bid(lid, p) == p
    assert before - env.w.usdc.balanceOf(env.buyer) == p
    assert env.liq.recoveries_held() == p
    a = env.liq.auctions(lid)
    assert (a.status, a.buyer, a.proceeds) == (2, env.buyer, p)
    with boa.env.prank(env.buyer), boa.reverts("liquidation: no live auction"):
        env.liq.bid(lid, p)
    # proceeds go to the deal only, for the next period's waterfall
    with boa.env.prank(env.buyer), boa.reverts("liquidation: caller is not the deal"):
        env.liq.take_recoveries()
    deal_before = env.w.usdc.balanceOf(env.w.deal.address)
    with boa.env.prank(env.w.deal.address):
        assert env.liq.take_recoveries() == p
    assert env.w.usdc.balanceOf(env.w.deal.address) - deal_before == p
    assert env.liq.recoveries_held() == 0


def test_donation_is_not_a_recovery(env: LiqEnv) -> None:
    env.w.usdc.mint(env.liq.address, 10 * UNIT)
    with boa.env.prank(env.w.deal.address):
        assert env.liq.take_recoveries() == 0


def test_unsold_falls_back_to_servicer(env: LiqEnv) -> None:
    env.value("L2")
    env.mark("L2")
    lid = env.ids["L2"]
    with boa.reverts("liquidation: auction still running"):
        env.liq.expire(lid)
    boa.env.time_travel(seconds=DURATION)
    with boa.env.prank(env.buyer), boa.reverts("liquidation: auction ended"):
        env.liq.bid(lid, 2**256 - 1)
    env.liq.expire(lid)
    ev = _events(env, "AuctionExpired")[-1]
    assert ev.servicer_recovery_after == boa.env.evm.patch.timestamp + LAG
    assert env.liq.auctions(lid).status == 3
    assert env.liq.price(lid) == 0

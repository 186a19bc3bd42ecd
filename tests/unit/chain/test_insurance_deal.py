"""The deal's first-loss fund: premium (step 3b) and cover (step 5) against exact mode.

docs/waterfall.md: ``premium = min(mdiv(P0, premium_rate), IA)`` after
tranche interest, paid to the fund; ``cover = min(max(0, S - PA - turbo -
P1), insurance_available)`` paid in by the fund, so a loss is absorbed by
excess interest, then the fund, then written down junior first. Every
period is compared with ``trancheflow.deal.exact`` (``ParityRun``), with
``insurance_available`` read from the fund at finalize time.
"""

from __future__ import annotations

from dataclasses import replace

import boa
import pytest

from trancheflow.deal.exact import PeriodInput, mdiv

from .conftest import (
    COVER_CAP,
    PREMIUM_RATE,
    UNIT,
    ParityRun,
    World,
    make_insured_world,
    make_world,
    underwrite,
)


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


@pytest.fixture()
def insured() -> tuple[World, object]:
    return make_insured_world(triggers=(), principal_rule=0)


def test_premium_is_paid_into_the_fund(insured: tuple[World, object]) -> None:
    w, fund = insured
    uw = w.roles["alice"]
    underwrite(w, fund, uw, 100_000 * UNIT)
    run = ParityRun(w, fund=fund)
    p0 = w.deal.pool_balance()
    before = fund.totalAssets()
    r = run.period(_inp(interest=6_000 * UNIT))
    assert r.insurance_premium == mdiv(p0, PREMIUM_RATE) > 0
    assert fund.totalAssets() - before == r.insurance_premium
    assert w.usdc.balanceOf(fund.address) == fund.totalAssets()
    # the share price rose: the same shares redeem for more than was deposited
    assert fund.convertToAssets(fund.balanceOf(uw)) > 100_000 * UNIT - 1
    run.check_solvency()


def test_premium_limited_by_interest_left_and_not_carried(
    insured: tuple[World, object],
) -> None:
    w, fund = insured
    run = ParityRun(w, fund=fund)
    r = run.period(_inp(interest=3_000 * UNIT))  # less than fees + coupons
    assert r.insurance_premium == 0
    run.period(_inp(interest=7_000 * UNIT))  # pays the carried interest shortfall
    r = run.period(_inp(interest=6_000 * UNIT))
    assert r.insurance_premium == mdiv(r.pool_beginning, PREMIUM_RATE)  # no arrears
    run.check_solvency()


def test_cover_absorbs_losses_before_the_junior_is_written_down(
    insured: tuple[World, object],
) -> None:
    w, fund = insured
    underwrite(w, fund, w.roles["alice"], 30_000 * UNIT)
    bare = make_world(triggers=(), principal_rule=0)
    run, ref = ParityRun(w, fund=fund), ParityRun(bare)
    run.period(_inp())
    ref.period(_inp())
    assets = fund.totalAssets()
    loss = _inp(interest=5_000 * UNIT, losses=100_000 * UNIT)  # 50k OC, then the fund
    r, r0 = run.period(loss), ref.period(loss)
    assert r.insurance_cover == assets  # the fund is exhausted (assets < cap)
    assert fund.totalAssets() == r.insurance_premium  # exhausted, then this period's premium
    wd, wd0 = sum(t.writedown for t in r.tranches), sum(t.writedown for t in r0.tranches)
    # every unit of cover saves a unit of writedown, less the turbo the premium took
    assert wd0 - wd == r.insurance_cover - (r0.turbo - r.turbo)
    assert r0.turbo - r.turbo == r.insurance_premium
    assert r.tranches[0].writedown == r.tranches[1].writedown == 0  # junior first
    run.check_solvency()


def test_cover_capped_per_period(insured: tuple[World, object]) -> None:
    w, fund = insured
    underwrite(w, fund, w.roles["alice"], 500_000 * UNIT)
    run = ParityRun(w, fund=fund)
    r = run.period(_inp(losses=100_000 * UNIT))
    assert r.insurance_cover == COVER_CAP
    r = run.period(_inp(losses=100_000 * UNIT))  # a new period, a new cap
    assert r.insurance_cover == COVER_CAP
    run.check_solvency()


def test_no_cover_without_a_loss_gap(insured: tuple[World, object]) -> None:
    w, fund = insured
    underwrite(w, fund, w.roles["alice"], 100_000 * UNIT)
    run = ParityRun(w, fund=fund)
    # a loss the 50k overcollateralization absorbs: the fund pays nothing
    r = run.period(_inp(losses=40_000 * UNIT))
    assert r.insurance_cover == 0 and fund.totalAssets() > 100_000 * UNIT
    assert not any(t.writedown for t in r.tranches)


def test_withdrawals_blocked_while_a_reported_loss_is_pending(
    insured: tuple[World, object],
) -> None:
    w, fund = insured
    uw = w.roles["alice"]
    shares = underwrite(w, fund, uw, 10_000 * UNIT)
    with boa.env.prank(uw):
        fund.request_redeem(shares)
    boa.env.time_travel(seconds=int(fund.COOLDOWN()))
    r = w.report(losses=5_000 * UNIT)
    w.submit(r)
    assert w.deal.loss_pending() and fund.maxRedeem(uw) == 0
    with boa.env.prank(uw), boa.reverts("fund: loss pending, withdrawals blocked"):
        fund.redeem(shares, uw, uw)
    w.finalize(r)
    with boa.env.prank(uw):
        assert fund.redeem(fund.maxRedeem(uw), uw, uw) > 0


def test_scripted_months_with_deposits_and_exits_match_exact(
    insured: tuple[World, object],
) -> None:
    w, fund = insured
    a, b = w.roles["alice"], w.roles["bob"]
    run = ParityRun(w, fund=fund)
    underwrite(w, fund, a, 25_000 * UNIT)
    run.period(_inp())
    run.period(_inp(losses=20_000 * UNIT))
    underwrite(w, fund, b, 70_000 * UNIT + 7)
    run.period(_inp(interest=1_000 * UNIT, losses=55_555 * UNIT + 3))
    with boa.env.prank(b):
        fund.request_redeem(fund.balanceOf(b) // 2)
    boa.env.time_travel(seconds=int(fund.COOLDOWN()))
    with boa.env.prank(b):
        fund.redeem(fund.maxRedeem(b), b, b)
    run.period(_inp(losses=90_000 * UNIT))
    run.period(_inp(recoveries=2_000 * UNIT))
    assert sum(r.insurance_cover for r in run.results) > 0
    run.check_solvency()


LYING_FUND = """
# pragma version ==0.4.3
@external
def cover(amount: uint256) -> uint256:
    return amount
@external
def pay_premium(amount: uint256):
    pass
"""


def test_a_fund_that_does_not_pay_what_it_reports_is_refused() -> None:
    # issue 10: the lie no longer freezes the deal; the cover is refused
    # (not applied, the loss written down), as if the fund had paid nothing
    w = make_world(triggers=(), principal_rule=0)
    liar = boa.loads(LYING_FUND, override_address=boa.env.generate_address())
    with boa.env.prank(w.owner):
        w.deal.set_insurance_fund(liar.address, 0)
    w.config = replace(w.config, insurance_fund=str(liar.address))
    run = ParityRun(w)
    res = run.period(_inp(losses=100_000 * UNIT), available=10**30, refused=frozenset({"cover"}))
    assert res.insurance_cover == 0 and sum(t.writedown for t in res.tranches) > 0
    assert any(type(e).__name__ == "IntegrationFailed" for e in run.last_logs)


def test_fund_views_and_detach(insured: tuple[World, object]) -> None:
    w, fund = insured
    assert w.deal.insurance_fund() == fund.address
    assert w.deal.insurance_premium_rate() == PREMIUM_RATE
    with boa.env.prank(w.owner):
        w.deal.set_insurance_fund("0x" + "00" * 20, 0)
    assert w.deal.insurance_fund() == "0x" + "00" * 20
    w.config = replace(w.config, insurance_fund="0x" + "00" * 20, insurance_premium_rate=0)
    run = ParityRun(w)  # detached: plain deal again
    r = run.period(_inp(losses=50_000 * UNIT))
    assert r.insurance_premium == r.insurance_cover == 0


def test_bad_insurance_parameters_rejected() -> None:
    w = make_world()
    zero = "0x" + "00" * 20
    with boa.env.prank(w.owner):
        with boa.reverts("deal: premium without a fund"):
            w.deal.set_insurance_fund(zero, 1)
        with boa.reverts("deal: premium rate above 100%"):
            w.deal.set_insurance_fund(w.roles["alice"], 10**9 + 1)
        w.submit(w.report())
        w.deal.set_insurance_fund(w.roles["alice"], 0)  # allowed while pending (issue 10)

"""Exact waterfall with a first-loss insurance fund (docs/waterfall.md, steps
3b and 5): hand-worked periods and hypothesis properties (conservation to the
unit, the fund never makes a writedown larger, the fund pays only what excess
interest could not)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from trancheflow.deal.exact import ExactWaterfall, PeriodInput
from trancheflow.deal.params import RATE_SCALE, WaterfallParams

from .test_exact import deals, reports

PCT = RATE_SCALE // 100


def pin(i=0, s=0, p=0, r=0, loss=0, d=0, avail=0):
    return PeriodInput(i, s, p, r, loss, d, insurance_available=avail)


def three(**kw):
    return WaterfallParams(tranche_balances=(500, 300, 200), coupons=(0, 0, 0), **kw)


# ------------------------------------------------------------ hand-worked periods
def test_premium_then_excess_interest_then_fund_then_writedown():
    wf = ExactWaterfall(three(insurance_premium_rate=12 * PCT))
    r = wf.run_period(wf.initial_state(1_000), pin(i=30, loss=250, avail=100))
    # premium floor(1000 * 0.12 / 12) = 10 leaves 20 of excess interest; the loss of
    # 250 is covered 20 by turbo, 100 by the fund, the last 130 written down from C.
    assert r.insurance_premium == 10 and r.turbo == 20 and r.insurance_cover == 100
    assert r.principal_distribution == 120 and r.tranches[0].principal_paid == 120
    assert [t.writedown for t in r.tranches] == [0, 0, 130]
    assert r.residual == 0
    assert r.cash_in + r.insurance_cover == r.cash_out == 130


def test_cover_is_capped_per_period_by_the_params():
    wf = ExactWaterfall(three(insurance_cap=60))
    r = wf.run_period(wf.initial_state(1_000), pin(loss=250, avail=100))
    assert r.insurance_cover == 60 and [t.writedown for t in r.tranches] == [0, 0, 190]


def test_fund_covers_only_what_excess_interest_cannot():
    wf = ExactWaterfall(three())
    r = wf.run_period(wf.initial_state(1_000), pin(i=300, loss=250, avail=10**6))
    assert r.turbo == 250 and r.insurance_cover == 0 and r.residual == 50
    r = wf.run_period(wf.initial_state(1_000), pin(i=0, s=100, avail=10**6))
    assert r.insurance_cover == 0  # no loss, no cover, whatever the fund holds


def test_fund_never_pays_toward_the_overcollateralization_target():
    # Tranches 1,000 on a 1,100 pool with a 20% OC target: a loss of 50 leaves the
    # tranches (1,000) under the pool (1,050) but above P1 - OCT = 840. Excess
    # interest may turbo toward the target; the fund may not, since nothing
    # would be written down.
    wf = ExactWaterfall(three(oc_target=20 * PCT))
    r = wf.run_period(wf.initial_state(1_100), pin(i=0, loss=50, avail=10**6))
    assert r.insurance_cover == 0 and [t.writedown for t in r.tranches] == [0, 0, 0]
    # A loss that puts the tranches above the pool: the fund covers exactly the gap.
    r = wf.run_period(wf.initial_state(1_100), pin(i=0, loss=180, avail=10**6))
    assert r.insurance_cover == 80 and [t.writedown for t in r.tranches] == [0, 0, 0]
    assert r.cash_in + r.insurance_cover == r.cash_out


def test_unpaid_premium_is_not_carried_forward():
    wf = ExactWaterfall(three(insurance_premium_rate=12 * PCT))
    r1 = wf.run_period(wf.initial_state(1_000), pin(i=4))
    assert r1.insurance_premium == 4  # 10 due, 4 available
    r2 = wf.run_period(r1.state, pin(i=100))
    assert r2.insurance_premium == 10 and r2.residual == 90


def test_premium_comes_after_tranche_interest_and_before_the_reserve():
    p = WaterfallParams(
        tranche_balances=(1_200,),
        coupons=(12 * PCT,),
        insurance_premium_rate=12 * PCT,
        reserve_target=10 * PCT,
    )
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(2_000), pin(i=25))
    # interest 12 first, premium floor(2000 * .12 / 12) = 20 gets the 13 left
    assert r.tranches[0].interest_paid == 12 and r.insurance_premium == 13
    assert r.reserve_topup == 0 and r.residual == 0


def test_without_a_fund_nothing_changes():
    wf = ExactWaterfall(three())
    r = wf.run_period(wf.initial_state(1_000), pin(i=30, loss=250))
    assert (r.insurance_premium, r.insurance_cover) == (0, 0)
    assert [t.writedown for t in r.tranches] == [0, 20, 200]


# ------------------------------------------------------------ properties
@st.composite
def insured(draw):
    params, pool = draw(deals())
    params = replace(
        params,
        insurance_premium_rate=draw(st.integers(0, 2 * PCT)),
        insurance_cap=draw(st.sampled_from([0, 0, draw(st.integers(1, 10**8))])),
    )
    return params, pool


@given(data=st.data())
def test_conservation_with_a_fund_to_the_unit(data):
    params, pool = data.draw(insured())
    inputs = data.draw(reports(pool, data.draw(st.integers(1, 12))))
    avail = data.draw(st.lists(st.integers(0, 10**9), min_size=len(inputs), max_size=len(inputs)))
    inputs = [replace(i, insurance_available=a) for i, a in zip(inputs, avail, strict=True)]
    for r, a in zip(ExactWaterfall(params).run(inputs, pool), avail, strict=True):
        assert r.cash_in + r.insurance_cover == r.cash_out
        cap = params.insurance_cap or a
        assert 0 <= r.insurance_cover <= min(a, cap)
        assert r.insurance_premium >= 0 and r.residual >= 0
        assert sum(t.ending_balance for t in r.tranches) <= r.pool_ending
        if r.insurance_cover:  # the fund never pays principal left over to the residual
            assert r.principal_leftover == 0


@given(data=st.data())
def test_fund_never_raises_a_writedown_and_pays_only_after_excess_interest(data):
    """From the same state and report, a period with the fund available against one
    without: every tranche's writedown is no larger, the turbo is the same, the
    writedown falls by the cover (exactly, without an OC target), and a cover is
    drawn only once excess interest is spent."""
    params, pool = data.draw(insured())
    inputs = data.draw(reports(pool, data.draw(st.integers(1, 8))))
    wf = ExactWaterfall(params)
    state = wf.initial_state(pool)
    for inp in inputs:
        a = data.draw(st.integers(0, 10**9))
        without = wf.run_period(state, inp)
        with_fund = wf.run_period(state, replace(inp, insurance_available=a))
        assert with_fund.turbo == without.turbo
        assert with_fund.insurance_premium == without.insurance_premium
        for tw, tn in zip(with_fund.tranches, without.tranches, strict=True):
            assert tw.writedown <= tn.writedown
        saved = sum(t.writedown for t in without.tranches) - sum(
            t.writedown for t in with_fund.tranches
        )
        assert 0 <= saved <= with_fund.insurance_cover
        if params.oc_target == 0:
            assert saved == with_fund.insurance_cover
        if with_fund.insurance_cover:
            # every unit of excess interest went to turbo first: none was left for
            # the reserve top-up or the residual
            assert with_fund.reserve_topup == 0
            assert with_fund.residual == with_fund.reserve_release
        state = with_fund.state

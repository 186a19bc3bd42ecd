"""Exact waterfall: worked periods checked by hand against docs/waterfall.md,
plus hypothesis properties over random deals and servicer reports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.deal.exact import ExactWaterfall, PeriodInput, mdiv
from trancheflow.deal.params import (
    RATE_SCALE,
    RULE_IDS,
    ShiftingParams,
    TriggerParams,
    WaterfallParams,
)
from trancheflow.errors import WaterfallError

PCT = RATE_SCALE // 100


def pin(i=0, s=0, p=0, r=0, loss=0, d=0, **kw):
    return PeriodInput(i, s, p, r, loss, d, **kw)


# ------------------------------------------------------------ hand-worked periods
def test_sequential_period_by_hand():
    wf = ExactWaterfall(
        WaterfallParams(tranche_balances=(600, 400), coupons=(6 * PCT, 9 * PCT), fee_rates=(PCT,))
    )
    r = wf.run_period(wf.initial_state(1_000), pin(i=9, s=10, p=5))
    # fee: floor(1000 * 0.01 / 12) = 0; A: floor(600*.06/12) = 3; B: floor(400*.09/12) = 3
    assert [f.paid for f in r.fees] == [0]
    assert [t.interest_paid for t in r.tranches] == [3, 3]
    assert [t.principal_paid for t in r.tranches] == [15, 0]
    assert r.residual == 3 and r.cash_in == r.cash_out == 24


def test_interest_shortfall_carries_interest_and_reserve_draws_senior_first():
    p = WaterfallParams(tranche_balances=(12_000, 12_000), coupons=(12 * PCT, 12 * PCT))
    wf = ExactWaterfall(p)
    st0 = wf.initial_state(24_000)
    st0.reserve = 50
    r = wf.run_period(st0, pin(i=100))
    a, b = r.tranches
    # due 120 each; A takes the 100 collected + 20 from the reserve; B takes the last 30.
    assert (a.interest_paid, a.interest_shortfall) == (120, 0)
    assert (b.interest_paid, b.interest_shortfall) == (30, 90)
    assert r.reserve_draw == 50 and r.reserve_balance == 0
    r2 = wf.run_period(r.state, pin(i=1_000))
    # B: accrued 120 on balance + floor(90 * 0.01) = 0 on shortfall, plus the 90 owed
    assert r2.tranches[1].interest_due == 120 + mdiv(90, 12 * PCT) + 90
    assert r2.cash_in == r2.cash_out


def test_accrual_tranche_accretes_while_senior_outstanding_then_pays():
    p = WaterfallParams(
        tranche_balances=(1_200, 1_200), coupons=(10 * PCT, 10 * PCT), accrual=(False, True)
    )
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(2_400), pin(i=20, s=100))
    a, z = r.tranches
    assert z.accreted == 10 and z.interest_paid == 0
    assert a.principal_paid == 110  # collections 100 + Z's 10 of diverted interest
    assert z.ending_balance == 1_210
    # A retires: next period Z starts receiving interest (A had balance at start -> still accretes)
    r2 = wf.run_period(r.state, pin(i=20, s=1_090))
    assert r2.tranches[1].accreted > 0 and r2.tranches[0].ending_balance == 0
    r3 = wf.run_period(r2.state, pin(i=20, s=10))
    assert r3.tranches[1].accreted == 0 and r3.tranches[1].interest_paid > 0


def test_pro_rata_remainder_paid_senior_first():
    p = WaterfallParams(
        tranche_balances=(100, 100, 100), coupons=(0, 0, 0), principal_rule=RULE_IDS["pro_rata"]
    )
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(300), pin(s=10))
    assert [t.principal_paid for t in r.tranches] == [4, 3, 3]  # floor(10/3)=3 each, 1 left -> A


def test_losses_write_down_junior_first_and_excess_interest_turbos():
    p = WaterfallParams(tranche_balances=(500, 300, 200), coupons=(0, 0, 0))
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(1_000), pin(i=30, loss=250))
    # excess interest 30 covers 30 of the loss as principal to A; 220 written down from C, B
    assert r.turbo == 30 and r.tranches[0].principal_paid == 30
    assert [t.writedown for t in r.tranches] == [0, 20, 200]
    assert sum(t.ending_balance for t in r.tranches) == r.pool_ending == 750


def test_overcollateralization_target_turbos_until_met():
    p = WaterfallParams(tranche_balances=(1_000,), coupons=(0,), oc_target=10 * PCT)
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(1_000), pin(i=500, s=0))
    # tranche must end <= P1 - floor(0.1 * P1) = 900 -> 100 of interest pays principal
    assert r.turbo == 100 and r.tranches[0].ending_balance == 900 and r.residual == 400


def test_sticky_trigger_switches_rule():
    p = WaterfallParams(
        tranche_balances=(500, 500),
        coupons=(0, 0),
        principal_rule=RULE_IDS["pro_rata"],
        triggers=(TriggerParams(metric=0, direction=0, threshold=2 * PCT, then_rule=0),),
    )
    wf = ExactWaterfall(p)
    r1 = wf.run_period(wf.initial_state(2_000), pin(s=100))
    assert r1.active_rule == "pro_rata" and r1.triggers == (False,)
    r2 = wf.run_period(r1.state, pin(i=0, s=100, loss=41))  # 41/2000 > 2%
    assert r2.triggers == (True,) and r2.active_rule == "sequential"
    assert r2.tranches[1].principal_paid == 0
    r3 = wf.run_period(r2.state, pin(s=10))
    assert r3.triggers == (True,) and r3.active_rule == "sequential"


def test_oc_ratio_uses_start_of_period_balances():
    trig = TriggerParams(metric=2, direction=1, threshold=RATE_SCALE, then_rule=0)
    p = WaterfallParams(
        tranche_balances=(500, 500), coupons=(0, 0), principal_rule=1, triggers=(trig,)
    )
    wf = ExactWaterfall(p)
    # P0 = 1000 = sum of balances: ratio 1, not below 1, even though principal is collected
    r = wf.run_period(wf.initial_state(1_000), pin(s=100))
    assert r.triggers == (False,)


def test_reserve_tops_up_then_releases_when_retired():
    p = WaterfallParams(
        tranche_balances=(1_000,), coupons=(0,), reserve_target=PCT, reserve_floor=5
    )
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(1_000), pin(i=50, s=100))
    assert r.reserve_topup == 9 and r.reserve_balance == 9  # max(floor(900*1%), 5)
    r2 = wf.run_period(r.state, pin(i=0, s=900))
    assert r2.reserve_release == 9 and r2.reserve_balance == 0 and r2.residual == 9


def test_shifting_interest_lockout_sends_prepayments_to_senior():
    sp = ShiftingParams(senior_count=1, lockout=2, step_down=((3, 0),))
    p = WaterfallParams(tranche_balances=(900, 100), coupons=(0, 0), principal_rule=2, shifting=sp)
    wf = ExactWaterfall(p)
    r = wf.run_period(wf.initial_state(1_000), pin(s=10, p=50))
    assert [t.principal_paid for t in r.tranches] == [59, 1]  # 9 + 50 to A, 1 to B
    r3 = wf.run_period(wf.run_period(r.state, pin()).state, pin(s=0, p=100))
    # period 3: shift 0 -> senior gets its pro-rata share SB/S of prepayments only
    sb, s = r3.tranches[0].beginning_balance, r3.pool_beginning
    assert r3.tranches[0].principal_paid == 100 * sb // s


def test_run_period_is_pure():
    wf = ExactWaterfall(WaterfallParams(tranche_balances=(10,), coupons=(0,)))
    s0 = wf.initial_state(10)
    wf.run_period(s0, pin(s=5))
    assert s0.balances == [10] and s0.pool_balance == 10 and s0.period == 0


@pytest.mark.parametrize(
    "inp, rule",
    [
        (pin(s=6, p=5), "exceeds the pool balance"),
        (pin(i=-1), "non-negative integer"),
        (pin(i=1.5), "non-negative integer"),
    ],
)
def test_bad_inputs_are_refused(inp, rule):
    wf = ExactWaterfall(WaterfallParams(tranche_balances=(10,), coupons=(0,)))
    with pytest.raises(WaterfallError, match=rule):
        wf.run_period(wf.initial_state(10), inp)


# ------------------------------------------------------------ properties
@st.composite
def deals(draw):
    n = draw(st.integers(1, 5))
    bal = draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n))
    pool = sum(bal) + draw(st.integers(0, 10**8))
    rule = draw(st.sampled_from([0, 1, 2] if n > 1 else [0, 1]))
    shifting = None
    if rule == 2:
        shifting = ShiftingParams(
            senior_count=draw(st.integers(1, n - 1)),
            lockout=draw(st.integers(0, 6)),
            step_down=((7, 70 * PCT), (9, 0)),
        )
    trig = draw(
        st.lists(
            st.builds(
                TriggerParams,
                metric=st.integers(0, 3),
                direction=st.integers(0, 1),
                threshold=st.integers(0, 2 * RATE_SCALE),
                then_rule=st.sampled_from([0, 1, 255]),
            ),
            max_size=2,
        )
    )
    m = draw(st.integers(0, 2))
    params = WaterfallParams(
        tranche_balances=tuple(bal),
        coupons=tuple(draw(st.lists(st.integers(0, 20 * PCT), min_size=n, max_size=n))),
        accrual=tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        fee_rates=tuple(draw(st.lists(st.integers(0, PCT), min_size=m, max_size=m))),
        fee_amounts=tuple(draw(st.lists(st.integers(0, 10**5), min_size=m, max_size=m))),
        principal_rule=rule,
        shifting=shifting,
        reserve_target=draw(st.integers(0, 5 * PCT)),
        reserve_floor=draw(st.integers(0, 10**6)),
        oc_target=draw(st.sampled_from([0, 0, 2 * PCT])),
        triggers=tuple(trig),
    )
    return params, pool


@st.composite
def reports(draw, pool, n_periods):
    out = []
    for _ in range(n_periods):
        fr = draw(st.lists(st.integers(0, 1000), min_size=4, max_size=4))
        parts = [pool * f // 4000 for f in fr]  # never more than the pool in total
        pool -= sum(parts)
        out.append(
            PeriodInput(
                interest=draw(st.integers(0, 10**8)),
                scheduled_principal=parts[0],
                prepayments=parts[1],
                recoveries=parts[2],
                losses=parts[3],
                delinquent_60_plus=draw(st.integers(0, max(pool, 0))),
            )
        )
    return out


@given(data=st.data())
def test_properties_per_period(data):
    params, pool = data.draw(deals())
    inputs = data.draw(reports(pool, data.draw(st.integers(1, 12))))
    wf = ExactWaterfall(params)
    for r in wf.run(inputs, pool):
        # conservation to the unit
        assert r.cash_in == r.cash_out
        assert r.residual >= 0 and r.reserve_balance >= 0
        ts = r.tranches
        for t in ts:
            assert t.ending_balance >= 0 and t.interest_shortfall >= 0
            assert t.ending_balance == (
                t.beginning_balance + t.accreted - t.principal_paid - t.writedown
            )
        # tranches never exceed the collateral
        assert sum(t.ending_balance for t in ts) <= r.pool_ending
        # losses hit the most junior outstanding tranche first
        for i, t in enumerate(ts):
            if t.writedown:
                assert all(u.ending_balance == 0 for u in ts[i + 1 :])
        # no junior interest while a senior's is unpaid (reserve included), no interest
        # at all while a fee is short
        # (a Z tranche accreting, i.e. with a senior outstanding at the start, pays no
        # interest and draws no reserve even when short: it is not in the paying order)
        paying = [
            t
            for i, t in enumerate(ts)
            if t.interest_due
            and not (params.accrual[i] and any(u.beginning_balance for u in ts[:i]))
        ]
        for i, t in enumerate(paying):
            if t.interest_paid < t.interest_due:
                assert all(u.interest_paid == 0 for u in paying[i + 1 :])
        if any(f.shortfall for f in r.fees):
            assert sum(t.interest_paid for t in ts) <= r.reserve_draw
        # sequential: no principal to a junior while a senior still has a balance
        if r.active_rule == "sequential":
            for i, t in enumerate(ts):
                if t.principal_paid:
                    assert all(u.ending_balance == 0 for u in ts[:i])

"""Float waterfall: agreement with exact mode, per-path independence, features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.deal.collections import FIELDS, Collections
from trancheflow.deal.exact import ExactWaterfall, PeriodInput
from trancheflow.deal.params import (
    RATE_SCALE,
    FloatingParams,
    ShiftingParams,
    TriggerParams,
    WaterfallParams,
)
from trancheflow.deal.waterfall import FloatWaterfall

PCT = RATE_SCALE // 100


def as_collections(inputs):
    return Collections.from_arrays(
        {f: np.array([[getattr(i, f) for i in inputs]], dtype=float) for f in FIELDS}
    )


@st.composite
def smooth_deals(draw):
    """Deals without discrete switches (no accrual, no triggers), any rule."""
    n = draw(st.integers(1, 5))
    bal = draw(st.lists(st.integers(10**6, 10**10), min_size=n, max_size=n))
    pool = sum(bal) + draw(st.integers(0, 10**9))
    rule = draw(st.sampled_from([0, 1, 2] if n > 1 else [0, 1]))
    shifting = None
    if rule == 2:
        shifting = ShiftingParams(draw(st.integers(1, n - 1)), draw(st.integers(0, 4)), ((5, 0),))
    m = draw(st.integers(0, 2))
    params = WaterfallParams(
        tranche_balances=tuple(bal),
        coupons=tuple(draw(st.lists(st.integers(0, 15 * PCT), min_size=n, max_size=n))),
        fee_rates=tuple(draw(st.lists(st.integers(0, PCT), min_size=m, max_size=m))),
        principal_rule=rule,
        shifting=shifting,
        reserve_target=draw(st.integers(0, 2 * PCT)),
        reserve_floor=draw(st.integers(0, 10**7)),
        oc_target=draw(st.sampled_from([0, PCT])),
    )
    periods = []
    left = pool
    for _ in range(draw(st.integers(1, 24))):
        fr = draw(st.lists(st.integers(0, 300), min_size=4, max_size=4))
        parts = [left * f // 3000 for f in fr]
        left -= sum(parts)
        periods.append(PeriodInput(draw(st.integers(0, 10**8)), *parts, 0))
    return params, pool, periods


@given(smooth_deals())
def test_float_agrees_with_exact_within_rounding(case):
    """Bound: exact floors at most one unit per division; per period there are
    n_fees + 2 n_tranches + 4 divisions, and differences in balances carry
    forward, so cumulative cash differs by at most that many units per period."""
    params, pool, inputs = case
    exact = ExactWaterfall(params).run(inputs, pool)
    flt = FloatWaterfall(params, unit_scale=1).run(as_collections(inputs), pool_balance=pool)
    per_period = len(params.fee_rates) + 2 * params.n_tranches + 4
    e_cash = np.array([[t.cash_flow for t in r.tranches] for r in exact], dtype=float)
    e_bal = np.array([[t.ending_balance for t in r.tranches] for r in exact], dtype=float)
    for t in range(len(inputs)):
        bound = per_period * (t + 1) + 1e-6 * pool
        assert np.abs(flt.cash_flow[0, : t + 1].sum(0) - e_cash[: t + 1].sum(0)).max() <= bound
        assert np.abs(flt.ending_balance[0, t] - e_bal[t]).max() <= bound
    # float conserves cash to float precision
    assert np.abs(flt.cash_in - flt.cash_out).max() <= 1e-9 * pool


def test_paths_are_independent():
    p = WaterfallParams(
        tranche_balances=(700, 300),
        coupons=(5 * PCT, 8 * PCT),
        accrual=(False, True),
        principal_rule=1,
        triggers=(TriggerParams(0, 0, 2 * PCT, 0),),
        reserve_target=PCT,
        reserve_floor=3,
    )
    rng = np.random.default_rng(7)
    T = 24
    arrays = {
        "interest": rng.uniform(0, 8, (3, T)),
        "scheduled_principal": rng.uniform(0, 10, (3, T)),
        "prepayments": rng.uniform(0, 20, (3, T)),
        "recoveries": np.zeros((3, T)),
        "losses": np.stack([np.zeros(T), np.full(T, 1.0), np.zeros(T)]),
    }
    wf = FloatWaterfall(p, unit_scale=1)
    together = wf.run(Collections.from_arrays(arrays), pool_balance=1_000.0)
    for k in range(3):
        alone = wf.run(
            Collections.from_arrays({f: a[k : k + 1] for f, a in arrays.items()}),
            pool_balance=1_000.0,
        )
        np.testing.assert_allclose(together.cash_flow[k], alone.cash_flow[0], rtol=0, atol=1e-9)
    # the loss path breaches (cumulative loss 1/1000 per month > 2% after 21 months) alone
    assert together.triggers[1, -1, 0] and not together.triggers[0, -1, 0]
    assert together.active_rule[1, -1] == 0 and together.active_rule[0, -1] == 1


def test_floating_coupon_with_cap_and_floor_matches_exact():
    fl = FloatingParams(index="SOFR", margin=PCT, cap=8 * PCT, floor=2 * PCT)
    p = WaterfallParams(tranche_balances=(1_200_000,), coupons=(0,), floating=(fl,))
    sofr = [0.0, 0.04, 0.09]  # -> 2% floor, 5%, 8% cap
    wf = FloatWaterfall(p, unit_scale=1)
    c = Collections.from_arrays(
        {f: np.full((1, 3), 100_000.0) if f == "interest" else np.zeros((1, 3)) for f in FIELDS}
    )
    r = wf.run(c, pool_balance=1_200_000, index_paths={"SOFR": sofr})
    np.testing.assert_allclose(r.coupon[0, :, 0], [0.02, 0.05, 0.08])
    np.testing.assert_allclose(r.interest_due[0, :, 0], [2_000, 5_000, 8_000])
    ex = ExactWaterfall(p).run(
        [
            PeriodInput(100_000, 0, 0, 0, 0, 0, indices={"SOFR": round(x * RATE_SCALE)})
            for x in sofr
        ],
        1_200_000,
    )
    assert [r.tranches[0].interest_due for r in ex] == [2_000, 5_000, 8_000]
    with pytest.raises(Exception, match="SOFR"):
        wf.run(c, pool_balance=1_200_000)


def test_net_wac_cap_limits_coupon_to_available_funds_rate():
    p = WaterfallParams(tranche_balances=(1_000_000,), coupons=(9 * PCT,), wac_cap=(True,))
    interest = np.array([[6_000.0, 10_000.0]])  # 7.2% and 12% annualised on 1,000,000
    arrays = {f: np.zeros((1, 2)) for f in FIELDS}
    arrays["interest"] = interest
    r = FloatWaterfall(p, unit_scale=1).run(Collections.from_arrays(arrays), pool_balance=1_000_000)
    np.testing.assert_allclose(r.coupon[0, :, 0], [0.072, 0.09])
    ex = ExactWaterfall(p).run(
        [PeriodInput(6_000, 0, 0, 0, 0), PeriodInput(10_000, 0, 0, 0, 0)], 1_000_000
    )
    assert [r.tranches[0].coupon for r in ex] == [72_000_000, 90_000_000]


def test_shifting_interest_step_down_moves_prepayments_to_subordinates():
    sp = ShiftingParams(senior_count=1, lockout=1, step_down=((2, 50 * PCT),))
    p = WaterfallParams(tranche_balances=(900, 100), coupons=(0, 0), principal_rule=2, shifting=sp)
    arrays = {f: np.zeros((1, 2)) for f in FIELDS}
    arrays["prepayments"] = np.array([[100.0, 100.0]])
    r = FloatWaterfall(p, unit_scale=1).run(Collections.from_arrays(arrays), pool_balance=1_000)
    assert r.principal_paid[0, 0].tolist() == [100.0, 0.0]  # lockout: all to senior
    frac = 800 / 900  # senior share entering period 2
    senior = 100 * (frac + 0.5 * (1 - frac))
    np.testing.assert_allclose(r.principal_paid[0, 1], [senior, 100 - senior])

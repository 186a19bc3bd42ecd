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


@st.composite
def any_float_deal(draw):
    """Every feature: accrual, triggers, floating coupons, WAC cap, all rules."""
    n = draw(st.integers(1, 5))
    rule = draw(st.sampled_from([0, 1, 2] if n > 1 else [0, 1]))
    floating = tuple(
        draw(
            st.sampled_from(
                [
                    None,
                    FloatingParams("SOFR", PCT, 8 * PCT, 0),
                    FloatingParams("SOFR", -PCT, -1, PCT),
                ]
            )
        )
        for _ in range(n)
    )
    return WaterfallParams(
        tranche_balances=tuple(draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))),
        coupons=tuple(draw(st.lists(st.integers(0, 12 * PCT), min_size=n, max_size=n))),
        accrual=tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        wac_cap=tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        floating=floating,
        fee_rates=(draw(st.integers(0, PCT)),),
        fee_amounts=(draw(st.integers(0, 100)),),
        principal_rule=rule,
        shifting=ShiftingParams(1, 2, ((4, 50 * PCT), (6, 0))) if rule == 2 else None,
        reserve_target=draw(st.integers(0, 3 * PCT)),
        reserve_floor=draw(st.integers(0, 10**4)),
        oc_target=draw(st.sampled_from([0, 3 * PCT])),
        triggers=tuple(
            TriggerParams(mt, d, thr, then)
            for mt, d, thr, then in draw(
                st.lists(
                    st.tuples(
                        st.integers(0, 3),
                        st.integers(0, 1),
                        st.integers(0, 2 * RATE_SCALE),
                        st.sampled_from([0, 1, 2 if rule == 2 else 0, 255]),
                    ),
                    max_size=3,
                )
            )
        ),
    )


@given(params=any_float_deal(), seed=st.integers(0, 2**32 - 1))
def test_numba_engine_equals_numpy_engine(params, seed):
    rng = np.random.default_rng(seed)
    P, T = 4, 18
    pool = float(sum(params.tranche_balances)) * rng.uniform(1.0, 1.2) + 1.0
    share = rng.dirichlet(np.ones(T + 1), size=P)[:, :T] * pool  # principal + losses per period
    split = rng.dirichlet(np.ones(4), size=(P, T))
    arrays = {
        "interest": rng.uniform(0, pool * 0.01, (P, T)),
        "scheduled_principal": share * split[..., 0],
        "prepayments": share * split[..., 1],
        "recoveries": share * split[..., 2],
        "losses": share * split[..., 3],
        "delinquent_60_plus": rng.uniform(0, pool * 0.1, (P, T)),
    }
    sofr = rng.uniform(0, 0.1, (P, T))
    wf = FloatWaterfall(params, unit_scale=1)
    c = Collections.from_arrays(arrays)
    a = wf.run(c, pool_balance=pool, index_paths={"SOFR": sofr}, engine="numba")
    b = wf.run(c, pool_balance=pool, index_paths={"SOFR": sofr}, engine="numpy")
    for name in (
        "interest_paid",
        "principal_paid",
        "writedown",
        "accreted",
        "ending_balance",
        "interest_shortfall",
        "coupon",
        "fee_paid",
        "residual",
        "reserve_balance",
        "turbo",
    ):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-6, err_msg=name
        )
    np.testing.assert_array_equal(a.triggers, b.triggers)
    np.testing.assert_array_equal(a.active_rule, b.active_rule)
    assert np.abs(a.cash_in - a.cash_out).max() <= 1e-6 * pool

"""Float waterfall with a first-loss insurance fund: agreement with exact mode,
the two engines equal, the fund's balance modelled path by path, reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.deal.collections import Collections
from trancheflow.deal.exact import ExactWaterfall
from trancheflow.deal.params import RATE_SCALE, WaterfallParams
from trancheflow.deal.report import deal_report, to_json
from trancheflow.deal.run import run_deal
from trancheflow.deal.spec import load_spec
from trancheflow.deal.waterfall import FloatWaterfall
from trancheflow.errors import WaterfallError

from .test_float import any_float_deal, as_collections, smooth_deals

PCT = RATE_SCALE // 100
INSURED = Path(__file__).resolve().parents[3] / "examples" / "deals" / "insured.yaml"


@given(case=smooth_deals(), rate=st.integers(0, PCT), data=st.data())
def test_float_agrees_with_exact_with_a_fund(case, rate, data):
    """Same bound as without a fund, with two more divisions-worth per period
    (the premium's floor and the cover that follows the turbo)."""
    params, pool, inputs = case
    params = replace(params, insurance_premium_rate=rate)
    avail = data.draw(st.lists(st.integers(0, 10**9), min_size=len(inputs), max_size=len(inputs)))
    inputs = [replace(i, insurance_available=a) for i, a in zip(inputs, avail, strict=True)]
    exact = ExactWaterfall(params).run(inputs, pool)
    flt = FloatWaterfall(params, unit_scale=1).run(
        as_collections(inputs), pool_balance=pool, insurance_available=np.array([avail], float)
    )
    per_period = len(params.fee_rates) + 2 * params.n_tranches + 6
    e_cash = np.array([[t.cash_flow for t in r.tranches] for r in exact], dtype=float)
    e_prem = np.cumsum([r.insurance_premium for r in exact])
    e_cover = np.cumsum([r.insurance_cover for r in exact])
    for t in range(len(inputs)):
        bound = per_period * (t + 1) + 1e-6 * pool
        assert np.abs(flt.cash_flow[0, : t + 1].sum(0) - e_cash[: t + 1].sum(0)).max() <= bound
        assert abs(flt.insurance_premium[0, : t + 1].sum() - e_prem[t]) <= bound
        assert abs(flt.insurance_cover[0, : t + 1].sum() - e_cover[t]) <= bound
    assert np.abs(flt.cash_in + flt.insurance_cover - flt.cash_out).max() <= 1e-9 * pool


@given(params=any_float_deal(), seed=st.integers(0, 2**32 - 1), track=st.booleans())
def test_engines_equal_with_a_fund(params, seed, track):
    rng = np.random.default_rng(seed)
    params = replace(
        params,
        insurance_premium_rate=int(rng.integers(0, 2 * PCT)),
        insurance_cap=int(rng.choice([0, rng.integers(1, 10**5)])),
    )
    P, T = 4, 18
    pool = float(sum(params.tranche_balances)) * rng.uniform(1.0, 1.2) + 1.0
    share = rng.dirichlet(np.ones(T + 1), size=P)[:, :T] * pool
    split = rng.dirichlet(np.ones(4), size=(P, T))
    c = Collections.from_arrays(
        {
            "interest": rng.uniform(0, pool * 0.01, (P, T)),
            "scheduled_principal": share * split[..., 0],
            "prepayments": share * split[..., 1],
            "recoveries": share * split[..., 2],
            "losses": share * split[..., 3],
            "delinquent_60_plus": rng.uniform(0, pool * 0.1, (P, T)),
        }
    )
    kw = {"pool_balance": pool, "index_paths": {"SOFR": rng.uniform(0, 0.1, (P, T))}}
    if track:
        kw["fund_assets"] = rng.uniform(0, pool * 0.05, P)
    else:
        kw["insurance_available"] = rng.uniform(0, pool * 0.02, (P, T))
    wf = FloatWaterfall(params, unit_scale=1)
    a = wf.run(c, engine="numba", **kw)
    b = wf.run(c, engine="numpy", **kw)
    for name in (
        "insurance_premium",
        "insurance_cover",
        "fund_assets",
        "writedown",
        "principal_paid",
        "residual",
    ):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-6, err_msg=name
        )
    assert np.abs(a.cash_in + a.insurance_cover - a.cash_out).max() <= 1e-6 * pool


def test_fund_balance_is_modelled_path_by_path():
    """Two paths, one loss each in period 2; the fund starts with 100 on path 0 and
    0 on path 1, earns its premium and pays what excess interest cannot."""
    p = WaterfallParams(
        tranche_balances=(500, 300, 200),
        coupons=(0, 0, 0),
        insurance_premium_rate=12 * PCT,
        insurance_cap=80,
    )
    z = np.zeros((2, 3))
    interest = np.full((2, 3), 10.0)
    losses = np.array([[0.0, 250.0, 0.0], [0.0, 250.0, 0.0]])
    c = Collections.from_arrays(
        {
            "interest": interest,
            "scheduled_principal": z,
            "prepayments": z,
            "recoveries": z,
            "losses": losses,
        }
    )
    for engine in ("numba", "numpy"):
        r = FloatWaterfall(p, unit_scale=1).run(
            c, pool_balance=1_000.0, fund_assets=[100.0, 0.0], engine=engine
        )
        # premium 1000 * 12% / 12 = 10 takes all the interest: no turbo
        np.testing.assert_allclose(r.insurance_premium[:, 0], [10.0, 10.0])
        # period 2: path 0 may draw min(110, cap 80); path 1 its 10 of premium
        np.testing.assert_allclose(r.insurance_cover[:, 1], [80.0, 10.0])
        np.testing.assert_allclose(r.fund_assets[:, 1], [110.0 + 10 - 80, 10.0 + 10 - 10])
        np.testing.assert_allclose(r.writedown[:, 1, 2], [170.0, 200.0])
        np.testing.assert_allclose(r.writedown[:, 1, 1], [0.0, 40.0])
        prev = np.concatenate([[[100.0], [0.0]], r.fund_assets[:, :-1]], axis=1)
        np.testing.assert_allclose(
            r.fund_assets, prev + r.insurance_premium - r.insurance_cover, atol=1e-9
        )


def test_insurance_inputs_are_checked():
    p = WaterfallParams(tranche_balances=(10,), coupons=(0,))
    c = Collections.from_arrays({"interest": [[1.0]], "losses": [[1.0]]})
    wf = FloatWaterfall(p, unit_scale=1)
    with pytest.raises(WaterfallError, match="not both"):
        wf.run(c, pool_balance=10.0, insurance_available=1.0, fund_assets=1.0)
    with pytest.raises(WaterfallError, match=">= 0"):
        wf.run(c, pool_balance=10.0, fund_assets=-1.0)
    with pytest.raises(WaterfallError, match="broadcast"):
        wf.run(c, pool_balance=10.0, insurance_available=np.ones((3, 3)))


def test_run_deal_exact_and_float_model_the_same_fund():
    spec = load_spec(INSURED)
    ex = run_deal(spec, mode="exact", fund_assets=3_000_000, n_periods=120)
    fl = run_deal(spec, mode="float", fund_assets=3_000_000, n_periods=120)
    e, f = deal_report(ex), deal_report(fl)
    for col in ("insurance_premium", "insurance_cover", "insurance_fund_assets", "residual"):
        np.testing.assert_allclose(f[col], e[col], atol=1e-3, err_msg=col)
    assert e["insurance_cover"].sum() > 0  # SDA 300 at 45% severity does reach the fund
    cap = spec.insurance.cap_per_period
    assert (e["insurance_cover"] <= cap).all()
    # exact periods conserve cash to the unit with the fund
    assert all(r.cash_in + r.insurance_cover == r.cash_out for r in ex.exact)
    assert '"insurance_cover"' in to_json(ex)
    # the fund lowers the junior's writedown against the same deal without fund money
    bare = run_deal(spec, mode="exact", n_periods=120)
    c_with = sum(r.tranche("C").writedown for r in ex.exact)
    c_without = sum(r.tranche("C").writedown for r in bare.exact)
    assert c_with < c_without

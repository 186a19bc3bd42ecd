"""Tranche pricing driven by the ML hazard model: properties that can fail, and parity with
the refinancing/CPR engine (an independent implementation) under a constant-hazard model."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from trancheflow.analytics.montecarlo import MonteCarloSettings, simulate_values
from trancheflow.analytics.oas import price_from_oas
from trancheflow.collateral.projection import CASHFLOW_COLUMNS
from trancheflow.collateral.speeds import cpr_to_smm
from trancheflow.deal.spec import parse_spec
from trancheflow.errors import ModelError
from trancheflow.models.hazard import RISK_SPECS
from trancheflow.models.model import HazardModel
from trancheflow.models.pricing import project_paths_ml
from trancheflow.models.tranche_pricing import (
    DEFAULT_CURVE,
    MLBehaviour,
    compiled,
    ml_deal_security,
    run_tranches,
    value_tranches,
)
from trancheflow.rates import ZeroCurve
from trancheflow.tape import generate_tape

C = {c: i for i, c in enumerate(CASHFLOW_COLUMNS)}


def _spec(tape, split=(0.8, 0.15), coupons=(0.045, 0.055), prepay="PSA 150", default="SDA 0"):
    b = round(float(tape["current_balance"].sum()), 2)
    tr = [
        {"name": n, "balance": round(f * b, 2), "coupon": c}
        for n, f, c in zip(("A", "B"), split, coupons, strict=True)
    ]
    return parse_spec(
        {
            "deal": "T",
            "currency": {"symbol": "USDC", "decimals": 6},
            "collateral": {
                "rep_lines": [
                    {
                        "balance": b,
                        "gross_rate": 0.065,
                        "net_rate": 0.06,
                        "term": 360,
                        "wam": 357,
                        "wala": 3,
                    }
                ]
            },
            "assumptions": {
                "prepay": prepay,
                "default": default,
                "severity": 0.35,
                "recovery_lag": 0,
                "advance": True,
            },
            "tranches": [*tr, {"name": "R", "residual": True}],
            "waterfall": {"principal": "sequential", "losses": "reverse_seniority"},
        }
    )


@pytest.fixture(scope="module")
def tape():
    return generate_tape(150, seed=11)


def test_value_falls_as_oas_rises(small_model, tape):
    spec = _spec(tape)
    v = [
        value_tranches(spec, tape, small_model, oas_bp=o, paths=16, seed=3)["value"].to_numpy()
        for o in (-50.0, 0.0, 100.0, 400.0)
    ]
    assert np.all(np.diff(np.array(v), axis=0) < 0)


def test_price_round_trips_through_the_oas(small_model, tape):
    spec = _spec(tape)
    base = value_tranches(spec, tape, small_model, oas_bp={"A": 30.0, "B": 150.0}, paths=16)
    back = value_tranches(
        spec,
        tape,
        small_model,
        prices=dict(zip(base["tranche"], base["value"], strict=True)),
        paths=16,
    )
    np.testing.assert_allclose(back["oas_bp"], [30.0, 150.0], atol=1e-6)
    np.testing.assert_allclose(back["value"], base["value"], rtol=1e-10)


def test_senior_less_sensitive_to_a_credit_shift_than_junior(small_model, tape):
    # no overcollateralization and coupons at the collateral's net rate: losses reach B
    net = float(np.average(tape["net_rate"], weights=tape["current_balance"]))
    spec = _spec(tape, split=(0.9, 0.0999), coupons=(net - 0.01, net - 0.005))
    kw = {"oas_bp": 50.0, "paths": 16, "seed": 5}
    mild = value_tranches(spec, tape, small_model, severity=0.0, **kw).set_index("tranche")
    harsh = value_tranches(spec, tape, small_model, severity=1.0, **kw).set_index("tranche")
    d = (mild["value"] - harsh["value"]).to_dict()
    assert d["B"] > 0.05
    assert abs(d["A"]) < d["B"]
    assert harsh.loc["B", "writedown"] > harsh.loc["A", "writedown"]


def _constant_booster(risk: str, p: float) -> lgb.Booster:
    feats = list(RISK_SPECS[risk].features)
    ds = lgb.Dataset(
        np.zeros((2, len(feats))),
        np.array([1.0, 0.0]),
        weight=np.array([p, 1.0 - p]),
        feature_name=feats,
    )
    params = {
        "objective": "binary",
        "verbosity": -1,
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
    }
    return lgb.train(params, ds, num_boost_round=1)


@pytest.mark.parametrize("cpr", [6.0, 20.0])
def test_constant_hazard_model_equals_the_cpr_engine_on_the_same_paths(small_model, tape, cpr):
    # monthly prepay p, default start d, cure c: the ML kernel buys out d (1 - c)^3 a month
    # at par, so with credit="buyout" its SMM is p + d (1 - c)^3 -- set equal to CPR `cpr`
    d, c = 0.002, 0.3
    p = float(cpr_to_smm(cpr / 100.0)) - d * (1 - c) ** 3
    const = HazardModel(
        {
            "prepay": _constant_booster("prepay", p),
            "default": _constant_booster("default", d),
            "cure": _constant_booster("cure", c),
        },
        small_model.codes,
        {},
    )
    spec = _spec(tape, prepay=f"CPR {cpr:g}", default="CDR 0")
    settings = MonteCarloSettings(n_paths=8, seed=2, workers=1, chunks=1)
    curve = ZeroCurve([30.0], [0.05])
    beh = MLBehaviour(compiled(const), tape, credit="buyout")
    ml = run_tranches(ml_deal_security(spec, tape, beh), curve, settings)
    refi = simulate_values(ml_deal_security(spec, tape, None), curve, settings)
    o = np.array([0.005, 0.01, 0.0])
    p_ml, _ = price_from_oas(ml.values, o)
    p_ref, _ = price_from_oas(refi, o)
    np.testing.assert_allclose(p_ml[:2], p_ref[:2], rtol=2e-6)
    # per period the deal's cash agrees to float32; in the month a tranche retires the
    # split between it and the next can move by the kernel's rounding (a few 1e-6 of the pool)
    np.testing.assert_allclose(ml.values.dcf.sum(-1), refi.dcf.sum(-1), rtol=1e-5, atol=1e-3)
    pool = float(tape["current_balance"].sum())
    np.testing.assert_allclose(ml.values.dcf, refi.dcf, rtol=1e-5, atol=1e-5 * pool)


def test_seam_is_shared_with_simulate_values(small_model, tape):
    spec = _spec(tape)
    beh = MLBehaviour(compiled(small_model), tape)
    sec = ml_deal_security(spec, tape, beh)
    settings = MonteCarloSettings(n_paths=8, seed=4, workers=1, chunks=1)
    a = run_tranches(sec, DEFAULT_CURVE, settings)
    b = simulate_values(sec, DEFAULT_CURVE, settings)
    np.testing.assert_array_equal(a.values.dcf, b.dcf)


def test_cash_is_conserved_on_every_path(small_model, tape):
    spec = _spec(tape, split=(0.85, 0.1))
    beh = MLBehaviour(compiled(small_model), tape, severity=0.5)
    sec = ml_deal_security(spec, tape, beh)
    run = run_tranches(sec, DEFAULT_CURVE, MonteCarloSettings(n_paths=6, seed=7, workers=1))
    cube = project_paths_ml(
        tape, small_model, run.mortgage_rates, credit="loss", severity=0.5, n_periods=sec.n_periods
    )
    r = run.result
    collateral = cube[:, :, C["total_cash_flow"]]
    np.testing.assert_allclose(r.cash_in, collateral, rtol=1e-9, atol=1e-6)
    paid = r.cash_flow.sum(-1) + r.residual + r.fee_paid.sum(-1) + r.insurance_premium
    reserve = np.diff(
        np.concatenate([np.zeros_like(r.reserve_balance[:, :1]), r.reserve_balance], 1), axis=1
    )
    np.testing.assert_allclose(paid + reserve, collateral + r.insurance_cover, atol=1e-5)
    # principal: collected + losses = the pool's balance, path by path
    prin = cube[:, :, C["total_principal"]].sum(1) + cube[:, :, C["loss"]].sum(1)
    np.testing.assert_allclose(prin, tape["current_balance"].sum(), rtol=2e-6)
    assert cube[:, :, C["loss"]].sum() > 0


def test_deterministic_variant_and_mid_life_inputs(small_model, tape):
    spec = _spec(tape)
    det = value_tranches(spec, tape, small_model, deterministic=True, eff_duration=True)
    assert det["value_se"].isna().all() and np.isfinite(det["value"]).all()
    # rates up 25bp at the same OAS: values fall, the senior's less than the longer junior's
    assert (det["eff_duration"] > 0).all() and (det["eff_duration"] < 30).all()
    assert det.loc[0, "eff_duration"] < det.loc[1, "eff_duration"]
    later = tape.sample(100, random_state=1).reset_index(drop=True)
    bal = {"A": 0.5 * later["current_balance"].sum(), "B": 0.0}
    mid = value_tranches(spec, later, small_model, as_of_period=12, balances=bal, paths=8)
    assert np.isfinite(mid.loc[0, "value"]) and np.isnan(mid.loc[1, "value"])
    with pytest.raises(ModelError, match="current balances"):
        value_tranches(spec, later, small_model, as_of_period=12)
    with pytest.raises(ModelError, match="unknown tranche"):
        value_tranches(spec, later, small_model, balances={"A": 1.0, "B": 1.0, "Q": 1.0})
    with pytest.raises(ModelError, match="above the pool"):
        value_tranches(spec, later, small_model, balances={"A": 1e12, "B": 0.0})

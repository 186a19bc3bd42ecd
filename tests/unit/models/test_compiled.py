"""Flattened trees and compiled tables reproduce LightGBM's own predictions."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from trancheflow.errors import ModelError
from trancheflow.models.compiled import GRIDS, compile_risk, flatten, grid_index, predict_raw
from trancheflow.models.features import build_features
from trancheflow.models.hazard import RISK_SPECS, fit_gbm


def test_flat_walk_equals_lightgbm_with_missing_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4))
    X[rng.random(X.shape) < 0.1] = np.nan  # NaN branches
    X[:, 3] = np.round(X[:, 3])  # zeros
    y = (np.nan_to_num(X[:, 0]) + rng.normal(size=3000) > 0).astype(float)
    b = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_leaves": 15, "min_data_in_leaf": 20},
        lgb.Dataset(X, y),
        num_boost_round=30,
    )
    np.testing.assert_allclose(predict_raw(flatten(b), X), b.predict(X, raw_score=True), atol=1e-12)


def test_compiled_tables_are_exact_on_panel_rows(small_sim, small_model):
    X, _ = build_features(small_sim.panel, small_sim.market, small_model.codes)
    for risk, booster in small_model.boosters.items():
        cr = compile_risk(booster, risk)
        f = list(small_model.spec(risk).features)
        np.testing.assert_allclose(cr.raw(X[f].to_numpy()), small_model.raw(risk, X), atol=1e-10)


def test_compiled_tables_are_exact_on_random_grid_points(small_model):
    rng = np.random.default_rng(2)
    spec = small_model.spec("prepay")
    n = 5000
    cols = {}
    for f in spec.features:
        if f in GRIDS:
            lo, step, k = GRIDS[f]
            cols[f] = lo + step * rng.integers(0, k, n)
        else:
            cols[f] = rng.normal(700 if f == "fico" else 5, 40 if f == "fico" else 3, n)
    X = pd.DataFrame(cols)
    cr = compile_risk(small_model.boosters["prepay"], "prepay")
    np.testing.assert_allclose(cr.raw(X.to_numpy()), small_model.raw("prepay", X), atol=1e-10)


def test_unconstrained_trees_refuse_to_compile():
    rng = np.random.default_rng(3)
    spec = RISK_SPECS["prepay"]
    X = pd.DataFrame({f: rng.normal(size=3000) for f in spec.features})
    y = ((X["fico"] * X["incentive"] + rng.normal(size=3000)) > 0).astype(float)
    b = fit_gbm(X, y, spec, rounds=20, grouping="none")
    with pytest.raises(ModelError, match="mixing loan covariates"):
        compile_risk(b, "prepay")


def test_grid_index_clamps():
    assert grid_index(np.array([-99.0, 0.0, 0.05, 99.0]), "incentive").tolist() == [
        0,
        300,
        301,
        600,
    ]

"""Out-of-time training on a small ground-truth panel: the model learns the known hazards."""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.errors import ModelError
from trancheflow.models.simulate import simulate_panel
from trancheflow.models.train import evaluate_model, train_hazard_model


@pytest.fixture(scope="module")
def fitted():
    sim = simulate_panel(2500, seed=21, originate=("2012-01", "2019-12"), end="2022-12")
    model = train_hazard_model(sim.panel, sim.market, split="2021-01", rounds=200)
    return sim, model, evaluate_model(model, sim.panel, sim.market, truth=sim.truth_prob)


def test_model_beats_the_standard_curves_and_nears_the_truth(fitted):
    _, _, ev = fitted
    p = ev["prepay"]
    assert p["lightgbm"].auc > p["psa100"].auc + 0.1
    assert p["lightgbm"].auc > p["refi_scurve"].auc
    assert p["lightgbm"].auc > p["truth"].auc - 0.04  # small panel: a loose bound
    assert ev["default"]["lightgbm"].log_loss < ev["default"]["sda100"].log_loss
    # log-loss of the truth is the floor any forecaster can reach (up to noise)
    assert p["lightgbm"].log_loss < p["psa100"].log_loss
    assert p["truth"].max_decile_err == 0.0


def test_mean_forecast_is_calibrated_out_of_time(fitted):
    _, _, ev = fitted
    for risk in ("prepay", "default"):
        s, t = ev[risk]["lightgbm"], ev[risk]["truth"]
        assert s.mean_forecast == pytest.approx(t.mean_forecast, rel=0.15), risk


def test_contributions_sum_to_the_log_odds(fitted):
    sim, model, _ = fitted
    from trancheflow.models.features import build_features

    X, has = build_features(sim.panel, sim.market, model.codes)
    rows = X[has].iloc[:500]
    c = model.contributions("prepay", rows)
    np.testing.assert_allclose(c.sum(axis=1).to_numpy(), model.raw("prepay", rows), atol=1e-9)
    assert c["incentive"].abs().mean() > c["property_type"].abs().mean()


def test_metadata_records_the_window_and_data(fitted):
    _, model, _ = fitted
    m = model.meta
    assert m["train_window"][1] == "2020-12" and m["test_from"] == "2021-01"
    assert len(m["data_hash"]) == 64 and m["grouping"] == "additive"


def test_split_outside_the_panel_is_named():
    sim = simulate_panel(100, seed=1)
    with pytest.raises(ModelError, match="inside the panel"):
        train_hazard_model(sim.panel, sim.market, split="2030-01")


def test_logistic_baseline_recovers_a_known_slope():
    from trancheflow.models.hazard import RISK_SPECS, fit_logistic

    rng = np.random.default_rng(4)
    spec = RISK_SPECS["default"]
    import pandas as pd

    X = pd.DataFrame({f: rng.normal(size=6000) for f in spec.features})
    z = -2.0 + 1.5 * X["fico"]
    y = (rng.random(6000) < 1 / (1 + np.exp(-z))).astype(float)
    pipe = fit_logistic(X, y, spec)
    p = pipe.predict_proba(X[list(spec.features)])[:, 1]
    from trancheflow.models.metrics import auc

    true_p = 1 / (1 + np.exp(-z))
    assert auc(y, p) > auc(y, true_p) - 0.02
    assert abs(p.mean() - y.mean()) < 0.01

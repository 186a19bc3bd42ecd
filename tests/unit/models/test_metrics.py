"""Scores against scikit-learn's implementations (written independently of ours)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from trancheflow.errors import ModelError
from trancheflow.models.metrics import auc, brier, decile_table, log_loss, score


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 400))
def test_auc_logloss_brier_match_sklearn(seed, n):
    rng = np.random.default_rng(seed)
    p = np.round(rng.random(n), 2)  # ties included
    y = (rng.random(n) < p).astype(float)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    q = np.clip(p, 1e-6, 1 - 1e-6)
    assert log_loss(y, q) == pytest.approx(sk_log_loss(y, q), rel=1e-10)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)


def test_decile_table_against_truth():
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.001, 0.05, 50_000)
    y = (rng.random(truth.size) < truth).astype(float)
    t = decile_table(y, 1.2 * truth, truth)
    np.testing.assert_allclose(t["rel_err_true"], 0.2, atol=1e-12)
    assert t["rows"].sum() == truth.size
    s = score(y, truth, truth)
    assert s.max_decile_err == pytest.approx(0.0, abs=1e-12)
    assert s.auc > 0.6


def test_bad_forecasts_are_named():
    with pytest.raises(ModelError, match=r"\[0, 1\]"):
        auc(np.array([0.0, 1.0]), np.array([0.2, 1.5]))
    with pytest.raises(ModelError, match="match"):
        brier(np.array([0.0, 1.0]), np.array([0.2]))

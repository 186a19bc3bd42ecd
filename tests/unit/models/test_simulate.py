"""Ground-truth simulator: the panel obeys the schema and the hazards it claims."""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.errors import ModelError
from trancheflow.models.features import (
    STATUS_CODES,
    CategoryCodes,
    build_features,
    burnout_of,
    from_panel,
)
from trancheflow.models.simulate import market_path, simulate_panel


@pytest.fixture(scope="module")
def sim():
    return simulate_panel(1500, seed=11)


def test_panel_round_trips_through_the_panel_schema(sim):
    panel = sim.panel.to_panel()  # validate_panel runs inside
    back = from_panel(panel)
    assert back.n_rows == sim.panel.n_rows
    np.testing.assert_array_equal(back.status, sim.panel.status)
    np.testing.assert_allclose(back.upb, sim.panel.upb)


def test_features_of_the_panel_reproduce_the_true_probabilities(sim):
    # the simulator computed its hazards month by month; build_features recomputes the
    # same features from the rows alone: the true probabilities must come out identical
    lm = sim.panel
    X, has = build_features(lm, sim.market, CategoryCodes.fit(lm.loans))
    static = sim.hazards.loan_logits(lm.loans)
    p = sim.hazards.probabilities(
        static, lm.loan_idx.astype(np.int64), {k: X[k].to_numpy() for k in X}
    )
    for risk, truth in sim.truth_prob.items():
        m = ~np.isnan(truth)
        assert m.any() and np.all(has[m])
        np.testing.assert_array_equal(p[risk][m], truth[m])


def test_event_frequencies_match_the_true_probabilities(sim):
    # realized events vs the sum of true probabilities: within 4 binomial standard errors
    lm = sim.panel
    prev = lm.prev_index()
    sp = np.where(prev >= 0, lm.status[np.maximum(prev, 0)], -1)
    cases = {
        "prepay": (sp == STATUS_CODES["current"], lm.status == STATUS_CODES["prepaid"]),
        "default": (sp == STATUS_CODES["current"], lm.status == STATUS_CODES["d30"]),
        "cure": ((sp >= 1) & (sp <= 3), lm.status == STATUS_CODES["current"]),
    }
    for risk, (at, ev) in cases.items():
        p = sim.truth_prob[risk][at]
        assert not np.isnan(p).any()
        sd = np.sqrt((p * (1 - p)).sum())
        assert abs(ev[at].sum() - p.sum()) < 4 * sd + 1, risk


def test_terminal_statuses_end_loans_and_losses_only_on_defaults(sim):
    lm = sim.panel
    last = np.r_[lm.loan_idx[1:] != lm.loan_idx[:-1], True]
    terminal = lm.status >= STATUS_CODES["prepaid"]
    assert not np.any(terminal & ~last)
    assert np.all(np.isnan(lm.loss[lm.status != STATUS_CODES["default"]]))
    assert np.all(lm.loss[lm.status == STATUS_CODES["default"]] >= 0)
    assert np.all(lm.upb[terminal] == 0)


def test_refinancing_responds_to_the_incentive(sim):
    lm = sim.panel
    X, _ = build_features(lm, sim.market, CategoryCodes.fit(lm.loans))
    p = sim.truth_prob["prepay"]
    m = ~np.isnan(p)
    inc = X["incentive"].to_numpy()[m]
    assert p[m][inc > 1.5].mean() > 3 * p[m][inc < -0.5].mean()


def test_burnout_rounds_half_up_in_integer_units():
    assert burnout_of(np.array([0, 9, 10, 30, 10**9])).tolist() == [0.0, 0.0, 1.0, 2.0, 400.0]


def test_bad_windows_are_named():
    with pytest.raises(ModelError, match="inside the market path"):
        simulate_panel(10, end="2030-01")
    with pytest.raises(ModelError, match="before its start"):
        market_path("2020-01", "2019-01")


def test_same_seed_same_panel():
    a, b = simulate_panel(200, seed=5), simulate_panel(200, seed=5)
    np.testing.assert_array_equal(a.panel.status, b.panel.status)
    np.testing.assert_array_equal(a.market.mortgage_rate, b.market.mortgage_rate)

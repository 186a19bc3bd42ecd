"""Insurance-fund sizing: monotone in the fund, no fund without defaults, the
bisection lands on the target within its tolerance, seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.analytics.insurance import (
    draw_loss_scenarios,
    loss_probability_curve,
    size_insurance_fund,
)
from trancheflow.deal.spec import DealSpec
from trancheflow.errors import AnalyticsError


def spec(default="CDR 6", severity=0.5, insurance=None):
    return DealSpec.model_validate(
        {
            "deal": "INS-T",
            "collateral": {
                "rep_lines": [
                    {
                        "balance": 1_000_000,
                        "gross_rate": 0.07,
                        "net_rate": 0.065,
                        "term": 72,
                        "wam": 72,
                    }
                ]
            },
            "assumptions": {
                "prepay": "CPR 6",
                "default": default,
                "severity": severity,
                "recovery_lag": 3,
            },
            "tranches": [
                {"name": "A", "balance": 880_000, "coupon": 0.05},
                {"name": "B", "balance": 60_000, "coupon": 0.06},
                {"name": "C", "balance": 40_000, "coupon": 0.07},
                {"name": "R", "residual": True},
            ],
            "insurance": insurance or {"premium_rate": 0.001},
        }
    )


N = 80


def test_bigger_fund_never_raises_the_loss_probability():
    curve = loss_probability_curve(
        spec(), [0, 5_000, 10_000, 20_000, 40_000, 80_000, 200_000], n_scenarios=N
    )
    p = curve["loss_probability"].to_numpy()
    assert p[0] > 0.2 and p[-1] == 0.0  # the scenarios do reach the junior
    assert (np.diff(p) <= 0).all()
    assert (np.diff(curve["expected_loss"].to_numpy()) <= 1e-6).all()


def test_no_defaults_need_no_fund():
    s = size_insurance_fund(spec(default="CDR 0"), target_probability=0.0, n_scenarios=20)
    assert s.fund_size == 0.0 and s.loss_probability == 0.0
    assert s.loss_probability_without == 0.0 and s.expected_cover == 0.0
    assert s.expected_premium > 0  # the premium is paid whatever the losses


@pytest.mark.parametrize("target", [0.0, 0.05, 0.2])
def test_bisection_hits_the_target_within_tolerance(target):
    s = size_insurance_fund(spec(), target_probability=target, n_scenarios=N, rtol=1e-3)
    assert s.loss_probability <= target < s.loss_probability_without
    assert 0 < s.fund_size_tolerance <= max(1e-3 * s.fund_size, 1e-6)
    below = loss_probability_curve(
        spec(), [s.fund_size - s.fund_size_tolerance, s.fund_size], n_scenarios=N
    )["loss_probability"].tolist()
    assert below[0] > target >= below[1] == s.loss_probability
    # with the fund, the junior loses less in every scenario
    assert (s.tranche_loss <= s.tranche_loss_without + 1e-6).all()
    assert s.expected_cover > 0


def test_seeded_scenarios_are_reproducible():
    a = size_insurance_fund(spec(), target_probability=0.05, n_scenarios=40, seed=7)
    b = size_insurance_fund(spec(), target_probability=0.05, n_scenarios=40, seed=7)
    assert a.fund_size == b.fund_size
    np.testing.assert_array_equal(a.tranche_loss, b.tranche_loss)
    c = draw_loss_scenarios(spec(), 40, seed=8)
    assert not np.array_equal(a.scenarios.cdr_multiplier, c.cdr_multiplier)


def test_scenario_draws_have_the_documented_moments():
    s = draw_loss_scenarios(spec(severity=0.3), 200_000, seed=1, cdr_sigma=0.5, severity_sigma=0.2)
    # lognormal multiplier with mean 1 and log-sd sigma; severity around 0.3
    assert abs(s.cdr_multiplier.mean() - 1.0) < 0.01
    assert abs(np.log(s.cdr_multiplier).std() - 0.5) < 0.005
    assert abs(s.severity.mean() - 0.3) < 0.003


def test_the_cap_can_make_the_target_unreachable():
    capped = spec(insurance={"premium_rate": 0.001, "cap_per_period": 1})
    with pytest.raises(AnalyticsError, match="cap"):
        size_insurance_fund(capped, target_probability=0.0, n_scenarios=20)


@pytest.mark.parametrize(
    "kw, rule",
    [
        ({"target_probability": 1.0}, "target_probability"),
        ({"tranche": "Z"}, "tranche 'Z'"),
        ({"n_scenarios": 0}, "n_scenarios"),
    ],
)
def test_bad_arguments_are_named(kw, rule):
    with pytest.raises(AnalyticsError, match=rule):
        size_insurance_fund(spec(), **kw)


def test_explicit_assumptions_are_used_as_scenarios():
    from trancheflow.collateral import Assumptions

    calm = [Assumptions("CPR 6", "CDR 0")] * 3
    s = size_insurance_fund(spec(), target_probability=0.0, scenarios=calm)
    assert s.fund_size == 0.0 and s.scenarios is None and s.tranche_loss.shape == (3,)
    stressed = [Assumptions("CPR 6", "CDR 20", severity=0.6, recovery_lag=3)] * 2
    s = size_insurance_fund(spec(), target_probability=0.0, scenarios=stressed)
    assert s.fund_size > 0 and s.loss_probability == 0.0
    with pytest.raises(AnalyticsError, match="sequence of Assumptions"):
        size_insurance_fund(spec(), scenarios=["CDR 2"])

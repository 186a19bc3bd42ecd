"""Projection over loans x paths x months (collateral.path_kernel)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trancheflow.collateral import Assumptions, RepLine, cpr_to_smm, project_pool
from trancheflow.collateral.path_kernel import path_accumulators, project_paths
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.collateral.projection import CASHFLOW_COLUMNS, _columns
from trancheflow.errors import ModelError
from trancheflow.tape import generate_tape

COL = {c: k for k, c in enumerate(CASHFLOW_COLUMNS)}


@pytest.fixture(scope="module")
def tape() -> pd.DataFrame:
    return generate_tape(300, seed=7)


@pytest.mark.parametrize(
    "assumptions",
    [
        Assumptions("CPR 8", "CDR 0"),
        Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=12),
        Assumptions("CPR 6", "CDR 2", severity=0.4, recovery_lag=6, advance=False),
        Assumptions("SMM 1", "MDR 1", severity=0.2, recovery_lag=0),
    ],
    ids=str,
)
def test_constant_speed_reproduces_project_pool(
    tape: pd.DataFrame, assumptions: Assumptions
) -> None:
    """With the model off, every path is exactly the deterministic BMA projection."""
    expected = project_pool(tape, assumptions).drop(columns="period").to_numpy()
    rates = np.random.default_rng(1).uniform(0.02, 0.1, size=(3, expected.shape[0]))
    cube = project_paths(tape, None, rates, assumptions)
    assert cube.shape == (3, *expected.shape)
    for p in range(3):
        np.testing.assert_allclose(cube[p], expected, rtol=1e-12, atol=1e-6)


def test_rep_lines_reproduce_project_pool() -> None:
    lines = [
        RepLine(1e6, 0.07, 0.065, 360, 348, 12),
        RepLine(5e5, 0.06, 0.055, 360, 120, 240, amortization_type="balloon", balloon_term=300),
    ]
    a = Assumptions("PSA 200", "SDA 150", severity=0.3, recovery_lag=9)
    expected = project_pool(lines, a, n_periods=360).drop(columns="period").to_numpy()
    cube = project_paths(lines, None, np.full((2, 360), 0.05), a, n_periods=360)
    np.testing.assert_allclose(cube[1], expected, rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("shape", ["arctan", "logistic"])
def test_lean_kernel_equals_general_kernel(tape: pd.DataFrame, shape: str) -> None:
    """The Monte Carlo kernel (loans innermost, blocks) in float64 equals the general
    kernel (paths in the lanes, BMA step) to rounding; in float32 to 1e-6 of the pool."""
    rates = 0.06 + 0.01 * np.random.default_rng(2).standard_normal((11, 360))
    a = Assumptions("CPR 0", "CDR 0")
    m = RefiPrepayModel(s_curve=shape)  # type: ignore[arg-type]
    lean = path_accumulators(tape, m, rates, a, start_month_of_year=5)
    general = path_accumulators(tape, m, rates, a, start_month_of_year=5, lean=False)
    np.testing.assert_allclose(lean, general, rtol=1e-11, atol=1e-6)
    f32 = path_accumulators(tape, m, rates, a, start_month_of_year=5, precision="float32")
    pool = float(tape["current_balance"].sum())
    assert np.abs(f32 - general).max() < 1e-6 * pool


def _reference_one_loan(
    line: RepLine, model: RefiPrepayModel, rates: np.ndarray, start_moy: int
) -> np.ndarray:
    """Plain-Python projection of one level-pay loan, no defaults: voluntary prepayments."""
    bal, r, n = line.balance, line.gross_rate / 12, line.wam
    surv, vols = 1.0, []
    for t in range(1, n + 1):
        moy = (start_moy - 1 + t - 1) % 12 + 1
        cpr = float(
            model.cpr(
                line.gross_rate, rates[t - 1], line.wala + t, survival=surv, month_of_year=moy
            )
        )
        smm = float(cpr_to_smm(cpr))
        surv *= 1.0 - smm
        sched = bal * r / (1 - (1 + r) ** -(n - t + 1)) - bal * r
        vol = (bal - sched) * smm
        vols.append(vol)
        bal = bal - sched - vol
    return np.array(vols)


@pytest.mark.parametrize("shape", ["arctan", "logistic"])
@pytest.mark.parametrize("kind", ["spread", "ratio"])
@pytest.mark.parametrize("precision", ["float64", "general"])
def test_model_matches_plain_python_reference(kind: str, shape: str, precision: str) -> None:
    line = RepLine(1e5, 0.065, 0.06, 360, 300, 60)
    model = RefiPrepayModel(
        s_curve=shape,  # type: ignore[arg-type]
        incentive=kind,  # type: ignore[arg-type]
        midpoint=1.5 if kind == "spread" else 20.0,
        slope=2.5 if kind == "spread" else 0.2,
    )
    rates = 0.055 + 0.015 * np.sin(np.arange(300) / 20.0)
    a = Assumptions("CPR 0", "CDR 0")
    acc = path_accumulators(
        line, model, rates[None, :], a, start_month_of_year=3, lean=precision != "general"
    )
    cube = _columns(acc[0], a)[None]
    ref = _reference_one_loan(line, model, rates, 3)
    # the kernel's arctan and root approximations cost < 1e-6 relative
    np.testing.assert_allclose(cube[0, :, COL["voluntary_prepayment"]], ref, rtol=1e-6, atol=1e-8)


def test_balances_conserve_on_every_path(tape: pd.DataFrame) -> None:
    rates = 0.06 + 0.015 * np.random.default_rng(3).standard_normal((5, 360))
    a = Assumptions("CPR 0", "SDA 200", severity=0.4, recovery_lag=12)
    cube = project_paths(tape, RefiPrepayModel(), rates, a)
    drop = cube[:, :, COL["beginning_balance"]] - cube[:, :, COL["ending_balance"]]
    np.testing.assert_allclose(
        drop, cube[:, :, COL["total_principal"]] + cube[:, :, COL["loss"]], atol=1e-5
    )
    total = cube[:, :, COL["total_principal"]].sum(1) + cube[:, :, COL["loss"]].sum(1)
    np.testing.assert_allclose(total, tape["current_balance"].sum(), rtol=1e-10)


def test_lower_rates_prepay_faster(tape: pd.DataFrame) -> None:
    rates = np.vstack([np.full(360, r) for r in (0.09, 0.07, 0.05, 0.03)])
    cube = project_paths(tape, RefiPrepayModel(), rates, Assumptions("CPR 0", "CDR 0"))
    prepaid = cube[:, :, COL["voluntary_prepayment"]].sum(1)
    assert np.all(np.diff(prepaid) > 0)


def test_bad_mortgage_rates_are_rejected() -> None:
    line = RepLine(1e5, 0.065, 0.06, 360, 360, 0)
    with pytest.raises(ModelError, match=r"need \(n_paths, >= 360\)"):
        project_paths(line, RefiPrepayModel(), np.zeros((2, 100)), Assumptions("CPR 0", "CDR 0"))
    with pytest.raises(ModelError, match="start_month_of_year 13"):
        project_paths(
            line,
            RefiPrepayModel(),
            np.zeros((2, 360)),
            Assumptions("CPR 0", "CDR 0"),
            start_month_of_year=13,
        )

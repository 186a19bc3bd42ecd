"""The rate-driven prepayment model: S-curve, burnout, seasoning, seasonality, YAML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from trancheflow.collateral import Assumptions, RepLine
from trancheflow.collateral.path_kernel import project_paths
from trancheflow.collateral.prepay_model import (
    DEFAULT_PARAMETERS,
    RefiPrepayModel,
    kernel_coefficients,
    load_prepay_model,
    model_smm,
)
from trancheflow.collateral.projection import CASHFLOW_COLUMNS
from trancheflow.errors import ModelError

ROOT = Path(__file__).resolve().parents[3]
SMM = CASHFLOW_COLUMNS.index("smm")


@pytest.mark.parametrize("shape", ["arctan", "logistic"])
@given(a=st.floats(-10, 10), b=st.floats(-10, 10))
def test_s_curve_is_monotone_and_bounded(shape: str, a: float, b: float) -> None:
    m = RefiPrepayModel(s_curve=shape)
    lo, hi = sorted((a, b))
    r_lo, r_hi = m.refi_cpr(lo), m.refi_cpr(hi)
    assert m.turnover_cpr <= r_lo <= r_hi + 1e-15 <= m.turnover_cpr + m.refi_max_cpr + 1e-15


@given(n1=st.floats(0.02, 0.12), n2=st.floats(0.02, 0.12), mrate=st.floats(0.02, 0.12))
def test_cpr_increases_with_note_rate_and_is_capped(n1: float, n2: float, mrate: float) -> None:
    m = RefiPrepayModel()
    lo, hi = sorted((n1, n2))
    c_lo, c_hi = m.cpr(lo, mrate, 60), m.cpr(hi, mrate, 60)
    assert c_lo <= c_hi + 1e-15
    assert c_hi <= m.cap_cpr


def test_midpoint_is_half_height_and_ratio_incentive() -> None:
    m = RefiPrepayModel(incentive="ratio", midpoint=10.0)
    # note/mortgage - 1 = 10% exactly at 0.066 vs 0.06
    assert float(m.incentive_of(0.066, 0.06)) == pytest.approx(10.0)
    assert float(m.refi_cpr(10.0)) == pytest.approx(m.turnover_cpr + m.refi_max_cpr / 2)


def test_seasoning_ramp_and_seasonality_average_one() -> None:
    m = RefiPrepayModel()
    assert np.mean(m.seasonality) == pytest.approx(1.0, abs=1e-12)
    assert m.seasoning([0, 15, 30, 200]).tolist() == [0.0, 0.5, 1.0, 1.0]
    # a seasoned loan in November (published x1.23) prepays 1.23 / 0.94 times its January speed
    jan = m.cpr(0.06, 0.07, 100, month_of_year=1)
    nov = m.cpr(0.06, 0.07, 100, month_of_year=11)
    assert nov / jan == pytest.approx(1.23 / 0.94, rel=1e-5)


def test_seasonality_must_average_one() -> None:
    with pytest.raises(ModelError, match=r"seasonality.*average 1"):
        RefiPrepayModel(seasonality=(1.1,) * 12)
    with pytest.raises(ModelError, match="12 finite"):
        RefiPrepayModel(seasonality=(1.0,) * 11)


def test_burnout_reduces_speeds_after_exposure() -> None:
    """Two paths end at the same mortgage rate; the one that first spent two years
    deep in the money (and whose borrowers prepaid) prepays slower afterwards."""
    line = RepLine(1e6, 0.07, 0.065, 360, 360, 60)
    flat = np.full(360, 0.065)
    exposed = flat.copy()
    exposed[:24] = 0.045
    a = Assumptions("CPR 0", "CDR 0")
    cube = project_paths(line, RefiPrepayModel(), np.vstack([flat, exposed]), a)
    later = slice(30, 60)
    assert np.all(cube[1, later, SMM] < cube[0, later, SMM])
    no_burn = project_paths(line, RefiPrepayModel(burnout_floor=1.0), np.vstack([flat, exposed]), a)
    np.testing.assert_allclose(no_burn[1, later, SMM], no_burn[0, later, SMM], rtol=1e-12)


def test_burnout_multiplier_is_bounded_below() -> None:
    m = RefiPrepayModel(burnout_floor=0.3)
    assert m.burnout_multiplier([0.0, 0.5, 1.0]).tolist() == pytest.approx([0.3, 0.65, 1.0])
    # a fully burned-out loan still responds to its incentive (damped, never reversed)
    assert m.cpr(0.08, 0.05, 60, survival=0.0) > m.cpr(0.08, 0.07, 60, survival=0.0)


def test_published_richard_roll_speeds() -> None:
    """The defaults reproduce the published RI function 0.28 + 0.14 atan(-8.57 + 430 (WAC - r10))
    with the mortgage rate at r10 + 1.7% (seasoned, no burnout, seasonality 1)."""
    m = RefiPrepayModel()
    for wac, r10 in [(0.07, 0.04), (0.07, 0.05), (0.07, 0.053), (0.06, 0.06), (0.09, 0.05)]:
        published = 0.28 + 0.14 * np.arctan(-8.57 + 430 * (wac - r10))
        assert float(m.cpr(wac, r10 + 0.017, 60)) == pytest.approx(published, abs=2e-6)
    # PSA: 6% CPR seasoned turnover out of the money, 30-month ramp
    deep = m.cpr(0.04, 0.10, np.array([1, 15, 30, 60]))
    np.testing.assert_allclose(deep / deep[-1], [1 / 30, 0.5, 1.0, 1.0])
    assert 0.06 < float(deep[-1]) < 0.066  # 600bp out of the money: the arctan tail


def test_default_yaml_matches_defaults() -> None:
    m = load_prepay_model(ROOT / "examples/models/prepay_default.yaml")
    assert m == RefiPrepayModel()
    assert m.as_dict() == DEFAULT_PARAMETERS


def test_yaml_errors_name_file_and_key(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text("refi_max: 0.5\n")
    with pytest.raises(ModelError, match=r"m\.yaml.*unknown prepay model key.*refi_max"):
        load_prepay_model(p)
    p.write_text("cap_cpr: 1.5\n")
    with pytest.raises(ModelError, match=r"m\.yaml.*cap_cpr=1\.5"):
        load_prepay_model(p)
    p.write_text("prepay_model:\n  slope: fast\n")
    with pytest.raises(ModelError, match=r"m\.yaml.*slope='fast'"):
        load_prepay_model(p)
    p.write_text("prepay_model: [1, 2]\n")
    with pytest.raises(ModelError, match=r"m\.yaml.*mapping"):
        load_prepay_model(p)
    with pytest.raises(ModelError, match="cannot read"):
        load_prepay_model(tmp_path / "missing.yaml")


@pytest.mark.parametrize("shape", ["arctan", "logistic"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_model_matches_formulas(shape: str, dtype: type) -> None:
    """The kernels' vectorisable model function against the numpy formulas."""
    m = RefiPrepayModel(s_curve=shape)  # type: ignore[arg-type]
    rng = np.random.default_rng(5)
    n = 20_000
    note, mr = rng.uniform(0.02, 0.12, n), rng.uniform(0.02, 0.12, n)
    age, s, moy = rng.integers(1, 400, n), rng.uniform(0, 1, n), rng.integers(1, 13, n)
    ref = m.cpr(note, mr, age, survival=s, month_of_year=moy)
    ref_smm = -np.expm1(np.log1p(-ref) / 12)
    zn, za, zb = m.incentive_coordinates(note, mr)
    scale = m.seasoning(age) * np.asarray(m.seasonality)[moy - 1]
    got = _eval_smm(
        m.kind,
        (zn * za - zb).astype(dtype),
        scale.astype(dtype),
        s.astype(dtype),
        tuple(m.kernel_params().astype(dtype)),
        kernel_coefficients(dtype),
    )
    tol = 2e-7 if dtype is np.float64 else 1e-5
    np.testing.assert_allclose(got, ref_smm, rtol=tol, atol=1e-9)


@njit
def _eval_smm(kind, z, scale, s, p, c):  # type: ignore[no-untyped-def]
    out = np.empty(z.size)
    for i in range(z.size):
        out[i] = model_smm(kind, z[i], scale[i], s[i], p, c)
    return out

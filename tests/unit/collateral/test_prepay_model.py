"""The rate-driven prepayment model: S-curve, burnout, seasoning, seasonality, YAML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.collateral import Assumptions, RepLine
from trancheflow.collateral.path_kernel import project_paths
from trancheflow.collateral.prepay_model import (
    DEFAULT_PARAMETERS,
    RefiPrepayModel,
    load_prepay_model,
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
    assert 0.0 <= r_lo <= r_hi + 1e-15 <= m.refi_max_cpr + 1e-15


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
    assert float(m.refi_cpr(10.0)) == pytest.approx(m.refi_max_cpr / 2)


def test_seasoning_ramp_and_seasonality_average_one() -> None:
    m = RefiPrepayModel()
    assert np.mean(m.seasonality) == pytest.approx(1.0, abs=1e-12)
    assert m.seasoning([0, 15, 30, 200]).tolist() == [0.0, 0.5, 1.0, 1.0]
    # a seasoned loan in June (x1.2) prepays 1.2 / 0.8 times its January speed
    jan = m.cpr(0.06, 0.07, 100, month_of_year=1)
    jun = m.cpr(0.06, 0.07, 100, month_of_year=6)
    assert jun / jan == pytest.approx(1.2 / 0.8)


def test_seasonality_must_average_one() -> None:
    with pytest.raises(ModelError, match=r"seasonality.*average 1"):
        RefiPrepayModel(seasonality=(1.1,) * 12)
    with pytest.raises(ModelError, match="12 finite"):
        RefiPrepayModel(seasonality=(1.0,) * 11)


def test_burnout_reduces_speeds_after_exposure() -> None:
    """Two paths end at the same mortgage rate; the one that first spent two years
    deep in the money (and whose borrowers burned out) prepays slower afterwards."""
    line = RepLine(1e6, 0.07, 0.065, 360, 360, 60)
    flat = np.full(360, 0.065)
    exposed = flat.copy()
    exposed[:24] = 0.045
    a = Assumptions("CPR 0", "CDR 0")
    cube = project_paths(line, RefiPrepayModel(), np.vstack([flat, exposed]), a)
    later = slice(30, 60)
    assert np.all(cube[1, later, SMM] < cube[0, later, SMM])
    no_burn = project_paths(line, RefiPrepayModel(burnout=0.0), np.vstack([flat, exposed]), a)
    np.testing.assert_allclose(no_burn[1, later, SMM], no_burn[0, later, SMM], rtol=1e-12)


def test_burnout_factor_formula() -> None:
    m = RefiPrepayModel(burnout=0.02)
    # 100bp incentive for 12 months -> exp(-0.24)
    assert float(np.prod([m.burnout_decay(1.0)] * 12)) == pytest.approx(np.exp(-0.24))
    assert float(m.burnout_decay(-3.0)) == 1.0  # no decay out of the money


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
    with pytest.raises(ModelError, match="cannot read"):
        load_prepay_model(tmp_path / "missing.yaml")


def test_kernel_tables_match_formulas() -> None:
    m = RefiPrepayModel()
    refi, decay, smm = m.kernel_tables()
    grid = np.linspace(*m.incentive_grid())
    np.testing.assert_allclose(refi, m.refi_cpr(grid), rtol=1e-15)
    np.testing.assert_allclose(decay, m.burnout_decay(grid), rtol=1e-15)
    cpr = np.linspace(0, m.cap_cpr, smm.size)
    np.testing.assert_allclose(1 - (1 - smm) ** 12, cpr, atol=1e-12)

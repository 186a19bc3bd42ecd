"""ML-driven path projection: conservation, rate response, and agreement with the model."""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.analytics.montecarlo import MonteCarloSettings
from trancheflow.analytics.oas import oas_from_price, price_from_oas
from trancheflow.collateral.projection import CASHFLOW_COLUMNS
from trancheflow.models.features import CategoryCodes, loan_features
from trancheflow.models.pricing import (
    compile_model,
    loans_from_tape,
    ml_path_values,
    project_paths_ml,
)
from trancheflow.rates import ZeroCurve
from trancheflow.tape import generate_tape

C = {c: i for i, c in enumerate(CASHFLOW_COLUMNS)}


@pytest.fixture(scope="module")
def compiled(small_model):
    return compile_model(small_model)


def test_principal_is_conserved_and_rates_drive_speed(compiled):
    tape = generate_tape(40, seed=4)
    rates = np.array([[0.09] * 360, [0.06] * 360, [0.02] * 360])
    cf = project_paths_ml(tape, compiled, rates)
    total = cf[..., C["total_principal"]].sum(axis=1)
    # float32 kernel: balances to single precision
    np.testing.assert_allclose(total, tape["current_balance"].sum(), rtol=1e-6)
    wal = (cf[..., C["total_principal"]] * np.arange(1, cf.shape[1] + 1)).sum(1) / total
    assert wal[0] > wal[1] > wal[2]


def test_one_loan_first_month_smm_matches_the_model(small_model, compiled):
    # month 1 of a single loan: kernel SMM == model prepay + buyout from the boosters themselves
    tape = generate_tape(1, seed=9)
    tape.loc[:, "amortization_type"] = "level_pay"
    rate = 0.04
    cf = project_paths_ml(tape, compiled, np.full((1, 360), rate), start_month_of_year=5)
    smm = cf[0, 0, C["smm"]]
    loans = loans_from_tape(tape)
    import pandas as pd

    static = loan_features(loans, small_model.codes)
    ltv = 100 * tape["current_balance"].iloc[0] / tape["property_value"].iloc[0]
    row = {
        **dict(static.items()),
        "incentive": np.round((100 * tape["note_rate"].to_numpy() - 100 * rate) / 0.05) * 0.05,
        "burnout": [0.0],
        "loan_age": tape["loan_age"].to_numpy() + 1.0,
        "month_of_year": [5.0],
        "mtm_ltv": [np.round(ltv / 0.5) * 0.5],
    }
    X = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in row.items()})
    p = small_model.predict("prepay", X)[0]
    d = small_model.predict("default", X)[0]
    roll = 1.0
    for s in (1, 2, 3):
        roll *= 1 - small_model.predict("cure", X.assign(status=float(s)))[0]
    assert smm == pytest.approx(p + d * roll, rel=1e-6)


def test_ml_oas_round_trips_its_price(compiled):
    tape = generate_tape(30, seed=5)
    curve = ZeroCurve([1.0, 30.0], [0.04, 0.045])
    v = ml_path_values(tape, compiled, curve, MonteCarloSettings(n_paths=16, seed=3, workers=1))
    oas = oas_from_price(v, 101.0)[0]
    assert price_from_oas(v, oas)[0][0] == pytest.approx(101.0, abs=1e-8)


def test_unknown_categories_do_not_break_scoring(compiled):
    tape = generate_tape(5, seed=6)
    tape["state"] = "PR"  # may be unseen in training: coded NaN, missing branch
    cf = project_paths_ml(tape, compiled, np.full((1, 360), 0.05))
    assert np.all(np.isfinite(cf))
    assert CategoryCodes({"state": ("CA",)}).encode("state", ["PR"])[0] != 0


def test_deterministic_projection_is_the_one_path_cube(compiled):
    from trancheflow.models.pricing import project_pool_ml

    tape = generate_tape(25, seed=7)
    path = np.linspace(0.07, 0.04, 360)
    df = project_pool_ml(tape, compiled, path, start_month_of_year=3)
    cube = project_paths_ml(tape, compiled, path[None, :], start_month_of_year=3)
    np.testing.assert_array_equal(df[list(CASHFLOW_COLUMNS)].to_numpy(), cube[0])
    assert df["period"].iloc[0] == 1


def test_float32_block_kernel_matches_the_float64_lane_kernel(compiled):
    from trancheflow.models.pricing import ml_path_accumulators

    tape = generate_tape(300, seed=12)
    rng = np.random.default_rng(0)
    rates = 0.06 + np.cumsum(rng.normal(size=(20, 360)) * 0.001, axis=1)
    a = ml_path_accumulators(tape, compiled, rates, engine="lanes")
    b = ml_path_accumulators(tape, compiled, rates, engine="blocks")
    for k in range(a.shape[2]):
        scale = max(np.abs(a[:, :, k]).max(), 1.0)
        assert np.abs(a[:, :, k] - b[:, :, k]).max() / scale < 1e-5, k

"""The ground-truth simulator with covariates drawn from a ``--like`` fit of a real file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from trancheflow.models.simulate import simulate_panel
from trancheflow.tape.freddie import origination_records
from trancheflow.tape.freddie_scan import ProblemLog
from trancheflow.tape.like import fit_like

ROOT = Path(__file__).parents[3]
FILE = ROOT / "examples" / "tapes" / "freddie_100_orig.txt"
NUMERIC = ("fico", "ltv", "cltv", "dti", "orig_upb", "orig_term")
WINDOW = {"originate": ("2012-01", "2019-12"), "end": "2021-12"}


def _source(path: Path) -> pd.DataFrame:
    return pd.concat(list(origination_records(path, ProblemLog(10))), ignore_index=True)


@pytest.fixture(scope="module")
def like_sim():
    return simulate_panel(2000, seed=4, like=fit_like(FILE), **WINDOW)


def test_covariates_follow_the_fitted_file(like_sim):
    src = _source(FILE)
    loans = like_sim.panel.loans
    for c in NUMERIC:
        a, b = loans[c].dropna(), src[c].dropna()
        assert stats.ks_2samp(a, b).pvalue > 0.05, c
        for q in (0.1, 0.5, 0.9):  # quantiles within a step of the source's
            lo, hi = np.quantile(b, [max(q - 0.06, 0), min(q + 0.06, 1)])
            assert lo <= np.quantile(a, q) <= hi, (c, q)
    for c in ("occupancy", "purpose", "property_type", "state"):
        got = loans[c].fillna("").value_counts(normalize=True)
        want = src[c].astype(object).fillna("").value_counts(normalize=True)
        for k, p in want.items():
            assert abs(got.get(k, 0.0) - p) < 0.05, (c, k)
    # the panel is a valid panel and its hazards were simulated
    assert like_sim.panel.to_panel()["status"].isin(["prepaid"]).any()


def test_a_shifted_source_moves_the_simulation_not_the_generator():
    src = _source(FILE)
    shifted = src.assign(fico=src["fico"] - 80.0, orig_term=180, ltv=src["ltv"].clip(90, 97))
    shifted["cltv"] = shifted["ltv"]
    sim = simulate_panel(800, seed=2, like=fit_like(shifted), **WINDOW)
    loans = sim.panel.loans
    assert stats.ks_2samp(loans["fico"], shifted["fico"]).pvalue > 0.05
    assert abs(loans["fico"].median() - shifted["fico"].median()) <= 10
    assert (loans["orig_term"] == 180).all()
    assert loans["ltv"].between(90, 97).all()
    base = simulate_panel(800, seed=2, **WINDOW).panel.loans
    assert stats.ks_2samp(base["fico"], loans["fico"]).pvalue < 1e-6


def test_missing_covariates_stay_missing_and_truth_is_finite():
    # the hand-made dictionary file has a 9999 credit score and a 999 DTI
    data = ROOT / "tests" / "data" / "freddie" / "sample_orig_2019.txt"
    sim = simulate_panel(400, seed=5, like=fit_like(data), **WINDOW)
    loans = sim.panel.loans
    assert loans["fico"].isna().any() and loans["fico"].notna().any()
    from trancheflow.models.train import risk_rows

    for risk, p in sim.truth_prob.items():  # defined (finite) on every row at risk
        rows, _ = risk_rows(sim.panel, risk)
        assert len(rows) > 0 and np.isfinite(p[rows]).all(), risk


def test_cli_simulate_like(tmp_path):
    from trancheflow.cli import app

    out = tmp_path / "sim"
    res = CliRunner().invoke(
        app,
        ["model", "simulate", str(out), "--loans", "300", "--like", str(FILE), "--seed", "1"],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "like" in res.output
    panel = pd.read_parquet(out / "panel.parquet")
    assert panel["loan_id"].nunique() == 300
    res = CliRunner().invoke(
        app, ["model", "simulate", str(out), "--like", str(tmp_path / "nope.txt")]
    )
    assert res.exit_code == 2

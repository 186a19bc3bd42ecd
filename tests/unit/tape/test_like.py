"""``fit_like``: sampled marginals and dependence match the source within stated tolerances.

The source below is built here with non-Gaussian margins (spikes at LTV 80
and 95, terms 360/180/240, rates on eighths, 2% "not available" DTI) and
dependence of its own shape (rate from FICO, LTV and term; investors and
cash-out at lower LTV), so the copula is tested on what it does not assume.

Tolerances (20,000 source loans, 20,000 draws):
* each numeric marginal: two-sample Kolmogorov-Smirnov distance <= 0.03
  (the 0.1% critical value for two samples of 20,000 is about 0.0195; the
  margin covers the 1/1000 quantile grid);
* missing rates within 0.01; category shares within 0.02;
* Spearman rank correlations within 0.05 of the source's;
* the investor share in the low- and high-LTV thirds within 0.04.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trancheflow.errors import TapeError
from trancheflow.tape.like import COVARIATES, NUMERIC, LikeModel, fit_like, sample_tape

N = 20_000
DATA = Path(__file__).parents[2] / "data" / "freddie"


def _source(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fico = np.clip(np.round(845 - rng.gamma(2.0, 35.0, N)), 600, 840)
    ltv = np.where(
        rng.random(N) < 0.3, 80.0, np.where(rng.random(N) < 0.15, 95.0, rng.integers(30, 98, N))
    )
    ltv = np.where(fico < 680, np.minimum(ltv + 5, 97), ltv)
    cltv = np.where(rng.random(N) < 0.1, np.minimum(ltv + rng.integers(5, 20, N), 105), ltv)
    dti = rng.integers(12, 50, N).astype(float)
    dti[rng.random(N) < 0.02] = np.nan
    term = rng.choice([360.0, 180.0, 240.0], N, p=[0.8, 0.15, 0.05])
    rate = 3.0 + 0.004 * (760 - fico) + 0.01 * (ltv - 75) - 0.5 * (term == 180)
    rate = np.round((rate + rng.normal(0, 0.15, N)) * 8) / 8
    upb = np.round(np.exp(rng.normal(12.3, 0.5, N)) / 1000) * 1000
    investor = rng.random(N) < np.where(ltv <= 60, 0.25, 0.04)
    occupancy = np.where(
        investor, "investor", np.where(rng.random(N) < 0.05, "second_home", "owner")
    )
    purpose = np.where(rng.random(N) < np.where(ltv < 70, 0.5, 0.1), "cash_out_refi", "purchase")
    state = rng.choice(["CA", "TX", "FL", "NY", "IL"], N, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    return pd.DataFrame(
        {
            "fico": fico, "ltv": ltv, "cltv": cltv, "dti": dti, "orig_rate": rate,
            "orig_upb": upb, "orig_term": term, "state": state, "occupancy": occupancy,
            "purpose": purpose, "channel": rng.choice(["retail", "broker", "correspondent"], N),
            "property_type": rng.choice(["single_family", "condo", "pud"], N, p=[0.7, 0.1, 0.2]),
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    return _source()


@pytest.fixture(scope="module")
def model(source: pd.DataFrame) -> LikeModel:
    return fit_like(source)


def _spearman(df: pd.DataFrame) -> np.ndarray:
    return df[list(NUMERIC)].corr(method="spearman").to_numpy()


def test_marginals_and_missing_rates(source: pd.DataFrame, model: LikeModel) -> None:
    draws = model.sample_covariates(N, seed=5)
    for c in NUMERIC:
        a, b = source[c].dropna(), draws[c].dropna()
        assert stats.ks_2samp(a, b).statistic <= 0.03, c
        assert abs(source[c].isna().mean() - draws[c].isna().mean()) <= 0.01, c
    assert set(draws["orig_term"]) == {360, 180, 240}
    assert set(np.unique(draws["orig_rate"] * 8 % 1)) == {0.0}  # eighths kept
    assert (draws["cltv"].dropna() >= draws.loc[draws["cltv"].notna(), "ltv"]).all()
    for c in ("state", "occupancy", "purpose", "channel", "property_type"):
        p = source[c].value_counts(normalize=True)
        q = draws[c].value_counts(normalize=True).reindex(p.index, fill_value=0)
        assert (p - q).abs().max() <= 0.02, c


def test_rank_correlations_match_and_the_check_has_power(
    source: pd.DataFrame, model: LikeModel
) -> None:
    draws = model.sample_covariates(N, seed=6)
    diff = np.abs(np.nan_to_num(_spearman(source) - _spearman(draws)))
    assert diff.max() <= 0.05
    assert _spearman(source)[0, 4] < -0.4  # rate falls with FICO in the source
    # The same check on an independent copula fails: it is not vacuous.
    independent = LikeModel(**{**model.__dict__, "corr": np.eye(len(NUMERIC)).tolist()})
    loose = np.abs(np.nan_to_num(_spearman(source) - _spearman(independent.sample_covariates(N))))
    assert loose.max() > 0.3


def test_categoricals_follow_the_credit_bucket(source: pd.DataFrame, model: LikeModel) -> None:
    draws = model.sample_covariates(N, seed=7)
    lo, hi = np.nanquantile(source["ltv"], [1 / 3, 2 / 3])
    for frame in (source, draws):
        frame_share = [
            (frame.loc[frame["ltv"] <= lo, "occupancy"] == "investor").mean(),
            (frame.loc[frame["ltv"] > hi, "occupancy"] == "investor").mean(),
        ]
        if frame is source:
            want = frame_share
        else:
            assert np.abs(np.subtract(frame_share, want)).max() <= 0.04
    assert want[0] > 3 * want[1]


def test_save_load_and_reproducible(tmp_path: Path, model: LikeModel) -> None:
    model.save(tmp_path / "like.json")
    back = LikeModel.load(tmp_path / "like.json")
    pd.testing.assert_frame_equal(back.sample_covariates(500, seed=3),
                                  model.sample_covariates(500, seed=3))  # fmt: skip
    assert not model.sample_covariates(50, seed=1).equals(model.sample_covariates(50, seed=2))
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(TapeError, match="not a trancheflow --like model"):
        LikeModel.load(tmp_path / "bad.json")


def test_fit_a_freddie_file_and_sample_a_valid_tape() -> None:
    model = fit_like(DATA / "sample_orig_2019.txt")
    assert model.n == 7 and model.missing["fico"] == pytest.approx(1 / 7)
    draws = model.sample_covariates(200, seed=0)
    assert list(draws.columns) == list(COVARIATES)
    assert set(draws["state"]) <= {"IL", "OH", "CA", "FL", "CO", "TX", "NY"}
    tape = sample_tape(model, 200, seed=0)
    assert len(tape) == 200 and tape["loan_age"].eq(0).all()
    assert tape["note_rate"].between(0.0399, 0.0499).all()


def test_too_small_a_source_is_refused() -> None:
    with pytest.raises(TapeError, match="at least 5"):
        fit_like(_source().head(3))

"""Fit the joint distribution of loan characteristics to a real file, and sample tapes like it.

``tape generate --like FILE`` and the ground-truth simulator of the models
(``fit_like(path)`` then ``model.sample_covariates(n, seed=...)``) use this.

The model
---------
* **Numeric fields** (``fico``, ``ltv``, ``cltv``, ``dti``, ``orig_rate``,
  ``orig_upb``, ``orig_term``): a **Gaussian copula** with **empirical
  marginals**. Each marginal is stored as ``K`` (1,000) quantiles of the
  source and sampled as a step function, so discrete fields keep their support
  exactly (terms stay 360/180/240, FICO and LTV stay whole numbers, rates keep
  their eighths) and continuous ones are reproduced to 1/K in probability.
  CLTV enters as its excess over LTV, so CLTV >= LTV holds by construction.
  The dependence is the latent normal correlation whose draws reproduce the
  source's **Spearman rank correlation** matrix: it starts at that matrix and
  is corrected over a few simulated rounds, because discrete margins (terms,
  whole-number LTVs) attenuate rank correlation. Rank correlation captures
  monotone relations of any shape (rate falling with FICO, rising with LTV,
  lower for 15-year loans) without assuming normal margins. A Gaussian copula
  has no tail dependence; loan-level covariates are not where that matters.
* **Missing values** (the files' 9999/999 "not available") are drawn
  independently per field with the source's missing rate.
* **Categoricals** (``state``, ``occupancy``, ``purpose``, ``channel``,
  ``property_type``) are drawn from their frequencies **within a coarse credit
  bucket**: FICO tercile x LTV tercile of the source (9 buckets), falling back
  to the overall frequencies for a bucket with fewer than 50 source loans.
  That keeps the links a desk cares about (investor and cash-out loans sit at
  lower LTV; state mix by credit) without a table too sparse to estimate.
  Categoricals are independent of each other within a bucket.

Units follow the files and the panel: LTV, CLTV, DTI and rates in percent.
:func:`sample_tape` converts to the tape schema (decimals).

For H7's simulator
------------------
``model = fit_like("sample_orig_2019.txt")`` (a Freddie origination file,
or a CSV/Parquet tape), ``model.save("like.json")``, ``LikeModel.load(...)``,
``model.sample_covariates(n, seed=1)`` -> a frame with the panel's covariate
columns (:data:`COVARIATES`), ready to join to simulated loan-months.

Examples
--------
>>> model = fit_like("tests/data/freddie/sample_orig_2019.txt")
>>> draws = model.sample_covariates(5, seed=0)
>>> list(draws.columns) == list(COVARIATES)
True
>>> bool(draws["orig_term"].isin([360, 180, 120]).all())
True
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trancheflow.errors import TapeError

from .validate import validate_tape

__all__ = ["CATEGORICALS", "COVARIATES", "NUMERIC", "LikeModel", "fit_like", "sample_tape"]

NUMERIC: tuple[str, ...] = ("fico", "ltv", "cltv", "dti", "orig_rate", "orig_upb", "orig_term")
_COPULA: tuple[str, ...] = ("fico", "ltv", "cltv_gap", "dti", "orig_rate", "orig_upb", "orig_term")
"""The copula's fields: CLTV enters as its excess over LTV (>= 0), so CLTV >= LTV."""
CATEGORICALS: tuple[str, ...] = ("state", "occupancy", "purpose", "channel", "property_type")
COVARIATES: tuple[str, ...] = NUMERIC + CATEGORICALS
QUANTILES = 1000
CALIBRATION_ROUNDS = 6
MIN_BUCKET = 50
_FORMAT = "trancheflow-like/1"


@dataclass
class LikeModel:
    """A fitted joint distribution of loan characteristics (see the module notes).

    Attributes
    ----------
    quantiles : dict of str to list of float
        ``K`` quantiles per copula field (step-function inverse CDF); CLTV is
        held as ``cltv_gap`` = CLTV - LTV.
    missing : dict of str to float
        Share of the source with the field not available.
    corr : list of list of float
        Correlation of the numeric fields' normal scores (copula matrix).
    fico_cuts, ltv_cuts : list of float
        Tercile cut points of the bucket.
    categories : dict
        Per categorical: ``{"all": {value: p}, "buckets": {"b": {value: p}}}``;
        the value ``""`` stands for "not available".
    source : str
        What was fitted, and ``n`` its loan count.
    """

    quantiles: dict[str, list[float]]
    missing: dict[str, float]
    corr: list[list[float]]
    fico_cuts: list[float]
    ltv_cuts: list[float]
    categories: dict[str, dict[str, Any]]
    source: str = ""
    n: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- io
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON (aggregate statistics only, no loan record)."""
        body = {"format": _FORMAT, **self.__dict__}
        Path(path).write_text(json.dumps(body, indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LikeModel:
        """Read a model written by :meth:`save`."""
        try:
            body = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise TapeError(f"{path}: cannot read a fitted model: {exc}") from None
        if not isinstance(body, dict) or body.pop("format", None) != _FORMAT:
            raise TapeError(f"{path}: not a trancheflow --like model ({_FORMAT})")
        return cls(**body)

    # ------------------------------------------------------------- sample
    def _bucket(self, fico: np.ndarray, ltv: np.ndarray) -> np.ndarray:
        f = np.searchsorted(self.fico_cuts, np.nan_to_num(fico, nan=self.fico_cuts[0]), "right")
        lt = np.searchsorted(self.ltv_cuts, np.nan_to_num(ltv, nan=self.ltv_cuts[0]), "right")
        return f * 3 + lt

    def sample_covariates(self, n: int, *, seed: int = 0) -> pd.DataFrame:
        """Draw ``n`` loans' covariates (columns :data:`COVARIATES`, panel units).

        Same model and seed give the same frame.
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        rng = np.random.default_rng(seed)
        out = _draw(self.quantiles, np.asarray(self.corr, dtype=float), n, rng)
        for name in _COPULA:
            out[name][rng.random(n) < self.missing[name]] = np.nan
        out["cltv"] = out["ltv"] + out.pop("cltv_gap")
        out["orig_term"] = np.nan_to_num(out["orig_term"], nan=360.0)
        bucket = self._bucket(out["fico"], out["ltv"])
        for name in CATEGORICALS:
            table = self.categories[name]
            col = np.empty(n, dtype=object)
            for b in range(9):
                idx = np.flatnonzero(bucket == b)
                if len(idx) == 0:
                    continue
                probs = table["buckets"].get(str(b), table["all"])
                values = list(probs)
                p = np.asarray([probs[v] for v in values], dtype=float)
                col[idx] = np.asarray(values, dtype=object)[
                    rng.choice(len(values), len(idx), p=p / p.sum())
                ]
            col[col == ""] = None
            out[name] = col
        frame = pd.DataFrame(out)
        frame["orig_term"] = frame["orig_term"].astype(np.int32)
        return frame[list(COVARIATES)]


def _draw(
    quantiles: dict[str, list[float]], corr: np.ndarray, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    z = rng.multivariate_normal(np.zeros(len(_COPULA)), corr, size=n, method="eigh")
    u = stats.norm.cdf(z)
    out = {}
    for j, name in enumerate(_COPULA):
        q = np.asarray(quantiles[name], dtype=float)
        out[name] = q[np.minimum((u[:, j] * len(q)).astype(np.int64), len(q) - 1)]
    return out


def _nearest_corr(m: np.ndarray) -> np.ndarray:
    m = np.nan_to_num((m + m.T) / 2, nan=0.0)
    np.fill_diagonal(m, 1.0)
    w, v = np.linalg.eigh(m)
    m = v @ np.diag(np.clip(w, 1e-6, None)) @ v.T
    d = np.sqrt(np.diag(m))
    m = np.clip(m / np.outer(d, d), -0.999, 0.999)
    np.fill_diagonal(m, 1.0)
    return m


def _spearman(cols: dict[str, np.ndarray]) -> np.ndarray:
    frame = pd.DataFrame({c: cols[c] for c in _COPULA})
    return frame.corr(method="spearman").to_numpy()


def _calibrate(quantiles: dict[str, list[float]], target: np.ndarray) -> np.ndarray:
    """Latent correlation whose draws have the source's Spearman matrix.

    Starting from the target itself, each round draws a sample, measures its
    Spearman matrix and moves the latent matrix by the gap. Discrete margins
    (terms, whole-number LTVs) attenuate rank correlation, which one pass of
    normal scores would leave uncorrected.
    """
    rng = np.random.default_rng(20240601)
    corr = _nearest_corr(target.copy())
    for _ in range(CALIBRATION_ROUNDS):
        got = _spearman(_draw(quantiles, corr, 20_000, rng))
        corr = _nearest_corr(corr + np.nan_to_num(target - got))
        np.fill_diagonal(corr, 1.0)
    return corr


def _source_frame(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source, "<frame>"
    path = Path(source)
    if path.suffix.lower() in {".csv", ".parquet", ".pq"}:
        from .io import read_tape

        t = read_tape(path)

        def col(name: str, scale: float = 1.0) -> pd.Series:
            if name not in t:
                return pd.Series(np.nan, index=t.index)
            return t[name] * scale if scale != 1.0 else t[name]

        frame = pd.DataFrame(
            {
                "fico": col("fico"),
                "ltv": col("ltv", 100.0),
                "cltv": col("cltv", 100.0),
                "dti": col("dti", 100.0),
                "orig_rate": col("note_rate", 100.0),
                "orig_upb": col("original_balance"),
                "orig_term": col("original_term"),
                **{c: col(c) for c in ("state", "occupancy", "purpose", "property_type")},
                "channel": None,
            }
        )
        return frame, str(path)
    from .freddie import origination_records
    from .freddie_scan import ProblemLog

    log = ProblemLog(100)
    parts = [r[~r["bad"].to_numpy()][list(COVARIATES)] for r in origination_records(path, log)]
    log.raise_if_any()
    return pd.concat(parts, ignore_index=True), str(path)


def fit_like(source: str | os.PathLike[str] | pd.DataFrame) -> LikeModel:
    """Fit a :class:`LikeModel` to a Freddie Mac origination file, a tape file or a frame.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A Freddie Mac origination file (``.txt``), a CSV/Parquet tape, or a
        frame with the :data:`COVARIATES` columns in panel units.

    Raises
    ------
    TapeValidationError
        The file has problems (as when converting it).
    TapeError
        Fewer than 5 loans, or a numeric field with no value at all.
    """
    frame, name = _source_frame(source)
    n = len(frame)
    if n < 5:
        raise TapeError(f"{name}: {n} loans; fitting needs at least 5")
    quantiles: dict[str, list[float]] = {}
    missing: dict[str, float] = {}
    probs = (np.arange(QUANTILES) + 0.5) / QUANTILES
    num = frame[list(NUMERIC)].apply(pd.to_numeric, errors="coerce")
    num["cltv_gap"] = (num["cltv"] - num["ltv"]).clip(lower=0)
    for c in _COPULA:
        x = num[c].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if not ok.any():
            raise TapeError(f"{name}: field {c!r} has no value to fit")
        missing[c] = float(1 - ok.mean())
        quantiles[c] = np.quantile(x[ok], probs, method="inverted_cdf").tolist()
    target = num[list(_COPULA)].corr(method="spearman", min_periods=5).to_numpy()
    corr = _calibrate(quantiles, target)  # a constant field (NaN) correlates with nothing
    fico = num["fico"].to_numpy()
    ltv = num["ltv"].to_numpy()
    fico_cuts = np.nanquantile(fico, [1 / 3, 2 / 3]).tolist()
    ltv_cuts = np.nanquantile(ltv, [1 / 3, 2 / 3]).tolist()
    model = LikeModel(quantiles, missing, corr.tolist(), fico_cuts, ltv_cuts, {}, name, n)
    bucket = model._bucket(fico, ltv)
    for c in CATEGORICALS:
        values = frame[c].astype(object).where(frame[c].notna(), "").astype(str).to_numpy()
        table: dict[str, Any] = {"all": _freq(values), "buckets": {}}
        for b in range(9):
            in_b = values[bucket == b]
            if len(in_b) >= MIN_BUCKET:
                table["buckets"][str(b)] = _freq(in_b)
        model.categories[c] = table
    return model


def _freq(values: np.ndarray) -> dict[str, float]:
    uniq, counts = np.unique(values, return_counts=True)
    return {str(u): float(k / counts.sum()) for u, k in zip(uniq, counts, strict=True)}


def sample_tape(
    model: LikeModel,
    n: int,
    *,
    seed: int = 0,
    as_of: date | None = None,
    servicing_fee: float = 0.0025,
) -> pd.DataFrame:
    """Draw a validated tape of ``n`` new loans (age 0, first payment at ``as_of``) like the source.

    Loans are fixed-rate level-pay at origination; ``as_of`` defaults to
    2025-01-01 so output never depends on the clock.
    """
    cov = model.sample_covariates(n, seed=seed)
    when = as_of or date(2025, 1, 1)
    tape = pd.DataFrame(
        {
            "loan_id": [f"LK{i:08d}" for i in range(1, n + 1)],
            "original_balance": cov["orig_upb"],
            "current_balance": cov["orig_upb"],
            "note_rate": np.round(cov["orig_rate"] / 100, 10),
            "servicing_fee": servicing_fee,
            "original_term": cov["orig_term"].astype(np.int64),
            "loan_age": 0,
            "remaining_term": cov["orig_term"].astype(np.int64),
            "first_payment_date": pd.Timestamp(when.year, when.month, 1),
            "ltv": np.round(cov["ltv"] / 100, 10),
            "cltv": np.round(cov["cltv"] / 100, 10),
            "fico": cov["fico"],
            "dti": np.round(cov["dti"] / 100, 10),
            "occupancy": cov["occupancy"],
            "purpose": cov["purpose"],
            "property_type": cov["property_type"],
            "state": cov["state"],
            "amortization_type": "level_pay",
        }
    )
    return validate_tape(tape, source=f"<sampled like {model.source}>")

"""Train and evaluate hazard models out of time, against the BMA curves and the refinancing S-curve.

:func:`train_hazard_model` splits a panel by calendar month: transitions in
months before ``split`` train (those of a random ``valid_share`` of the loans
stop the boosting early), the rest test. :func:`evaluate_model` scores every risk on the
test months with the LightGBM model, the logistic baseline (when fitted), the
standard curves (PSA 100 for prepayment, SDA 100 for default; functions of
loan age only) and, for prepayment, the rate-driven S-curve model of
:mod:`trancheflow.collateral.prepay_model` (its default parameters, no burnout:
a single loan's history does not give the pool survival it reads), and, on a
simulated panel, the true hazards.

Examples
--------
>>> from trancheflow.models.simulate import simulate_panel
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> ev = evaluate_model(m, sim.panel, sim.market, truth=sim.truth_prob)
>>> set(ev["prepay"]) >= {"lightgbm", "truth", "psa100", "refi_scurve"}
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.collateral.speeds import cpr_to_smm, psa_cpr, sda_cdr
from trancheflow.errors import ModelError

from .features import CategoryCodes, LoanMonths, MarketPath, build_features, month_index
from .hazard import RISK_SPECS, fit_gbm, fit_logistic, labels
from .metrics import Scores, score
from .model import HazardModel

__all__ = ["data_hash", "evaluate_model", "risk_rows", "train_hazard_model"]

F = npt.NDArray[np.float64]
Progress = Callable[[str], None]


def data_hash(lm: LoanMonths) -> str:
    """SHA-256 of the panel's rows and loan covariates (identifies the training data)."""
    h = hashlib.sha256()
    for a in (lm.loan_idx, lm.period, lm.loan_age, lm.upb, lm.status):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(pd.util.hash_pandas_object(lm.loans.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()


def _status_prev(lm: LoanMonths) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    prev = lm.prev_index()
    has = prev >= 0
    return np.where(has, lm.status[np.maximum(prev, 0)], -1).astype(np.int8), has


def risk_rows(
    lm: LoanMonths, risk: str, mask: npt.NDArray[np.bool_] | None = None
) -> tuple[npt.NDArray[np.int64], F]:
    """Row numbers at risk of ``risk`` (optionally within ``mask``) and their 0/1 events."""
    sp, has = _status_prev(lm)
    if mask is not None:
        has = has & mask
    at, y = labels(RISK_SPECS[risk], sp, lm.status, has)
    return np.flatnonzero(at), y


def _split_month(split: str | int, lm: LoanMonths) -> int:
    if isinstance(split, int):
        return split
    try:
        return int(month_index([split + "-01" if len(split) == 7 else split])[0])
    except (ValueError, TypeError):
        raise ModelError(f"split {split!r} must be a month YYYY-MM") from None


def _month_name(m: int) -> str:
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def train_hazard_model(
    lm: LoanMonths,
    market: MarketPath,
    *,
    split: str | int,
    risks: tuple[str, ...] = ("prepay", "default", "cure"),
    rounds: int = 1000,
    valid_share: float = 0.15,
    grouping: str = "additive",
    logistic: bool = False,
    threads: int = 0,
    progress: Progress | None = None,
    name: str = "",
) -> HazardModel:
    """Fit one LightGBM model per risk on the months before ``split``.

    Parameters
    ----------
    lm, market : LoanMonths, MarketPath
    split : str or int
        First test month (``YYYY-MM``, or months since 1970-01).
    rounds : int
        Boosting rounds at most (early stopping on a random ``valid_share``
        of the training loans, all their months).
    grouping : {"additive", "grouped", "none"}
        Interaction constraints (see :mod:`trancheflow.models.hazard`).
    logistic : bool
        Also fit the logistic baseline (kept in memory on the model, not saved).
    """
    say = progress or (lambda _: None)
    s = _split_month(split, lm)
    lo, hi = int(lm.period.min()), int(lm.period.max())
    if not lo < s <= hi:
        raise ModelError(
            f"split {_month_name(s)} must fall inside the panel "
            f"({_month_name(lo)}..{_month_name(hi)})"
        )
    codes = CategoryCodes.fit(lm.loans)
    say("features")
    X, _ = build_features(lm, market, codes)
    train_mask = lm.period < s
    rng = np.random.default_rng(12345)
    valid_loan = rng.random(len(lm.loans)) < valid_share
    boosters, logits, meta_feats, counts = {}, {}, {}, {}
    for risk in risks:
        spec = RISK_SPECS[risk]
        rows, y = risk_rows(lm, risk, train_mask)
        if len(rows) == 0:
            raise ModelError(f"no rows at risk of {risk!r} before {_month_name(s)}")
        va = valid_loan[lm.loan_idx[rows]]
        use_valid = bool(va.any() and (~va).any() and y[va].min() != y[va].max())
        tr = ~va if use_valid else np.ones(len(rows), bool)
        say(f"{risk}: {len(rows):,} rows, {int(y.sum()):,} events")
        Xr = X.iloc[rows]
        valid = (Xr[va], y[va]) if use_valid else None
        boosters[risk] = fit_gbm(
            Xr[tr], y[tr], spec, rounds=rounds, valid=valid, grouping=grouping, threads=threads
        )
        if logistic:
            say(f"{risk}: logistic baseline")
            logits[risk] = fit_logistic(Xr, y, spec)
        meta_feats[risk] = list(spec.features)
        counts[risk] = {
            "rows": len(rows),
            "events": int(y.sum()),
            "trees": boosters[risk].num_trees(),
        }
    meta: dict[str, Any] = {
        "name": name,
        "features": meta_feats,
        "grouping": grouping,
        "train_window": [_month_name(lo), _month_name(s - 1)],
        "test_from": _month_name(s),
        "valid_share": valid_share,
        "training": counts,
        "data_hash": data_hash(lm),
        "loans": len(lm.loans),
        "panel_rows": lm.n_rows,
    }
    model = HazardModel(boosters, codes, meta)
    model.logistic = logits  # type: ignore[attr-defined]
    return model


def baselines(risk: str, X: pd.DataFrame, market_rate_prev: F) -> dict[str, F]:
    """Forecasts of the standard curves (and the S-curve for prepayment) for rows ``X``."""
    age = X["loan_age"].to_numpy(dtype=np.float64)
    if risk == "prepay":
        cpr = RefiPrepayModel().cpr(
            X["note_rate"].to_numpy(dtype=np.float64) / 100.0,
            market_rate_prev,
            age,
            month_of_year=X["month_of_year"].to_numpy(dtype=np.int64),
        )
        return {"psa100": cpr_to_smm(psa_cpr(age, 100.0)), "refi_scurve": cpr_to_smm(cpr)}
    if risk == "default":
        return {"sda100": cpr_to_smm(sda_cdr(age, 100.0))}
    return {}


def evaluate_model(
    model: HazardModel,
    lm: LoanMonths,
    market: MarketPath,
    *,
    from_month: str | int | None = None,
    truth: dict[str, F] | None = None,
) -> dict[str, dict[str, Scores]]:
    """Scores per risk and forecaster from ``from_month`` (default: the model's first test month).

    Forecasters: ``lightgbm``, ``logistic`` (if fitted in this session),
    ``truth`` (if ``truth`` probabilities are given), and the baselines of
    :func:`baselines`. Decile errors are against the truth when given.
    """
    s = _split_month(from_month or model.meta.get("test_from", ""), lm)
    X, _ = build_features(lm, market, model.codes)
    out: dict[str, dict[str, Scores]] = {}
    for risk in model.boosters:
        rows, y = risk_rows(lm, risk, lm.period >= s)
        if len(rows) == 0:
            raise ModelError(f"no rows at risk of {risk!r} from {_month_name(s)}")
        Xr = X.iloc[rows]
        t = truth[risk][rows] if truth is not None else None
        res: dict[str, Scores] = {"lightgbm": score(y, model.predict(risk, Xr), t)}
        logit = getattr(model, "logistic", {}).get(risk)
        if logit is not None:
            res["logistic"] = score(
                y, logit.predict_proba(Xr[list(model.spec(risk).features)])[:, 1], t
            )
        if t is not None:
            res["truth"] = score(y, t, t)
        mr = market.rate_at(lm.period[rows].astype(np.int64) - 1)
        for k, p in baselines(risk, Xr, mr).items():
            res[k] = score(y, np.clip(p, 0.0, 1.0), t)
        out[risk] = res
    return out

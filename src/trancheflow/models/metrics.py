"""Scores of monthly hazard forecasts: AUC, log-loss, Brier, calibration by decile.

All take 0/1 outcomes ``y`` and forecast probabilities ``p`` of the same
rows. The AUC is the Mann-Whitney statistic with ties counted half (as
scikit-learn's ``roc_auc_score``, which the tests compare against).

Examples
--------
>>> import numpy as np
>>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
0.75
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import rankdata

from trancheflow.errors import ModelError

__all__ = ["Scores", "auc", "brier", "decile_table", "log_loss", "score"]

F = npt.NDArray[np.float64]


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[F, F]:
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    if yy.shape != pp.shape or yy.ndim != 1:
        raise ModelError(f"outcomes {yy.shape} and forecasts {pp.shape} must be 1-d and match")
    if not np.all(np.isfinite(pp)) or pp.min(initial=0.0) < 0 or pp.max(initial=0.0) > 1:
        raise ModelError("forecast probabilities must be finite numbers in [0, 1]")
    return yy, pp


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve (NaN when only one class is present)."""
    yy, pp = _check(y, p)
    n1 = float(yy.sum())
    n0 = float(len(yy) - n1)
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(pp)
    return float((r[yy == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def log_loss(y: npt.ArrayLike, p: npt.ArrayLike, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood (natural log), probabilities clipped to ``[eps, 1-eps]``."""
    yy, pp = _check(y, p)
    q = np.clip(pp, eps, 1 - eps)
    return float(-np.mean(yy * np.log(q) + (1 - yy) * np.log1p(-q)))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of the probabilities."""
    yy, pp = _check(y, p)
    return float(np.mean((pp - yy) ** 2))


def decile_table(
    y: npt.ArrayLike, p: npt.ArrayLike, truth: npt.ArrayLike | None = None, bins: int = 10
) -> pd.DataFrame:
    """Calibration by decile of the forecast: mean forecast, realized rate, mean true hazard.

    Rows are sorted by ``p`` and cut into ``bins`` groups of (nearly) equal
    size. ``rel_err_obs`` is ``forecast / realized - 1``; with ``truth`` (the
    simulator's probabilities) ``rel_err_true`` is ``forecast / true - 1``,
    free of sampling noise.
    """
    yy, pp = _check(y, p)
    order = np.argsort(pp, kind="stable")
    parts = np.array_split(order, bins)
    rows = []
    for k, idx in enumerate(parts, start=1):
        row = {
            "decile": k,
            "rows": len(idx),
            "forecast": pp[idx].mean(),
            "realized": yy[idx].mean(),
        }
        if truth is not None:
            row["true"] = float(np.asarray(truth, dtype=np.float64)[idx].mean())
        rows.append(row)
    df = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["rel_err_obs"] = df["forecast"] / df["realized"] - 1.0
        if truth is not None:
            df["rel_err_true"] = df["forecast"] / df["true"] - 1.0
    return df


@dataclass(frozen=True)
class Scores:
    """One forecast's scores on one set of rows."""

    rows: int
    events: int
    auc: float
    log_loss: float
    brier: float
    mean_forecast: float
    event_rate: float
    max_decile_err: float

    def as_dict(self) -> dict[str, float | int]:
        """JSON-able form."""
        return dict(self.__dict__)


def score(y: npt.ArrayLike, p: npt.ArrayLike, truth: npt.ArrayLike | None = None) -> Scores:
    """AUC, log-loss, Brier, means and the largest relative decile error.

    The decile error is against ``truth`` when given, else against the
    realized rates.
    """
    yy, pp = _check(y, p)
    table = decile_table(yy, pp, truth)
    col = "rel_err_true" if truth is not None else "rel_err_obs"
    err = np.abs(table[col].to_numpy(dtype=np.float64))
    return Scores(
        rows=len(yy),
        events=int(yy.sum()),
        auc=auc(yy, pp),
        log_loss=log_loss(yy, pp),
        brier=brier(yy, pp),
        mean_forecast=float(pp.mean()) if len(pp) else float("nan"),
        event_rate=float(yy.mean()) if len(yy) else float("nan"),
        max_decile_err=float(np.nanmax(err)) if np.isfinite(err).any() else float("nan"),
    )

"""Monthly competing-risk hazards: one LightGBM binary model per risk, and a logistic baseline.

Three risks, each a monthly probability for the loans at risk of it
(:data:`RISK_SPECS`):

* ``prepay``: a ``current`` loan pays off in full this month;
* ``default``: a ``current`` loan misses a payment and starts the roll
  towards serious delinquency, foreclosure and liquidation (``d30``);
* ``cure``: a delinquent loan (``d30``, ``d60``, ``d90p``) returns to ``current``.

Prepayment and the start of default compete for the same current loans; each
has its own cause-specific model (a binary model of the event against "any
other outcome"), the standard way to fit competing monthly hazards with
off-the-shelf classifiers.

The gradient-boosted models use LightGBM's **interaction constraints**: a
tree may only split on features of one group (:data:`GROUPS`: the loan's
origination covariates; loan age with month of year; the refinancing
incentive with burnout; mark-to-market LTV; status). The log-odds are then a
sum of one function per group, which (a) is the proportional-hazards form a
desk reads factor by factor and (b) lets :mod:`trancheflow.models.compiled`
turn the path-dependent part (incentive, burnout) into one small exact table,
so the Monte Carlo kernel pays a table lookup per loan, path and month rather
than a walk through hundreds of trees. ``constrained=False`` fits an
unconstrained model for comparison.

The logistic baseline (scikit-learn) uses B-spline bases of the numeric
features and one-hot categories.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({f: rng.normal(size=4000) for f in RISK_SPECS["prepay"].features})
>>> y = (rng.random(4000) < 1 / (1 + np.exp(3 - X["incentive"]))).astype(float)
>>> b = fit_gbm(X, y, RISK_SPECS["prepay"], rounds=20)
>>> b.num_trees()
20
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.errors import ModelError

from .features import CATEGORICAL, FEATURES, STATUS_CODES

__all__ = [
    "CENSORED",
    "GROUPINGS",
    "GROUPS",
    "RISK_SPECS",
    "RiskSpec",
    "fit_gbm",
    "fit_logistic",
    "labels",
]

F = npt.NDArray[np.float64]

#: Feature groups within which trees may split together (interaction constraints),
#: ``"additive"``: each origination covariate alone (a boosted GAM), the path pair
#: (incentive, burnout) and the time pair (age, month of year) together;
#: ``"grouped"``: the origination covariates may interact with each other.
GROUPINGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "additive": (
        *((f,) for f in ("fico", "dti", "log_balance", "note_rate", *CATEGORICAL)),
        ("loan_age", "month_of_year"),
        ("incentive", "burnout"),
        ("mtm_ltv",),
        ("status",),
    ),
    "grouped": (
        ("fico", "dti", "log_balance", "note_rate", *CATEGORICAL),
        ("loan_age", "month_of_year"),
        ("incentive", "burnout"),
        ("mtm_ltv",),
        ("status",),
    ),
}
GROUPS = GROUPINGS["additive"]

_C, _D30, _D60, _D90, _PP = (STATUS_CODES[s] for s in ("current", "d30", "d60", "d90p", "prepaid"))
#: Statuses of a month whose row no risk models (repurchase, note sale: censored).
CENSORED: tuple[int, ...] = (STATUS_CODES["repurchased"], STATUS_CODES["note_sale"])


@dataclass(frozen=True)
class RiskSpec:
    """Which rows are at risk, which outcome is the event, and the model's features."""

    name: str
    at_risk: tuple[int, ...]
    event: tuple[int, ...]
    features: tuple[str, ...]

    def groups(self, grouping: str = "additive") -> list[list[str]]:
        """:data:`GROUPINGS` ``[grouping]`` restricted to this risk's features."""
        if grouping not in GROUPINGS:
            raise ModelError(f"grouping {grouping!r} must be one of {sorted(GROUPINGS)} or 'none'")
        out = [[f for f in g if f in self.features] for g in GROUPINGS[grouping]]
        return [g for g in out if g]


_NO_PATH = tuple(f for f in FEATURES if f not in ("incentive", "burnout", "status"))
RISK_SPECS: dict[str, RiskSpec] = {
    "prepay": RiskSpec("prepay", (_C,), (_PP,), tuple(f for f in FEATURES if f != "status")),
    "default": RiskSpec("default", (_C,), (_D30,), _NO_PATH),
    "cure": RiskSpec("cure", (_D30, _D60, _D90), (_C,), (*_NO_PATH, "status")),
}


def labels(
    spec: RiskSpec, status_prev: npt.ArrayLike, status: npt.ArrayLike, has: npt.ArrayLike
) -> tuple[npt.NDArray[np.bool_], F]:
    """Mask of rows at risk of ``spec`` and their 0/1 events.

    A month that ends in a repurchase or a note sale (:data:`CENSORED`) is
    neither an event nor a non-event of any risk: the row is left out (the
    loan is censored), so those exits count as neither default nor prepayment.
    """
    sp = np.asarray(status_prev)
    st = np.asarray(status)
    mask = np.asarray(has, dtype=bool) & np.isin(sp, spec.at_risk) & ~np.isin(st, CENSORED)
    return mask, np.isin(st[mask], spec.event).astype(np.float64)


DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 8,
    "min_data_in_leaf": 500,
    "lambda_l2": 5.0,
    "max_bin": 255,
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 1,
}


def fit_gbm(
    X: pd.DataFrame,
    y: npt.ArrayLike,
    spec: RiskSpec,
    *,
    rounds: int = 1000,
    valid: tuple[pd.DataFrame, npt.ArrayLike] | None = None,
    grouping: str = "additive",
    params: dict[str, Any] | None = None,
    threads: int = 0,
) -> lgb.Booster:
    """Fit one risk's LightGBM binary model on ``X[spec.features]``.

    Parameters
    ----------
    X, y : DataFrame, array_like
        Rows at risk and their 0/1 events.
    rounds : int
        Boosting rounds (at most, with ``valid``: early stopping after 50
        rounds without a better validation log-loss).
    valid : (DataFrame, array_like), optional
        Validation rows (e.g. a random tenth of the training loans).
    grouping : {"additive", "grouped", "none"}
        Interaction constraints of :data:`GROUPINGS` (module docstring);
        ``"none"`` leaves trees unconstrained.
    """
    yy = np.asarray(y, dtype=np.float64)
    if len(yy) != len(X) or len(yy) == 0:
        raise ModelError(f"{spec.name}: need as many events as rows (> 0), got {len(yy)}/{len(X)}")
    if yy.min() == yy.max():
        raise ModelError(f"{spec.name}: the training rows have only one outcome ({yy[0]:g})")
    feats = list(spec.features)
    p = {**DEFAULT_PARAMS, **(params or {}), "num_threads": threads}
    if grouping != "none":
        p["interaction_constraints"] = [[feats.index(f) for f in g] for g in spec.groups(grouping)]
    train = lgb.Dataset(X[feats].to_numpy(np.float64), yy, feature_name=feats, free_raw_data=True)
    sets: list[lgb.Dataset] = []
    callbacks: list[Any] = []
    if valid is not None:
        vx, vy = valid
        sets = [lgb.Dataset(vx[feats].to_numpy(np.float64), np.asarray(vy), reference=train)]
        callbacks = [lgb.early_stopping(50, verbose=False)]
    return lgb.train(p, train, num_boost_round=rounds, valid_sets=sets, callbacks=callbacks)


_SPLINE = ("incentive", "burnout", "loan_age", "mtm_ltv", "fico", "dti", "log_balance", "note_rate")


def fit_logistic(
    X: pd.DataFrame, y: npt.ArrayLike, spec: RiskSpec, *, max_rows: int = 300_000, seed: int = 0
) -> Any:
    """Logistic baseline: splines of the numeric features, one-hot categories (scikit-learn).

    Fitted on at most ``max_rows`` rows drawn at random. Returns a fitted
    ``sklearn`` pipeline (``predict_proba``).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer

    yy = np.asarray(y, dtype=np.float64)
    if yy.min() == yy.max():
        raise ModelError(f"{spec.name}: the training rows have only one outcome")
    idx = np.arange(len(yy))
    if len(idx) > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_rows, replace=False))
    num = [f for f in _SPLINE if f in spec.features]
    cat = [f for f in spec.features if f not in num]
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median"),
                    SplineTransformer(
                        n_knots=6, degree=3, knots="quantile", extrapolation="constant"
                    ),
                ),
                num,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=50),
                ),
                cat,
            ),
        ]
    )
    pipe = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=300))
    pipe.fit(X.iloc[idx][list(spec.features)], yy[idx])
    return pipe

"""Tree ensembles as arrays and numba code: a generic scorer and exact tables for the kernels.

:func:`flatten` turns a LightGBM booster into flat node arrays (feature,
threshold, children, missing-value rule, leaf value); :func:`predict_raw`
walks them in numba and reproduces ``Booster.predict(raw_score=True)``
(tested to 1e-12). That walk costs a few nanoseconds per node; a model of
hundreds of trees would cost microseconds per loan, path and month, far too
slow for 10,000 loans × 1,000 paths × 360 months.

:func:`compile_risk` removes that cost for models trained with interaction
constraints (:mod:`trancheflow.models.hazard`): every tree splits on the
features of one group only, so the log-odds are a sum of one function per
group. Each group's trees are evaluated once

* per **loan** when all its features are loan covariates (FICO, DTI, size,
  rate, categories): :attr:`CompiledRisk.static_trees`, summed per loan;
* on the **grid** of its features otherwise (loan age × month of year;
  mark-to-market LTV; incentive × burnout; status): a dense table.

The grid features are quantized in :mod:`trancheflow.models.features`
(incentive to 5bp, burnout to 1 pp-month, LTV to 0.5%, age and month whole),
so a table lookup at the quantized value **is** the ensemble's output: the
compilation is exact, not an approximation (tested against LightGBM on
random rows). A kernel then pays one table lookup per loan, path and month
for the path-dependent group, as the refinancing S-curve model does.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from trancheflow.models.hazard import RISK_SPECS, fit_gbm
>>> rng = np.random.default_rng(0)
>>> spec = RISK_SPECS["prepay"]
>>> X = pd.DataFrame({f: rng.integers(0, 5, 3000).astype(float) for f in spec.features})
>>> y = (rng.random(3000) < 0.2 + 0.1 * X["incentive"]).astype(float)
>>> b = fit_gbm(X, y, spec, rounds=10)
>>> bool(np.allclose(predict_raw(flatten(b), X[list(spec.features)].to_numpy()),
...                  b.predict(X[list(spec.features)].to_numpy(), raw_score=True)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from numba import njit, prange

from trancheflow.errors import ModelError

from .features import BURNOUT_CAP, BURNOUT_STEP, INCENTIVE_STEP, LTV_STEP

__all__ = ["GRIDS", "CompiledRisk", "Forest", "compile_risk", "flatten", "predict_raw"]

F = npt.NDArray[np.float64]

#: Grid of each non-static feature: (lowest, step, points).
GRIDS: dict[str, tuple[float, float, int]] = {
    "loan_age": (0.0, 1.0, 721),
    "month_of_year": (1.0, 1.0, 12),
    "mtm_ltv": (0.0, LTV_STEP, round(300.0 / LTV_STEP) + 1),
    "incentive": (-15.0, INCENTIVE_STEP, round(30.0 / INCENTIVE_STEP) + 1),
    "burnout": (0.0, BURNOUT_STEP, round(BURNOUT_CAP / BURNOUT_STEP) + 1),
    "status": (0.0, 1.0, 5),
}

_MISSING = {"None": 0, "Zero": 1, "NaN": 2}


@dataclass(frozen=True)
class Forest:
    """Flat arrays of an ensemble: node ``k`` is a leaf when ``feature[k] < 0``."""

    feature: npt.NDArray[np.int32]
    threshold: F
    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    default_left: npt.NDArray[np.bool_]
    missing: npt.NDArray[np.int8]
    value: F
    roots: npt.NDArray[np.int32]
    tree_features: tuple[frozenset[int], ...]
    feature_names: tuple[str, ...]

    def subset(self, trees: list[int]) -> Forest:
        """The same arrays with only the roots of ``trees``."""
        return Forest(
            self.feature,
            self.threshold,
            self.left,
            self.right,
            self.default_left,
            self.missing,
            self.value,
            self.roots[np.asarray(trees, dtype=np.int64)].astype(np.int32),
            tuple(self.tree_features[t] for t in trees),
            self.feature_names,
        )


def flatten(booster: lgb.Booster) -> Forest:
    """Flatten a LightGBM booster (numerical ``<=`` splits) into a :class:`Forest`."""
    dump = booster.dump_model()
    names = tuple(dump["feature_names"])
    feat: list[int] = []
    thr: list[float] = []
    left: list[int] = []
    right: list[int] = []
    dleft: list[bool] = []
    miss: list[int] = []
    val: list[float] = []
    roots: list[int] = []
    used: list[frozenset[int]] = []

    def add(node: dict[str, object], seen: set[int]) -> int:
        k = len(feat)
        feat.append(-1)
        thr.append(0.0)
        left.append(-1)
        right.append(-1)
        dleft.append(False)
        miss.append(0)
        val.append(0.0)
        if "leaf_value" in node:
            val[k] = float(node["leaf_value"])  # type: ignore[arg-type]
            return k
        if node.get("decision_type") != "<=":
            raise ModelError(f"cannot compile split {node.get('decision_type')!r}: numeric only")
        f = int(node["split_feature"])  # type: ignore[call-overload]
        seen.add(f)
        feat[k] = f
        thr[k] = float(node["threshold"])  # type: ignore[arg-type]
        dleft[k] = bool(node["default_left"])
        miss[k] = _MISSING[str(node["missing_type"])]
        left[k] = add(node["left_child"], seen)  # type: ignore[arg-type]
        right[k] = add(node["right_child"], seen)  # type: ignore[arg-type]
        return k

    for tree in dump["tree_info"]:
        seen: set[int] = set()
        roots.append(add(tree["tree_structure"], seen))
        used.append(frozenset(seen))
    return Forest(
        np.asarray(feat, dtype=np.int32),
        np.asarray(thr, dtype=np.float64),
        np.asarray(left, dtype=np.int32),
        np.asarray(right, dtype=np.int32),
        np.asarray(dleft, dtype=np.bool_),
        np.asarray(miss, dtype=np.int8),
        np.asarray(val, dtype=np.float64),
        np.asarray(roots, dtype=np.int32),
        tuple(used),
        names,
    )


@njit(cache=True, parallel=True)
def _walk(
    X: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    default_left: np.ndarray,
    missing: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
) -> np.ndarray:
    n = X.shape[0]
    out = np.zeros(n)
    for i in prange(n):
        s = 0.0
        for r in roots:
            k = r
            while feature[k] >= 0:
                x = X[i, feature[k]]
                mt = missing[k]
                if np.isnan(x):
                    if mt == 2:
                        k = left[k] if default_left[k] else right[k]
                        continue
                    x = 0.0
                if mt == 1 and x == 0.0:
                    k = left[k] if default_left[k] else right[k]
                    continue
                k = left[k] if x <= threshold[k] else right[k]
            s += value[k]
        out[i] = s
    return out


def predict_raw(forest: Forest, X: npt.ArrayLike) -> F:
    """Sum of the trees' leaf values for rows ``X`` (columns in the booster's feature order)."""
    x = np.ascontiguousarray(X, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(forest.feature_names):
        raise ModelError(
            f"rows have shape {x.shape}; need (n, {len(forest.feature_names)}) "
            f"columns {list(forest.feature_names)}"
        )
    return np.asarray(
        _walk(
            x,
            forest.feature,
            forest.threshold,
            forest.left,
            forest.right,
            forest.default_left,
            forest.missing,
            forest.value,
            forest.roots,
        )
    )


@dataclass(frozen=True)
class CompiledRisk:
    """One risk's ensemble split into per-loan trees and exact grid tables.

    ``tables`` maps a tuple of grid feature names (sorted as in the booster)
    to an array indexed by the features' grid positions (:data:`GRIDS`).
    """

    risk: str
    feature_names: tuple[str, ...]
    static_trees: Forest
    tables: dict[tuple[str, ...], F]

    def static_score(self, X: npt.ArrayLike) -> F:
        """Per-loan part of the log-odds (rows: loans; grid columns may hold anything)."""
        if len(self.static_trees.roots) == 0:
            return np.zeros(np.asarray(X).shape[0])
        return predict_raw(self.static_trees, X)

    def dense(self, *names: str) -> F:
        """Sum of the tables over subsets of ``names``, as one array on the grids of ``names``.

        Raises
        ------
        ModelError
            A table's features straddle ``names`` and other grid features
            (its trees mix groups the kernel evaluates apart).
        """
        shape = tuple(GRIDS[n][2] for n in names)
        out = np.zeros(shape)
        want = set(names)
        for key, tab in self.tables.items():
            if set(key) <= want:
                pos = [names.index(k) for k in key]
                t = np.moveaxis(
                    tab, list(range(len(key))), sorted(range(len(key)), key=lambda j: pos[j])
                )
                expand = [slice(None) if n in key else None for n in names]
                out = out + t[tuple(expand)]
            elif set(key) & want:
                raise ModelError(
                    f"{self.risk}: trees split on {list(key)} together; the kernel evaluates "
                    f"{list(names)} as one group"
                )
        return out

    def raw(self, X: npt.ArrayLike) -> F:
        """Log-odds of rows ``X`` from the compiled parts (equals the booster's on grid values)."""
        x = np.asarray(X, dtype=np.float64)
        out = self.static_score(x)
        for key, tab in self.tables.items():
            idx = tuple(grid_index(x[:, self.feature_names.index(k)], k) for k in key)
            out = out + tab[idx]
        return np.asarray(out)


def grid_index(x: npt.ArrayLike, name: str) -> npt.NDArray[np.int64]:
    """Grid position of (quantized) values of feature ``name``, clamped to the grid."""
    lo, step, n = GRIDS[name]
    return np.clip(np.rint((np.asarray(x, dtype=np.float64) - lo) / step), 0, n - 1).astype(
        np.int64
    )


def compile_risk(booster: lgb.Booster, risk: str, *, max_cells: int = 4_000_000) -> CompiledRisk:
    """Split ``booster``'s trees by the features they use and tabulate the non-static ones.

    Raises
    ------
    ModelError
        A tree mixes loan covariates with grid features (train with
        interaction constraints), or a table would exceed ``max_cells``.
    """
    forest = flatten(booster)
    names = forest.feature_names
    grid_ids = {i for i, n in enumerate(names) if n in GRIDS}
    static: list[int] = []
    by_key: dict[tuple[int, ...], list[int]] = {}
    for t, used in enumerate(forest.tree_features):
        g = used & grid_ids
        if not g:
            static.append(t)
        elif g != used:
            mixed = sorted(names[i] for i in used)
            raise ModelError(
                f"{risk}: tree {t} splits on {mixed}, mixing loan covariates with "
                f"{sorted(GRIDS)}; train with grouping 'additive' or 'grouped' to compile"
            )
        else:
            by_key.setdefault(tuple(sorted(g)), []).append(t)
    # merge keys that are subsets of a larger key
    keys = sorted(by_key, key=len, reverse=True)
    merged: dict[tuple[int, ...], list[int]] = {}
    for k in keys:
        home = next((m for m in merged if set(k) <= set(m)), None)
        merged.setdefault(home or k, []).extend(by_key[k])
    tables: dict[tuple[str, ...], F] = {}
    for key, trees in merged.items():
        knames = tuple(names[i] for i in key)
        shape = tuple(GRIDS[n][2] for n in knames)
        cells = int(np.prod(shape))
        if cells > max_cells:
            raise ModelError(f"{risk}: table over {knames} would have {cells:,} cells")
        X = np.zeros((cells, len(names)))
        axes = [GRIDS[n][0] + GRIDS[n][1] * np.arange(GRIDS[n][2]) for n in knames]
        mesh = np.meshgrid(*axes, indexing="ij")
        for j, i in enumerate(key):
            X[:, i] = mesh[j].ravel()
        tables[knames] = predict_raw(forest.subset(trees), X).reshape(shape)
    return CompiledRisk(risk, names, forest.subset(static), tables)

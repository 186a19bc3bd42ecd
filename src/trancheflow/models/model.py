"""A trained set of monthly hazard models: LightGBM boosters per risk, their encodings and metadata.

Examples
--------
>>> from trancheflow.models.simulate import simulate_panel
>>> from trancheflow.models.train import train_hazard_model
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> sorted(m.boosters)
['cure', 'default', 'prepay']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.errors import ModelError

from .features import CategoryCodes
from .hazard import RISK_SPECS, RiskSpec

__all__ = ["HazardModel"]

F = npt.NDArray[np.float64]
FORMAT = "trancheflow-hazard-model/1"


@dataclass
class HazardModel:
    """Boosters by risk, the category codes and the metadata they were trained with."""

    boosters: dict[str, lgb.Booster]
    codes: CategoryCodes
    meta: dict[str, Any] = field(default_factory=dict)

    def spec(self, risk: str) -> RiskSpec:
        """The risk's spec (features as trained)."""
        if risk not in self.boosters:
            raise ModelError(f"risk {risk!r} is not in this model (has {sorted(self.boosters)})")
        feats = tuple(self.meta.get("features", {}).get(risk, RISK_SPECS[risk].features))
        base = RISK_SPECS[risk]
        return RiskSpec(risk, base.at_risk, base.event, feats)

    def raw(self, risk: str, X: pd.DataFrame) -> F:
        """Log-odds of the risk for rows ``X`` (feature frame)."""
        feats = list(self.spec(risk).features)
        missing = [f for f in feats if f not in X.columns]
        if missing:
            raise ModelError(f"features {missing} are missing for risk {risk!r}")
        return np.asarray(
            self.boosters[risk].predict(X[feats].to_numpy(np.float64), raw_score=True),
            dtype=np.float64,
        )

    def predict(self, risk: str, X: pd.DataFrame) -> F:
        """Monthly probability of the risk's event for rows ``X``."""
        z = self.raw(risk, X)
        return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))

    def contributions(self, risk: str, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row feature contributions to the log-odds (LightGBM ``pred_contrib``).

        Columns: the risk's features and ``bias``; each row sums to :meth:`raw`.
        """
        feats = list(self.spec(risk).features)
        c = self.boosters[risk].predict(X[feats].to_numpy(np.float64), pred_contrib=True)
        return pd.DataFrame(np.asarray(c), columns=[*feats, "bias"], index=X.index)

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path) -> Path:
        """Write ``meta.json`` and one ``<risk>.txt`` booster per risk into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for risk, b in self.boosters.items():
            b.save_model(str(d / f"{risk}.txt"))
        meta = {**self.meta, "format": FORMAT, "risks": sorted(self.boosters)}
        meta["categories"] = self.codes.as_dict()
        tmp = d / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=_json_default))
        tmp.replace(d / "meta.json")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> HazardModel:
        """Read a model written by :meth:`save`."""
        d = Path(directory)
        try:
            meta = json.loads((d / "meta.json").read_text())
        except FileNotFoundError:
            raise ModelError(f"{d}: no meta.json (not a saved hazard model)") from None
        except json.JSONDecodeError as exc:
            raise ModelError(f"{d / 'meta.json'}: not valid JSON ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{d / 'meta.json'}: format {meta.get('format')!r}, expected {FORMAT}")
        boosters = {}
        for risk in meta["risks"]:
            path = d / f"{risk}.txt"
            if not path.exists():
                raise ModelError(f"{d}: booster file {path.name} is missing")
            boosters[risk] = lgb.Booster(model_file=str(path))
        codes = CategoryCodes({k: tuple(v) for k, v in meta.get("categories", {}).items()})
        return cls(boosters, codes, meta)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON-able: {type(o).__name__}")

"""Period reports of a deal run: per tranche (long form) and per deal.

Two frames describe a run (one path of it):

* :func:`tranche_report` - one row per period and tranche with the fixed
  columns :data:`TRANCHE_COLUMNS` (``period, tranche, beginning_balance,
  interest_due, interest_paid, interest_shortfall, principal_paid, writedown,
  ending_balance, factor, cash_flow``) plus ``coupon``, ``accreted`` and
  ``interest_forgiven``. The residual appears as extra rows with
  ``tranche`` = its name: its ``cash_flow`` is the period's residual and every
  balance column is 0.
* :func:`deal_report` - one row per period: pool balances, cash in, each
  fee's paid/shortfall, the insurance premium paid to the first-loss fund and
  its cover (``insurance_premium``, ``insurance_cover``, 0 without a fund),
  reserve draw/top-up/release/balance, turbo, principal distribution and
  leftover, residual, active principal rule and each trigger's state
  (``trigger_<name>``, True once breached); ``insurance_fund_assets`` (the
  fund's balance after the period) when the run modelled a fund holding assets.

:func:`write_csv` writes the long form (and the deal frame beside it when
asked), :func:`to_json` both frames in one document.

Examples
--------
>>> from trancheflow.deal.spec import DealSpec
>>> from trancheflow.deal.run import run_deal
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-1",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 900, "coupon": 0.05},
...                  {"name": "R", "residual": True}],
... })
>>> frame = tranche_report(run_deal(spec))
>>> list(frame.columns[:11]) == list(TRANCHE_COLUMNS)
True
>>> float(frame.loc[frame.tranche == "A", "factor"].iloc[-1])
0.0
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from trancheflow.deal.params import RULE_NAMES
from trancheflow.deal.run import DealResult
from trancheflow.deal.waterfall import FloatResult

__all__ = ["TRANCHE_COLUMNS", "deal_report", "to_json", "tranche_report", "write_csv"]

#: Fixed leading columns of the long-form tranche report.
TRANCHE_COLUMNS = (
    "period",
    "tranche",
    "beginning_balance",
    "interest_due",
    "interest_paid",
    "interest_shortfall",
    "principal_paid",
    "writedown",
    "ending_balance",
    "factor",
    "cash_flow",
)
_EXTRA = ("coupon", "accreted", "interest_forgiven")


def _flows(result: DealResult | FloatResult) -> FloatResult:
    return result.flows if isinstance(result, DealResult) else result


def tranche_report(
    result: DealResult | FloatResult, path: int = 0, *, residual: bool = True
) -> pd.DataFrame:
    """Long-form per-tranche, per-period frame of one path (see module doc)."""
    f = _flows(result)
    p = f.params
    T, n = f.n_periods, p.n_tranches
    originals = np.array(p.tranche_balances, dtype=np.float64) / f.unit_scale
    cols: dict[str, np.ndarray] = {
        "period": np.repeat(np.arange(1, T + 1), n),
        "tranche": np.tile(np.array(p.names, dtype=object), T),
    }
    for c in TRANCHE_COLUMNS[2:]:
        if c == "factor":
            end = f.ending_balance[path]
            cols[c] = np.divide(end, originals, out=np.zeros_like(end), where=originals > 0).ravel()
        elif c == "cash_flow":
            cols[c] = f.cash_flow[path].ravel()
        else:
            cols[c] = getattr(f, c)[path].ravel()
    for c in _EXTRA:
        cols[c] = getattr(f, c)[path].ravel()
    frame = pd.DataFrame(cols)
    if residual:
        res = pd.DataFrame(
            dict.fromkeys(TRANCHE_COLUMNS[2:] + _EXTRA, 0.0) | {"period": np.arange(1, T + 1)}
        )
        res["tranche"] = p.residual_name
        res["cash_flow"] = f.residual[path]
        frame = pd.concat([frame, res[frame.columns]], ignore_index=True)
        frame = frame.sort_values(["period"], kind="stable").reset_index(drop=True)
    return frame


def deal_report(result: DealResult | FloatResult, path: int = 0) -> pd.DataFrame:
    """Per-period deal frame of one path: pool, fees, reserve, triggers, residual."""
    f = _flows(result)
    p = f.params
    out: dict[str, object] = {"period": np.arange(1, f.n_periods + 1)}
    for c in ("pool_beginning", "pool_ending", "cash_in"):
        out[c] = getattr(f, c)[path]
    for j, name in enumerate(p.fee_names):
        out[f"fee_{name}_paid"] = f.fee_paid[path, :, j]
        out[f"fee_{name}_shortfall"] = f.fee_shortfall[path, :, j]
    for c in (
        "insurance_premium",
        "insurance_cover",
        "reserve_draw",
        "reserve_topup",
        "reserve_release",
        "reserve_balance",
        "turbo",
        "principal_distribution",
        "principal_leftover",
        "residual",
    ):
        out[c] = getattr(f, c)[path]
    if f.fund_assets.any():
        out["insurance_fund_assets"] = f.fund_assets[path]
    out["active_rule"] = [RULE_NAMES[int(r)] for r in f.active_rule[path]]
    for k, name in enumerate(p.trigger_names):
        out[f"trigger_{name}"] = f.triggers[path, :, k]
    return pd.DataFrame(out)


def write_csv(
    result: DealResult | FloatResult,
    file: str | Path,
    *,
    path: int = 0,
    deal_file: str | Path | None = None,
) -> None:
    """Write the long-form tranche report (and the deal report to ``deal_file``)."""
    tranche_report(result, path).to_csv(file, index=False)
    if deal_file is not None:
        deal_report(result, path).to_csv(deal_file, index=False)


def to_json(result: DealResult | FloatResult, path: int = 0) -> str:
    """Both reports of one path as a JSON document ``{deal, mode, tranches, periods}``."""
    doc = {
        "deal": result.spec.deal if isinstance(result, DealResult) else None,
        "mode": result.mode if isinstance(result, DealResult) else "float",
        "tranches": json.loads(tranche_report(result, path).to_json(orient="records")),
        "periods": json.loads(deal_report(result, path).to_json(orient="records")),
    }
    return json.dumps(doc, indent=1)

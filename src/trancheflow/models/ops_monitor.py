"""The operator's model update of one finalized period, from the servicer's remittance file.

:func:`monitor_period` is what ``trancheflow model monitor`` runs after a
period was finalized on chain and indexed:

1. the deal (spec, tape) and the **finalized** report of the period are read
   from the indexer database;
2. the servicer's remittance file is reconciled against the previous
   period's book (:func:`~trancheflow.servicer.period.prepare_period`) and
   its loan book must hash to the finalized report's loan root
   (:func:`~trancheflow.models.ops_loans.from_remittance`): the model scores
   exactly the records the oracles attested;
3. forecast versus realized, the surviving pool re-scored and every tranche
   re-priced from its balance after the period (the indexed distributions)
   at the chosen OAS (:class:`~trancheflow.models.ops_deal.DealMonitor`);
4. the record is stored in ``deal_metrics`` (kind ``"model"``) beside the
   model's own row (period 0), where the API and the dashboard read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from trancheflow.errors import ModelError

__all__ = ["ChainReport", "monitor_period", "summary_metrics"]


def summary_metrics(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per risk ``auc``, ``auc_truth``, ``max_decile_calib_err`` of a saved model's metrics.

    Accepts the demo's flat form and ``model train``'s ``{risk: {forecaster: scores}}``.

    Examples
    --------
    >>> summary_metrics({"prepay": {"lightgbm": {"auc": 0.7, "max_decile_err": 0.05},
    ...                             "truth": {"auc": 0.71}}})
    {'prepay': {'auc': 0.7, 'auc_truth': 0.71, 'max_decile_calib_err': 0.05}}
    """
    out: dict[str, dict[str, Any]] = {}
    for risk, m in (metrics or {}).items():
        if not isinstance(m, dict):
            continue
        if "lightgbm" in m and isinstance(m["lightgbm"], dict):
            lg, tr = m["lightgbm"], m.get("truth") or {}
            out[risk] = {
                "auc": lg.get("auc"),
                "auc_truth": tr.get("auc"),
                "max_decile_calib_err": lg.get("max_decile_err"),
            }
        else:
            out[risk] = dict(m)
    return out


@dataclass(frozen=True)
class ChainReport:
    """The fields of a finalized report the monitoring reads (from the index)."""

    period: int
    scheduled_principal: int
    prepayments: int
    dq60_balance: int
    loans_root: bytes


def _load(
    db_url: str, deal_ref: str, period: int
) -> tuple[Any, str, str | None, Any, dict[str, float]]:
    from trancheflow.deal.spec import DealSpec
    from trancheflow.ops.db import find_deal, session
    from trancheflow.ops.models import Distribution, Report, Tranche

    with session(db_url) as s:
        deal = find_deal(s, deal_ref)
        spec = DealSpec.model_validate(json.loads(deal.spec_json))
        rep = s.scalar(
            select(Report).where(
                Report.deal_id == deal.id, Report.period == period, Report.status == "finalized"
            )
        )
        if rep is None:
            raise ModelError(
                f"{deal.name}: period {period} has no finalized report in the index "
                "(run the indexer after the keeper finalized it)"
            )
        report = ChainReport(
            period=period,
            scheduled_principal=int(rep.scheduled_principal),
            prepayments=int(rep.prepayments),
            dq60_balance=int(rep.dq60_balance),
            loans_root=bytes.fromhex(rep.loans_root.removeprefix("0x")),
        )
        names = {
            t.tranche_id: t.name
            for t in s.scalars(select(Tranche).where(Tranche.deal_id == deal.id))
        }
        dist = s.scalars(
            select(Distribution).where(
                Distribution.deal_id == deal.id, Distribution.period == period
            )
        ).all()
        scale = 10.0 ** int(spec.currency.decimals)
        balances = {
            names[d.tranche_id]: int(d.balance) / scale for d in dist if d.tranche_id in names
        }
        return spec, deal.name, deal.tape_path, report, balances


def monitor_period(
    db_url: str,
    deal: str,
    model: str,
    period: int,
    remittance: str | Path,
    *,
    mortgage_rate: float,
    previous: str | Path | None = None,
    tape: str | Path | None = None,
    models_dir: str | Path | None = None,
    fmt: str | None = None,
    oas_bp: float = 100.0,
    paths: int = 64,
    seed: int = 1,
) -> dict[str, Any]:
    """Update, re-price and store one finalized period (module docstring); returns the record.

    Raises
    ------
    ModelError
        Unknown model, no finalized report, records that do not hash to the
        attested root, or a tape without the model's calendar.
    RemittanceError
        The remittance file does not reconcile (file, row, field, rule).
    """
    from trancheflow.models.ops_deal import DealMonitor, metric_rows
    from trancheflow.models.ops_loans import from_remittance
    from trancheflow.models.registry import load_model
    from trancheflow.ops.metrics import record_metrics
    from trancheflow.servicer.period import prepare_period
    from trancheflow.tape import read_tape

    if period < 1:
        raise ModelError(f"period {period} must be 1 or more")
    spec, name, tape_path, report, balances = _load(db_url, deal, period)
    tp = tape or tape_path
    if tp is None:
        raise ModelError(f"{name}: no tape recorded with the deal; pass --tape")
    pool = read_tape(tp).reset_index(drop=True)
    hm = load_model(model, directory=models_dir)
    prepared = prepare_period(spec, pool, period, remittance, previous=previous, format=fmt)
    pl = from_remittance(prepared.reconciled, prepared.previous, report, source=str(remittance))
    mon = DealMonitor(
        hm, spec, pool, mortgage_rate=mortgage_rate, oas_bp=oas_bp, paths=paths, seed=seed
    )
    debt = [t.name for t in spec.tranches if not t.residual]
    missing = [n for n in debt if n not in balances]
    if missing:
        raise ModelError(f"{name}: the index has no period {period} balance for {missing}")
    rec = mon.update(pl, {n: balances[n] for n in debt})
    meta = {
        "model": model,
        "train_window": hm.meta.get("train_window", []),
        "test_from": hm.meta.get("test_from"),
        "data_hash": hm.meta.get("data_hash"),
        "metrics": summary_metrics(hm.meta.get("metrics", {})),
        "trained_on": f"{hm.meta.get('loans', '?')} loans, "
        f"{hm.meta.get('panel_rows', '?')} loan-months",
    }
    record_metrics(db_url, name, "model", metric_rows([rec], meta))
    return rec

"""Aggregate a reconciled remittance into the period's on-chain servicer report.

The report's fields come from the records, summed exactly in units:

==========================  =================================================
report field                from the records
==========================  =================================================
``interest``                ``interest_collected``
``scheduled_principal``     ``principal_collected``
``prepayments``             ``curtailment + payoff``
``recoveries``              ``liquidation_proceeds``
``losses``                  ``realized_loss``
``dq30_*`` .. ``reo_*``     count and ending balance of the loans in each
                            status (:data:`~trancheflow.servicer.schema.BUCKET`;
                            ``dpd90`` and ``dpd120plus`` are the 90+ bucket)
``loans_root``              Merkle root of every tape loan's ending balance
                            (:meth:`~trancheflow.servicer.reconcile.LoanBook.root`)
==========================  =================================================

So ``pool balance before - (scheduled principal + prepayments + recoveries) -
losses`` is the book's total after the period, which is what the deal
computes on chain.

Examples
--------
>>> from trancheflow.servicer.schema import RemittanceRecord
>>> from trancheflow.servicer.reconcile import LoanBook, reconcile
>>> book = LoanBook(("L1", "L2"), (100_00, 50_00))
>>> recs = [RemittanceRecord(1, "L1", 1, 100_00, 10_00, 10_00, 0, 0, 50, 0, 0, 90_00, "dpd60"),
...         RemittanceRecord(2, "L2", 1, 50_00, 5_00, 0, 0, 50_00, 20, 0, 0, 0, "paid_off")]
>>> r = build_report(reconcile(recs, book, 1, "r.csv"))
>>> r.cash, r.prepayments, r.dq60_count, r.dq60_balance, r.delinquent_60_plus
(6070, 5000, 1, 9000, 9000)
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from trancheflow.chain.reports import ServicerReport

from .reconcile import Reconciled
from .schema import BUCKET

__all__ = ["build_report", "report_differences", "report_from_json", "report_to_json"]


def build_report(done: Reconciled) -> ServicerReport:
    """The :class:`~trancheflow.chain.reports.ServicerReport` of a reconciled period."""
    recs = done.records
    buckets: dict[str, int] = {}
    for b in ("dq30", "dq60", "dq90", "foreclosure", "reo"):
        buckets[f"{b}_count"] = 0
        buckets[f"{b}_balance"] = 0
    for r in recs:
        bucket = BUCKET.get(r.delinquency_status)
        if bucket is not None:
            buckets[f"{bucket}_count"] += 1
            buckets[f"{bucket}_balance"] += r.ending_balance
    return ServicerReport(
        period=done.period,
        interest=sum(r.interest_collected for r in recs),
        scheduled_principal=sum(r.principal_collected for r in recs),
        prepayments=sum(r.curtailment + r.payoff for r in recs),
        recoveries=sum(r.liquidation_proceeds for r in recs),
        losses=sum(r.realized_loss for r in recs),
        loans_root=done.book.root(),
        **buckets,
    )


def report_to_json(report: ServicerReport) -> dict[str, Any]:
    """The report as JSON-ready data (root as ``0x`` hex).

    >>> report_from_json(report_to_json(ServicerReport(1, 2, 3, 4, 5, 6))).cash
    14
    """
    out: dict[str, Any] = {}
    for f in fields(report):
        v = getattr(report, f.name)
        out[f.name] = "0x" + bytes(v).hex() if f.name == "loans_root" else int(v)
    return out


def report_from_json(data: dict[str, Any]) -> ServicerReport:
    """Inverse of :func:`report_to_json` (also reads a ``ReportSubmitted`` event's args)."""
    kw: dict[str, Any] = {}
    for f in fields(ServicerReport):
        v = data[f.name]
        if f.name == "loans_root":
            kw[f.name] = bytes.fromhex(v[2:]) if isinstance(v, str) else bytes(v)
        else:
            kw[f.name] = int(v)
    return ServicerReport(**kw)


def report_differences(mine: ServicerReport, theirs: ServicerReport) -> list[str]:
    """Fields where two reports differ, as ``"field: mine X, theirs Y"`` lines.

    >>> report_differences(ServicerReport(1, 2, 3, 4, 5, 6), ServicerReport(1, 2, 3, 4, 5, 7))
    ['losses: recomputed 6, submitted 7']
    """
    out = []
    for f in fields(ServicerReport):
        a, b = getattr(mine, f.name), getattr(theirs, f.name)
        if a != b:
            if isinstance(a, bytes):
                a, b = "0x" + a.hex(), "0x" + bytes(b).hex()
            out.append(f"{f.name}: recomputed {a}, submitted {b}")
    return out

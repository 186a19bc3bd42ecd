"""A finalized period's loan-level records, checked against the report's loan root.

Each period the servicer attests a report whose ``loans_root`` is the Merkle
root of every loan's ``(loan_id, balance units, days delinquent)`` leaf
(:func:`~trancheflow.chain.merkle.loan_leaf`). :class:`PeriodLoans` is what
the model monitoring reads of a period: every tape loan's balance and days
delinquent at the start and the end of the period, its status at the end,
and what it paid. It is built only from records that hash to the report's
root (:func:`check_root`), so what is scored is what was attested.

Two sources:

* :func:`from_remittance`: a reconciled remittance file
  (:mod:`trancheflow.servicer`, what a real servicer sends): one record per
  loan with its status (``current``, ``dpd30`` ... ``reo``, ``paid_off``,
  ``liquidated``), payoff and curtailment. Per-loan terminations are exact.
* :func:`from_feed`: the SIMULATED :class:`~trancheflow.chain.servicer.ServicerFeed`
  of the demo. Its leaves are each loan's *expected* balance (a pool-level
  speed split across loans), so no loan ever pays off or defaults whole:
  every loan with a balance is ``current`` at 0 days, the balance decline is
  fractional, and the realized rates come from the attested report
  (prepayments; new defaults as the report's 60-89-day bucket, where the
  feed puts the balance that stopped paying that month) over the performing
  balance (the loans' balances less the 60+ pipeline the previous report
  attested). Loans whose balance
  reaches zero are ``paid_off`` (maturity).

Realized monthly rates, balance-weighted as a desk reads them
(:meth:`PeriodLoans.realized`): prepayment SMM = prepaid principal over the
balance at risk less its scheduled principal; default = balance of loans
that were current and stopped paying (current → delinquent or liquidated)
over the balance of loans current at the start.

Examples
--------
>>> from trancheflow.chain.merkle import merkle_root, loan_leaf
>>> from trancheflow.chain.reports import ServicerReport
>>> leaves = [loan_leaf("L1", 900, 0), loan_leaf("L2", 0, 0)]
>>> rep = ServicerReport(period=1, interest=10, scheduled_principal=100, prepayments=1000,
...                      recoveries=0, losses=0, loans_root=merkle_root(leaves))
>>> check_root(leaves, rep, source="example")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trancheflow.chain.merkle import loan_leaf, merkle_root
from trancheflow.errors import ModelError

__all__ = ["PeriodLoans", "check_root", "from_feed", "from_remittance"]

I64 = npt.NDArray[np.int64]

#: Statuses of :class:`PeriodLoans` (remittance delinquency statuses collapse to ``delinquent``).
LOAN_STATUSES = ("current", "delinquent", "paid_off", "liquidated")


def check_root(leaves: Sequence[bytes], report: Any, *, source: str) -> None:
    """Refuse loan-level records that do not hash to the report's ``loans_root``."""
    root = bytes(report.loans_root)
    if root == b"\x00" * 32:
        raise ModelError(
            f"{source}: the period {report.period} report has no loan-level root (all zero); "
            "the model cannot score records nobody attested"
        )
    mine = merkle_root(list(leaves))
    if mine != root:
        raise ModelError(
            f"{source}: the loan-level records of period {report.period} hash to 0x{mine.hex()}, "
            f"but the attested report's loan root is 0x{root.hex()}; refusing to score them"
        )


@dataclass(frozen=True)
class PeriodLoans:
    """Every tape loan in one period (tape order; money in settlement-token units).

    ``begin``/``end`` balances, ``days_begin``/``days_end`` delinquent,
    ``status`` at the end (:data:`LOAN_STATUSES`), ``scheduled`` principal due,
    ``prepaid`` (payoff + curtailment). ``fractional`` is True when balances
    are expected values (the simulated feed), so terminations are not per loan.
    ``report_prepaid``/``report_new_defaults`` override the per-loan sums
    (the feed's pool-level figures) and ``report_pipeline`` is the balance
    already in the feed's 60+ pipeline at the start (stopped paying earlier;
    still inside the expected loan balances), taken out of the balance at risk.
    """

    period: int
    loan_ids: tuple[str, ...]
    begin: I64
    end: I64
    days_begin: I64
    days_end: I64
    status: npt.NDArray[np.str_]
    scheduled: I64
    prepaid: I64
    source: str
    fractional: bool = False
    report_prepaid: int | None = None
    report_new_defaults: int | None = None
    report_pipeline: int = 0

    @property
    def current_at_start(self) -> npt.NDArray[np.bool_]:
        """Loans with a balance and 0 days delinquent at the start (at risk of prepay/default)."""
        return (self.begin > 0) & (self.days_begin == 0)

    @property
    def alive_at_end(self) -> npt.NDArray[np.bool_]:
        """Loans with a balance at the end of the period."""
        return self.end > 0

    def realized(self) -> dict[str, float]:
        """Realized monthly prepayment SMM and default rate, and their bases (module docstring)."""
        cur = self.current_at_start
        at_risk = float(self.begin[cur].sum()) - float(self.report_pipeline)
        if at_risk <= 0:
            raise ModelError(f"period {self.period}: no loan was current at the start")
        if self.report_prepaid is not None:
            prepaid = float(self.report_prepaid)
            live = self.begin > 0
            base = float(self.begin[live].sum() - self.scheduled[live].sum()) - self.report_pipeline
        else:
            prepaid = float(self.prepaid[cur].sum())
            base = float(at_risk - self.scheduled[cur].sum())
        if self.report_new_defaults is not None:
            defaulted = float(self.report_new_defaults)
        else:
            stopped = cur & np.isin(self.status, ("delinquent", "liquidated"))
            defaulted = float(self.begin[stopped].sum())
        return {
            "prepay_smm": prepaid / base if base > 0 else 0.0,
            "default_mdr": defaulted / at_risk,
            "balance_at_risk": at_risk,
            "prepaid": prepaid,
            "defaulted": defaulted,
            "paid_off_loans": float(np.sum(cur & (self.status == "paid_off"))),
            "defaulted_loans": float(
                np.sum(cur & np.isin(self.status, ("delinquent", "liquidated")))
            ),
        }


def _level_principal(bal: I64, annual: npt.NDArray[np.float64], n: I64) -> I64:
    """Scheduled principal of level-pay loans with ``n`` payments left (units, rounded)."""
    r = annual / 12.0
    nn = np.maximum(n, 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pay = np.where(r > 0, bal * r / (1.0 - (1.0 + r) ** -nn), bal / nn)
    out = np.where(nn <= 1, bal, np.minimum(bal, np.maximum(0.0, np.round(pay - bal * r))))
    return np.asarray(out, dtype=np.int64)


def from_feed(feed: Any, period: int, report: Any, *, tape: Any) -> PeriodLoans:
    """The simulated feed's loan records of ``period`` (module docstring), root checked.

    ``tape`` is the deal's loan tape (note rates and remaining terms for the
    scheduled principal).
    """
    leaves = feed.loan_leaves(period)
    check_root(leaves, report, source=f"servicer feed of {feed.spec.deal}")
    begin = np.asarray(feed.loan_units(period - 1), dtype=np.int64)
    end = np.asarray(feed.loan_units(period), dtype=np.int64)
    n = len(begin)
    zeros = np.zeros(n, dtype=np.int64)
    status = np.where(end > 0, "current", np.where(begin > 0, "paid_off", "current"))
    rem = tape["remaining_term"].to_numpy(dtype=np.int64) - (period - 1)
    sched = _level_principal(begin, tape["note_rate"].to_numpy(dtype=np.float64), rem)
    return PeriodLoans(
        period=period,
        loan_ids=tuple(feed.loan_ids),
        begin=begin,
        end=end,
        days_begin=zeros,
        days_end=zeros.copy(),
        status=np.asarray(status),
        scheduled=sched,
        prepaid=np.maximum(begin - sched - end, 0),
        source="simulated servicer feed (expected balances)",
        fractional=True,
        report_prepaid=int(report.prepayments),
        report_new_defaults=int(report.dq60_balance),
        report_pipeline=int(feed.period_input(period - 1).delinquent_60_plus) if period > 1 else 0,
    )


def from_remittance(
    reconciled: Any, previous: Any, report: Any, *, source: str | None = None
) -> PeriodLoans:
    """A reconciled remittance period (``prepare_period(...).reconciled``) and the book it
    started from (``.previous``), root checked against ``report``."""
    from trancheflow.servicer.schema import TERMINAL

    book = reconciled.book
    src = source or str(reconciled.file)
    check_root([loan_leaf(i, u, d) for i, u, d in book.rows()], report, source=src)
    ids = tuple(book.loan_ids)
    pos = {k: i for i, k in enumerate(ids)}
    n = len(ids)
    begin = np.asarray(
        [previous.as_dict().get(i, 0) for i in ids]
        if previous.loan_ids != ids
        else previous.balances,
        dtype=np.int64,
    )
    prev_days = dict(zip(previous.loan_ids, previous.days, strict=True))
    days_begin = np.asarray([prev_days.get(i, 0) for i in ids], dtype=np.int64)
    end = np.asarray(book.balances, dtype=np.int64)
    days_end = np.asarray(book.days, dtype=np.int64)
    status = np.where(end > 0, np.where(days_end > 0, "delinquent", "current"), "current")
    status = status.astype("<U10")
    sched = np.zeros(n, dtype=np.int64)
    prepaid = np.zeros(n, dtype=np.int64)
    for r in reconciled.records:
        k = pos.get(r.loan_id)
        if k is None:
            continue
        sched[k] = r.scheduled_principal
        prepaid[k] = r.payoff + r.curtailment
        st = r.delinquency_status
        if st in TERMINAL:
            status[k] = st
        elif st != "current":
            status[k] = "delinquent"
    return PeriodLoans(
        period=int(reconciled.period),
        loan_ids=ids,
        begin=begin,
        end=end,
        days_begin=days_begin,
        days_end=days_end,
        status=np.asarray(status),
        scheduled=sched,
        prepaid=prepaid,
        source=src,
    )

"""Reconcile a period's remittance with the previous period, loan by loan, to the unit.

A :class:`LoanBook` is every tape loan's balance in units and days
delinquent, in tape order, at the end of a period (period 0: the closing
tape, every loan at 0 days). Its root is the period's loan-level root, over
:func:`~trancheflow.chain.merkle.loan_leaf` ``(loan_id, units, days)``. :func:`reconcile` checks a
period's records against the book of the period before:

* every record is for the period being reported and for a loan of the tape
  (an extra loan is refused);
* every loan outstanding at the end of the previous period has a record (a
  missing loan is refused); a loan already paid off or liquidated may be left
  out, and if listed must carry no amounts;
* ``beginning_balance`` equals the previous period's balance;
* the balance rolls forward exactly: ``beginning - principal_collected -
  curtailment - payoff - liquidation_proceeds - realized_loss = ending``;
* statuses agree with the amounts: ``paid_off`` and ``liquidated`` end at
  zero and a zero balance ends the loan; a payoff needs ``paid_off``;
  liquidation proceeds need ``liquidated``; a loss needs ``liquidated`` or a
  ``principal_forgiveness`` modification; scheduled principal collected
  cannot exceed what the loan owed.

Every problem is collected (capped); a file with any is rejected whole.

Examples
--------
>>> from trancheflow.servicer.schema import RemittanceRecord
>>> book = LoanBook(("L1", "L2"), (100_00, 50_00))
>>> def rec(row, lid, end, prin, status="current"):
...     beg = dict(zip(book.loan_ids, book.balances))[lid]
...     return RemittanceRecord(row, lid, 1, beg, prin, prin, 0, 0, 50, 0, 0, end, status)
>>> done = reconcile([rec(1, "L1", 90_00, 10_00), rec(2, "L2", 45_00, 5_00)], book, 1, "r.csv")
>>> done.book.balances, done.book.total, done.book.days
((9000, 4500), 13500, (0, 0))
>>> from trancheflow.errors import RemittanceError
>>> try:
...     reconcile([rec(1, "L1", 90_01, 10_00)], book, 1, "r.csv")
... except RemittanceError as e:
...     print([(p.row, p.field, p.value) for p in e.problems])
...     print(e.problems[0].rule[-16:])
[(1, 'ending_balance', 9001), (None, 'loan_id', 'L2')]
(off by 1 units)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trancheflow.chain.merkle import loan_leaf, merkle_proof, merkle_root
from trancheflow.errors import ChainError

from .read import DEFAULT_CAP, Problems
from .schema import MONEY, TERMINAL, RemittanceRecord

__all__ = ["LoanBook", "Reconciled", "reconcile"]


@dataclass(frozen=True)
class LoanBook:
    """Every tape loan's balance in units and days delinquent at the end of a
    period, in tape order.

    ``days`` empty means 0 days for every loan (the closing tape).
    ``days_known`` is False for a book claimed from a file's beginning
    balances, which carry no delinquency: its :meth:`root` assumes 0 days and
    cannot stand for a period root with delinquent loans.
    """

    loan_ids: tuple[str, ...]
    balances: tuple[int, ...]
    days: tuple[int, ...] = ()
    days_known: bool = True

    def __post_init__(self) -> None:
        if len(self.loan_ids) != len(self.balances):
            raise ChainError("a loan book needs one balance per loan id")
        if not self.days:
            object.__setattr__(self, "days", (0,) * len(self.loan_ids))
        if len(self.days) != len(self.loan_ids):
            raise ChainError("a loan book needs one days-delinquent figure per loan id")

    @classmethod
    def from_pool(cls, spec: Any, pool: Any = None) -> LoanBook:
        """The closing book of a deal's collateral (tape loans, or rep lines ``line-i``).

        Balances are :func:`trancheflow.deal.run.loan_units`, the same units
        as the deal's ``TAPE_ROOT`` leaves.
        """
        import pandas as pd

        from trancheflow.deal.run import collateral_pool, loan_units

        pool = collateral_pool(spec) if pool is None else pool
        if isinstance(pool, pd.DataFrame):
            ids = tuple(str(x) for x in pool["loan_id"])
        else:
            ids = tuple(f"line-{i}" for i in range(len(pool)))
        return cls(ids, tuple(int(u) for u in loan_units(spec, pool)))

    @property
    def total(self) -> int:
        """Pool balance in units."""
        return sum(self.balances)

    def balance(self, loan_id: str) -> int | None:
        """Balance of ``loan_id`` (None when not a tape loan)."""
        return self.as_dict().get(loan_id)

    @property
    def _index(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.loan_ids)}

    @classmethod
    def from_beginning(cls, records: Sequence[RemittanceRecord], tape: LoanBook) -> LoanBook:
        """The book the records' ``beginning_balance`` claim (0 for tape loans not
        listed; records of loans not in the tape are ignored here)."""
        claimed = {r.loan_id: r.beginning_balance for r in records}
        return cls(tape.loan_ids, tuple(claimed.get(i, 0) for i in tape.loan_ids), days_known=False)

    def as_dict(self) -> dict[str, int]:
        """``{loan_id: units}``."""
        return dict(zip(self.loan_ids, self.balances, strict=True))

    def rows(self) -> list[tuple[str, int, int]]:
        """``(loan_id, balance_units, days_delinquent)`` in tape order."""
        return list(zip(self.loan_ids, self.balances, self.days, strict=True))

    def leaves(self) -> list[bytes]:
        """Merkle leaves :func:`~trancheflow.chain.merkle.loan_leaf` ``(loan_id, units, days)``."""
        return [loan_leaf(i, u, d) for i, u, d in self.rows()]

    def root(self) -> bytes:
        """The loan-level Merkle root (the period's ``loans_root``; period 0: ``TAPE_ROOT``)."""
        return merkle_root(self.leaves())

    def proof(self, loan_id: str) -> tuple[bytes, list[bytes]]:
        """``(leaf, proof)`` of ``loan_id`` under :meth:`root`."""
        k = self._index.get(loan_id)
        if k is None:
            raise ChainError(f"loan {loan_id!r} is not in the loan book")
        leaves = self.leaves()
        return leaves[k], merkle_proof(leaves, k)


@dataclass(frozen=True)
class Reconciled:
    """A remittance that reconciled: its records (tape order) and the period-end book."""

    period: int
    file: str
    records: tuple[RemittanceRecord, ...]
    book: LoanBook


def _rollforward(r: RemittanceRecord) -> str | None:
    expected = r.beginning_balance - r.principal_reduction
    if expected == r.ending_balance:
        return None
    return (
        f"does not roll forward: beginning {r.beginning_balance} - principal "
        f"{r.principal_collected} - curtailment {r.curtailment} - payoff {r.payoff} - "
        f"liquidation proceeds {r.liquidation_proceeds} - loss {r.realized_loss} = "
        f"{expected} (off by {r.ending_balance - expected} units)"
    )


def _status_rules(r: RemittanceRecord, probs: Problems) -> None:
    s = r.delinquency_status
    if s in TERMINAL and r.ending_balance != 0:
        probs.add(r.row, "ending_balance", r.ending_balance, f"must be 0 for a loan {s}")
    if s not in TERMINAL and r.ending_balance == 0:
        probs.add(
            r.row, "delinquency_status", s, "must be paid_off or liquidated: the balance is 0"
        )
    if r.payoff > 0 and s != "paid_off":
        probs.add(r.row, "payoff", r.payoff, f"needs status paid_off (status is {s})")
    if r.liquidation_proceeds > 0 and s != "liquidated":
        probs.add(
            r.row,
            "liquidation_proceeds",
            r.liquidation_proceeds,
            f"needs status liquidated (status is {s})",
        )
    if r.realized_loss > 0 and s != "liquidated" and r.modification != "principal_forgiveness":
        probs.add(
            r.row,
            "realized_loss",
            r.realized_loss,
            f"needs status liquidated or modification principal_forgiveness (status is {s})",
        )
    if r.principal_collected > r.beginning_balance:
        probs.add(
            r.row,
            "principal_collected",
            r.principal_collected,
            f"exceeds the beginning balance {r.beginning_balance}",
        )


def reconcile(
    records: Sequence[RemittanceRecord],
    previous: LoanBook,
    period: int,
    file: str,
    *,
    cap: int = DEFAULT_CAP,
) -> Reconciled:
    """Check ``records`` against ``previous`` (the book at the end of ``period - 1``).

    Returns
    -------
    Reconciled
        The records in tape order and the book at the end of ``period``:
        each loan's ending balance and days delinquent
        (:attr:`~trancheflow.servicer.schema.RemittanceRecord.days`; loans
        without a record keep their zero balance at 0 days).

    Raises
    ------
    RemittanceError
        Every broken rule (module docstring), with file, row, field and rule.
    """
    probs = Problems(file, cap)
    prev = previous.as_dict()
    by_id: dict[str, RemittanceRecord] = {}
    for r in records:
        if r.period != period:
            probs.add(r.row, "period", r.period, f"must be {period}, the period being reported")
        if r.loan_id not in prev:
            probs.add(r.row, "loan_id", r.loan_id, "is not a loan of the deal's tape")
            continue
        by_id[r.loan_id] = r
        before = prev[r.loan_id]
        if before == 0:
            if any(getattr(r, c) for c in MONEY):
                probs.add(
                    r.row,
                    "loan_id",
                    r.loan_id,
                    f"was paid off or liquidated before period {period}: its record must "
                    "carry no amounts",
                )
            continue
        if r.beginning_balance != before:
            probs.add(
                r.row,
                "beginning_balance",
                r.beginning_balance,
                f"must equal the loan's balance at the end of period {period - 1} ({before} units)",
            )
        rule = _rollforward(r)
        if rule is not None:
            probs.add(r.row, "ending_balance", r.ending_balance, rule)
        _status_rules(r, probs)
    for lid, before in prev.items():
        if before > 0 and lid not in by_id:
            probs.add(
                None,
                "loan_id",
                lid,
                f"is outstanding at the end of period {period - 1} (balance {before} units) "
                "but has no record",
            )
    probs.raise_if_any()
    ordered = tuple(by_id[i] for i in previous.loan_ids if i in by_id)
    book = LoanBook(
        previous.loan_ids,
        tuple(by_id[i].ending_balance if i in by_id else 0 for i in previous.loan_ids),
        tuple(by_id[i].days if i in by_id else 0 for i in previous.loan_ids),
    )
    return Reconciled(period, file, ordered, book)

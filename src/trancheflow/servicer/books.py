"""Loan books on disk: the period-end balances and days delinquent behind a loan root.

``servicer report --books DIR`` writes each submitted period's book as
``period-N.csv`` (and the closing tape's as ``tape.csv``), CSV
``loan_id,balance_units,days_delinquent`` in tape order: exactly the leaves
:func:`~trancheflow.chain.merkle.loan_leaf` of the period's ``loans_root``.
``trancheflow audit --loans-dir`` recomputes those roots, ``trancheflow
auction mark`` proves a loan from such a file (or straight from the period's
remittance file, :func:`book_from_remittance`) and :func:`loan_statuses`
feeds the keeper's liquidation duty.

Examples
--------
>>> import pathlib, tempfile
>>> from trancheflow.servicer.reconcile import LoanBook
>>> book = LoanBook(("L1", "L2"), (100_00, 0), (120, 0))
>>> p = pathlib.Path(tempfile.mkdtemp()) / "period-3.csv"
>>> write_book(book, p)
>>> read_book(p) == book
True
>>> [(s.name, s.days_delinquent) for s in loan_statuses(book)]
[('L1', 120), ('L2', 0)]
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trancheflow.errors import ChainError

from .read import DEFAULT_CAP, detect_format, read_remittance
from .reconcile import LoanBook

__all__ = ["book_from_remittance", "loan_statuses", "read_book", "write_book"]


def write_book(book: LoanBook, path: str | os.PathLike[str]) -> None:
    """Write ``book`` as CSV ``loan_id,balance_units,days_delinquent`` (tape order)."""
    Path(path).write_text(
        "loan_id,balance_units,days_delinquent\n"
        + "".join(f"{i},{u},{d}\n" for i, u, d in book.rows())
    )


def read_book(path: str | os.PathLike[str]) -> LoanBook:
    """A book written by :func:`write_book` (``days_delinquent`` may be absent: 0).

    Raises
    ------
    ChainError
        The file is missing or unreadable, lacks ``loan_id``/``balance_units``,
        repeats a loan, or a number is not a whole number >= 0 (row named).
    """
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise ChainError(f"loan book {p}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ChainError(f"loan book {p}: cannot be read ({exc})") from None
    ids: list[str] = []
    bals: list[int] = []
    days: list[int] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if not row.get("loan_id") or row.get("balance_units") is None:
            raise ChainError(f"loan book {p} row {n}: needs loan_id and balance_units")
        cells = (row["balance_units"], row.get("days_delinquent") or "0")
        if not all(c.strip().isdigit() for c in cells):
            raise ChainError(
                f"loan book {p} row {n}: balance_units {cells[0]!r} and days_delinquent "
                f"{cells[1]!r} must be whole numbers >= 0"
            )
        lid = row["loan_id"].strip()
        if lid in seen:
            raise ChainError(f"loan book {p} row {n}: loan {lid!r} is listed twice")
        seen.add(lid)
        ids.append(lid)
        bals.append(int(cells[0]))
        days.append(int(cells[1]))
    if not ids:
        raise ChainError(f"loan book {p}: has no loans")
    return LoanBook(tuple(ids), tuple(bals), tuple(days))


def book_from_remittance(
    path: str | os.PathLike[str],
    tape: LoanBook,
    decimals: int,
    *,
    format: str | None = None,
    cap: int = DEFAULT_CAP,
) -> LoanBook:
    """The period-end book a CSV/Parquet remittance file commits to.

    Every tape loan in tape order: its record's ``ending_balance`` and days
    delinquent, or 0 and 0 days when the file leaves it out (a loan already
    paid off or liquidated). The rows are read and checked cell by cell but
    not reconciled with the previous period; compare :meth:`LoanBook.root`
    with the root the deal accepted.

    Raises
    ------
    RemittanceError
        The file cannot be read or a cell breaks its rule.
    ChainError
        A record's loan is not a loan of the tape.
    """
    if detect_format(path, format) == "freddie":
        raise ChainError(
            f"{path}: a Freddie Mac file needs the previous period to become a book; pass the "
            "books file `servicer report --books` wrote (period-N.csv) instead"
        )
    recs = read_remittance(path, decimals, format=format, cap=cap)
    known = set(tape.loan_ids)
    by_id = {}
    for r in recs:
        if r.loan_id not in known:
            raise ChainError(f"{path} row {r.row}: loan {r.loan_id!r} is not a loan of the tape")
        by_id[r.loan_id] = r
    return LoanBook(
        tape.loan_ids,
        tuple(by_id[i].ending_balance if i in by_id else 0 for i in tape.loan_ids),
        tuple(by_id[i].days if i in by_id else 0 for i in tape.loan_ids),
    )


def loan_statuses(book: LoanBook, names: Sequence[str] | None = None) -> list[Any]:
    """:class:`~trancheflow.ops.keeper_liquidation.LoanStatus` of ``book``'s loans
    (or only ``names``), each with its proof under ``book.root()``: the keeper's
    ``loan_status`` source for a period whose remittance the deal accepted."""
    from trancheflow.chain.liquidation import loan_id
    from trancheflow.chain.merkle import merkle_proof, merkle_root
    from trancheflow.ops.keeper_liquidation import LoanStatus

    leaves = book.leaves()
    root = merkle_root(leaves)
    want = set(book.loan_ids if names is None else names)
    out = []
    for k, (name, bal, days) in enumerate(book.rows()):
        if name in want:
            proof = tuple(merkle_proof(leaves, k))
            out.append(LoanStatus(name, loan_id(name), bal, days, proof, root))
    return out

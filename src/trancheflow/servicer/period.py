"""One period from a remittance file: read, reconcile, aggregate, and check against the chain.

:func:`prepare_period` is what ``trancheflow servicer report`` and
``trancheflow oracle attest`` both run, so the servicer and each oracle
signer compute the same report from the same file independently.

The previous period's loan balances come from, in order:

1. period 1: the deal's tape (its closing book, whose root is ``TAPE_ROOT``);
2. ``previous=``: the previous period's remittance file, reconciled in turn
   against the book its own beginning balances claim (per-loan errors name
   the loan that differs);
3. otherwise the file's own ``beginning_balance`` column (enough to build and
   check the report offline, not to submit it: see below).

Whichever is used, :func:`check_previous_on_chain` then requires its Merkle
root to be the root the deal accepted for the previous period
(``root_period(root) == period - 1``; the tape root for period 1), so a
servicer cannot start a period from balances the chain never saw. The roots
commit to each loan's days delinquent as well as its balance, so after
period 1 only the previous remittance (case 2) can be checked against the
chain; case 3 is refused there.

Examples
--------
>>> from trancheflow.servicer.reconcile import LoanBook
>>> book = LoanBook(("L1",), (100_00,))
>>> book.root() == LoanBook(("L1",), (100_00,)).root()
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trancheflow.chain.reports import ServicerReport
from trancheflow.errors import DeploymentMismatchError, Problem, RemittanceError

from .freddie import read_freddie_month
from .read import DEFAULT_CAP, detect_format, read_remittance
from .reconcile import LoanBook, Reconciled, reconcile
from .report import build_report

__all__ = [
    "PreparedPeriod",
    "check_deployment",
    "check_previous_on_chain",
    "prepare_period",
    "read_records",
]


@dataclass(frozen=True)
class PreparedPeriod:
    """A reconciled period, its report and the book it started from."""

    reconciled: Reconciled
    report: ServicerReport
    previous: LoanBook
    previous_source: str


def read_records(
    path: str | os.PathLike[str],
    decimals: int,
    previous: LoanBook,
    period: int,
    *,
    format: str | None = None,
    month: str | None = None,
    servicing_fee: float = 0.0025,
    cap: int = DEFAULT_CAP,
) -> list[Any]:
    """Records of ``path`` in any accepted layout (CSV, Parquet, Freddie Mac performance)."""
    if detect_format(path, format) == "freddie":
        return read_freddie_month(
            path, previous, period, decimals, month=month, servicing_fee=servicing_fee, cap=cap
        )
    return read_remittance(path, decimals, format=format, cap=cap)


def prepare_period(
    spec: Any,
    pool: Any,
    period: int,
    remittance: str | os.PathLike[str],
    *,
    previous: str | os.PathLike[str] | None = None,
    format: str | None = None,
    month: str | None = None,
    servicing_fee: float = 0.0025,
    cap: int = DEFAULT_CAP,
) -> PreparedPeriod:
    """Validate ``remittance`` for ``period`` and build its report (module docstring).

    Raises
    ------
    RemittanceError
        The file (or the previous one) does not reconcile; every problem.
    """
    if period < 1:
        raise RemittanceError(
            [Problem(str(remittance), None, "period", period, "must be 1 or more")]
        )
    decimals = int(spec.currency.decimals)
    tape = LoanBook.from_pool(spec, pool)
    if period == 1:
        if previous is not None:
            raise RemittanceError(
                [
                    Problem(
                        str(previous),
                        None,
                        None,
                        None,
                        "period 1 starts from the tape: give no previous remittance",
                    )
                ]
            )
        before, source = tape, "the closing tape"
    elif previous is not None:
        # the previous file starts from the balances it claims; the chain then checks them
        fmt_prev = detect_format(previous, format)
        if fmt_prev == "freddie":
            raise RemittanceError(
                [
                    Problem(
                        str(previous),
                        None,
                        None,
                        None,
                        "a Freddie Mac file cannot be a previous period (it has no beginning "
                        "balances): pass the earlier accepted remittance or no --previous",
                    )
                ]
            )
        prev_recs = read_remittance(previous, decimals, format=fmt_prev, cap=cap)
        claimed = LoanBook.from_beginning(prev_recs, tape)
        before = reconcile(prev_recs, claimed, period - 1, str(previous), cap=cap).book
        source = f"the previous remittance {previous}"
    else:
        if detect_format(remittance, format) == "freddie":
            raise RemittanceError(
                [
                    Problem(
                        str(remittance),
                        None,
                        None,
                        None,
                        f"a Freddie Mac file for period {period} needs the previous period's "
                        "accepted remittance (--previous) for its beginning balances",
                    )
                ]
            )
        recs = read_remittance(remittance, decimals, format=format, cap=cap)
        before, source = LoanBook.from_beginning(recs, tape), "the file's beginning balances"
    records = read_records(
        remittance,
        decimals,
        before,
        period,
        format=format,
        month=month,
        servicing_fee=servicing_fee,
        cap=cap,
    )
    done = reconcile(records, before, period, str(remittance), cap=cap)
    return PreparedPeriod(done, build_report(done), before, source)


def check_deployment(handle: Any, spec: Any, pool: Any = None) -> None:
    """Refuse a spec, tape or chain that is not the recorded deployment's.

    Compares the record's chain id with the node's, the spec's hash and the
    tape's root with the record and with the deal contract's immutables
    ``SPEC_HASH`` and ``TAPE_ROOT``.

    Raises
    ------
    DeploymentMismatchError
        On any difference (the CLI exits with status 2).
    """
    from trancheflow.chain.servicer import tape_root
    from trancheflow.deal.onchain import spec_hash

    rec = handle.record
    b = handle.client.backend
    if rec.chain_id != handle.client.chain_id:
        raise DeploymentMismatchError(
            f"deployment {rec.name} is recorded on chain {rec.chain_id}; the node is chain "
            f"{handle.client.chain_id}"
        )
    mine = "0x" + spec_hash(spec).hex()
    on_chain = "0x" + bytes(b.call("Deal", rec.deal, "SPEC_HASH")).hex()
    if mine != rec.spec_hash.lower() or mine != on_chain:
        raise DeploymentMismatchError(
            f"spec {spec.deal} has hash {mine}; deployment {rec.name} records "
            f"{rec.spec_hash} and the deal at {rec.deal} holds {on_chain}: wrong spec for "
            "this deal"
        )
    root = "0x" + tape_root(spec, pool).hex()
    on_chain = "0x" + bytes(b.call("Deal", rec.deal, "TAPE_ROOT")).hex()
    if root != rec.tape_root.lower() or root != on_chain:
        raise DeploymentMismatchError(
            f"the tape's root is {root}; deployment {rec.name} records {rec.tape_root} and "
            f"the deal holds {on_chain}: wrong tape for this deal"
        )


def check_previous_on_chain(handle: Any, prepared: PreparedPeriod) -> None:
    """Require the period's starting book to be the one the deal accepted last period.

    Raises
    ------
    RemittanceError
        The starting balances' root is not the deal's root of ``period - 1``,
        or ``period`` is not the deal's next period.
    """
    period = prepared.reconciled.period
    file = prepared.reconciled.file
    current = handle.period()
    if period != current + 1:
        raise RemittanceError(
            [
                Problem(
                    file,
                    None,
                    "period",
                    period,
                    f"is not the deal's next period ({current + 1}; {current} finalized)",
                )
            ]
        )
    if period > 1 and not prepared.previous.days_known:
        raise RemittanceError(
            [
                Problem(
                    file,
                    None,
                    "beginning_balance",
                    None,
                    f"period {period} needs --previous (the period {period - 1} remittance the "
                    "deal accepted): the deal's loan root commits to each loan's days "
                    "delinquent, which beginning balances do not carry",
                )
            ]
        )
    root = prepared.previous.root()
    if period == 1:
        ok = "0x" + root.hex() == handle.record.tape_root.lower()
    elif hasattr(handle, "latest_loan_root"):
        # the root of the last finalized period, as the deal holds it
        ok = "0x" + root.hex() == str(handle.latest_loan_root()).lower()
    else:
        b = handle.client.backend
        ok = int(b.call("Deal", handle.address, "root_period", [root])) == period - 1
    if not ok:
        raise RemittanceError(
            [
                Problem(
                    file,
                    None,
                    "beginning_balance",
                    None,
                    f"the balances from {prepared.previous_source} (root 0x{root.hex()}) are "
                    f"not the loan-level root the deal accepted for period {period - 1}: a loan "
                    "is missing, extra or has another balance (pass --previous with the last "
                    "accepted remittance to see which)",
                )
            ]
        )


def write_book(book: LoanBook, path: Path) -> None:
    """Write a book as CSV ``loan_id,balance_units,days_delinquent`` (for audits and
    ``auction mark``; :func:`trancheflow.servicer.books.read_book` reads it back)."""
    from .books import write_book as _write

    _write(book, path)

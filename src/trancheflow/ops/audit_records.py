"""What the chain says about a deal, for the audit: reports, finalized periods, supply.

:class:`ChainRecord` gathers, for one deal, the servicer report each period
was finalized with (``ReportSubmitted``, the last one not vetoed), the
``PeriodFinalized`` results, the ``TriggerBreached`` logs and each tranche
token's supply (``Transfer`` mints less burns), read from the indexer's
tables (:func:`record_from_db`) or straight from an
:class:`~trancheflow.ops.events.EventSource` (:func:`record_from_events`).
Loan-level files (:func:`write_loan_file`, :func:`loan_file_root`) are CSV
``loan_id,balance_units`` whose Merkle root is the report's ``loans_root``.

Examples
--------
>>> from trancheflow.ops.events import MemoryChain
>>> chain = MemoryChain()
>>> deal, tok = "0x" + "d1" * 20, "0x" + "a1" * 20
>>> _ = chain.mine([(tok, "Transfer", {"sender": "0x" + "00" * 20,
...                                    "receiver": "0x" + "ee" * 20, "value": 800})])
>>> record_from_events(chain, deal, [tok]).supply
[800]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from trancheflow.errors import DatabaseError, SpecError
from trancheflow.ops.events import (
    PARAMETER_EVENTS,
    ZERO_ADDRESS,
    EventSource,
    normalize_address,
)

__all__ = [
    "LOAN_FILE",
    "TRANCHE_FIELDS",
    "ChainRecord",
    "FinalizedRecord",
    "ParameterChangeRecord",
    "ReportRecord",
    "loan_file_root",
    "record_from_db",
    "record_from_events",
    "write_loan_file",
]

#: Per-tranche lists of ``PeriodFinalized``.
TRANCHE_FIELDS = ("interest_paid", "principal_paid", "writedown", "balance")


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class ReportRecord:
    """The servicer report a period was finalized with (units)."""

    period: int
    interest: int
    scheduled_principal: int
    prepayments: int
    recoveries: int
    losses: int
    delinquent_60_plus: int
    cash: int
    loans_root: str

    @classmethod
    def from_fields(cls, period: int, cash: int, f: Mapping[str, Any]) -> ReportRecord:
        """From the ``Report`` struct's fields (event args or a ``reports`` row)."""
        d60 = sum(int(f[k]) for k in ("dq60_balance", "dq90_balance"))
        d60 += int(f["foreclosure_balance"]) + int(f["reo_balance"])
        root = f["loans_root"]
        root = "0x" + bytes(root).hex() if isinstance(root, bytes | bytearray) else str(root)
        return cls(
            period=int(period),
            interest=int(f["interest"]),
            scheduled_principal=int(f["scheduled_principal"]),
            prepayments=int(f["prepayments"]),
            recoveries=int(f["recoveries"]),
            losses=int(f["losses"]),
            delinquent_60_plus=d60,
            cash=int(cash),
            loans_root=root.lower(),
        )

    def period_input(self) -> Any:
        """The :class:`~trancheflow.deal.exact.PeriodInput` the waterfall runs."""
        from trancheflow.deal.exact import PeriodInput

        return PeriodInput(
            interest=self.interest,
            scheduled_principal=self.scheduled_principal,
            prepayments=self.prepayments,
            recoveries=self.recoveries,
            losses=self.losses,
            delinquent_60_plus=self.delinquent_60_plus,
        )


@dataclass(frozen=True)
class FinalizedRecord:
    """What ``PeriodFinalized`` said (lists per fee / per tranche, spec order)."""

    period: int
    pool_balance: int
    cumulative_loss: int
    reserve: int
    residual: int
    breached: int
    principal_rule: int
    fees_paid: tuple[int, ...]
    interest_paid: tuple[int, ...]
    principal_paid: tuple[int, ...]
    writedown: tuple[int, ...]
    balance: tuple[int, ...]
    insurance_premium: int = 0
    insurance_cover: int = 0
    auction_proceeds: int = 0

    @classmethod
    def from_args(cls, a: Mapping[str, Any]) -> FinalizedRecord:
        """From decoded ``PeriodFinalized`` args."""

        def ints(k: str) -> tuple[int, ...]:
            return tuple(int(x) for x in a[k])

        return cls(
            period=int(a["period"]),
            pool_balance=int(a["pool_balance"]),
            cumulative_loss=int(a["cumulative_loss"]),
            reserve=int(a["reserve"]),
            residual=int(a["residual"]),
            breached=int(a["breached"]),
            principal_rule=int(a["principal_rule"]),
            fees_paid=ints("fees_paid"),
            interest_paid=ints("interest_paid"),
            principal_paid=ints("principal_paid"),
            writedown=ints("writedown"),
            balance=ints("balance"),
            insurance_premium=int(a.get("insurance_premium", 0)),
            insurance_cover=int(a.get("insurance_cover", 0)),
            auction_proceeds=int(a.get("auction_proceeds", 0)),
        )


@dataclass(frozen=True)
class ParameterChangeRecord:
    """A deal setter log after closing (a governance change).

    ``after_period`` is the number of periods finalized when it was mined:
    the change governs periods ``after_period + 1`` onwards.
    """

    after_period: int
    block_number: int
    name: str
    args: Mapping[str, Any]

    def describe(self, trigger_names: Sequence[str] = ()) -> str:
        """One line, e.g. ``TriggerThresholdSet cum_loss threshold=60000000 at block 42
        (after period 3, from period 4)``."""
        a = dict(self.args)
        what = self.name
        if "trigger" in a:
            k = int(a.pop("trigger"))
            what += f" {trigger_names[k] if k < len(trigger_names) else f'trigger {k}'}"
        vals = " ".join(f"{k}={v}" for k, v in a.items())
        return (
            f"{what}{' ' + vals if vals else ''} at block {self.block_number} "
            f"(after period {self.after_period}, from period {self.after_period + 1})"
        )


@dataclass
class ChainRecord:
    """Everything the audit compares, as the chain (or the index of it) says.

    ``None`` marks what the source does not know (e.g. the spec hash when
    reading bare events); those checks are reported as not run.
    """

    name: str | None
    address: str
    chain_id: int
    spec_hash: str | None = None
    tape_root: str | None = None
    original_pool_balance: int | None = None
    tranche_originals: tuple[int, ...] | None = None
    current_balances: tuple[int, ...] | None = None
    reports: dict[int, ReportRecord] = field(default_factory=dict)
    periods: list[FinalizedRecord] = field(default_factory=list)
    breaches: list[tuple[int, int]] = field(default_factory=list)
    supply: list[int] = field(default_factory=list)
    parameter_changes: list[ParameterChangeRecord] = field(default_factory=list)


def record_from_events(
    source: EventSource,
    deal: str,
    tokens: Sequence[str],
    *,
    from_block: int = 0,
    to_block: int | None = None,
    name: str | None = None,
    spec_hash: str | bytes | None = None,
    tape_root: str | bytes | None = None,
    original_pool_balance: int | None = None,
    parts: Sequence[str] = (),
) -> ChainRecord:
    """Read a :class:`ChainRecord` straight from ``source`` (no database).

    ``parts`` are the other contracts of a split deal whose logs are the
    deal's own (its ``ReportOracle`` emits ``ReportSubmitted``; a deployment
    record's ``contracts``). ``spec_hash``, ``tape_root`` and ``original_pool_balance`` are contract
    immutables no event carries; pass them (``Deal.SPEC_HASH()``... or a
    deployment record) to have them checked.
    """
    deal = normalize_address(deal)
    toks = [normalize_address(t) for t in tokens]
    end = source.latest_block() if to_block is None else to_block
    rec = ChainRecord(
        name=name,
        address=deal,
        chain_id=int(source.chain_id),
        spec_hash=hex32(spec_hash),
        tape_root=hex32(tape_root),
        original_pool_balance=original_pool_balance,
        supply=[0] * len(toks),
    )
    pending: ReportRecord | None = None
    closed = False
    extra = [normalize_address(p) for p in parts]
    for ev in source.events(from_block, end, [deal, *toks, *extra]):
        a = ev.args
        if ev.address in toks:
            if ev.name == "Transfer":
                i = toks.index(ev.address)
                if normalize_address(a["sender"]) == ZERO_ADDRESS:
                    rec.supply[i] += int(a["value"])
                if normalize_address(a["receiver"]) == ZERO_ADDRESS:
                    rec.supply[i] -= int(a["value"])
            continue
        if ev.name == "ReportSubmitted":
            pending = ReportRecord.from_fields(a["period"], a["cash"], a["report"])
        elif ev.name == "ReportVetoed":
            pending = None
        elif ev.name == "TriggerBreached":
            rec.breaches.append((int(a["trigger"]), int(a["period"])))
        elif ev.name == "PeriodFinalized":
            fin = FinalizedRecord.from_args(a)
            if pending is not None and pending.period == fin.period:
                rec.reports[fin.period] = pending
            pending = None
            rec.periods.append(fin)
        elif ev.name == "Closed":
            closed = True
        elif closed and ev.name in PARAMETER_EVENTS:
            rec.parameter_changes.append(
                ParameterChangeRecord(len(rec.periods), ev.block_number, ev.name, dict(a))
            )
    return rec


def hex32(v: str | bytes | None) -> str | None:
    if v is None:
        return None
    return ("0x" + bytes(v).hex() if isinstance(v, bytes | bytearray) else str(v)).lower()


def record_from_db(
    db: str | URL | Engine, ref: str, *, chain_id: int | None = None
) -> tuple[ChainRecord, int]:
    """Read a deal's :class:`ChainRecord` from the indexer's tables; returns it and the
    deal's row id. ``ref`` is the deal's name or contract address.

    Raises
    ------
    NotFoundError
        No registered deal matches ``ref``.
    DatabaseError
        The database cannot be read or is not an indexer database.
    """
    from trancheflow.ops.db import find_deal, mask_url, session
    from trancheflow.ops.models import (
        Distribution,
        FeePayment,
        ParameterChange,
        Period,
        Report,
        Transfer,
    )
    from trancheflow.ops.models import TriggerBreach as Breach
    from trancheflow.ops.projector import args_from_json

    try:
        with session(db) as s:
            d = find_deal(s, ref, chain_id)
            rec = ChainRecord(
                name=d.name,
                address=d.address,
                chain_id=d.chain_id,
                spec_hash=d.spec_hash.lower(),
                original_pool_balance=d.original_pool_balance,
                tranche_originals=tuple(t.original for t in d.tranches),
                current_balances=tuple(t.balance for t in d.tranches),
                supply=[0] * len(d.tranches),
            )
            for r in s.scalars(
                select(Report).where(Report.deal_id == d.id, Report.status == "finalized")
            ):
                rec.reports[r.period] = ReportRecord.from_fields(r.period, r.cash, vars(r))
            by_period: dict[int, dict[str, dict[int, int]]] = {}
            for x in s.scalars(select(Distribution).where(Distribution.deal_id == d.id)):
                lines = by_period.setdefault(x.period, {})
                for f in TRANCHE_FIELDS:
                    lines.setdefault(f, {})[x.tranche_id] = getattr(x, f)
            for fp in s.scalars(select(FeePayment).where(FeePayment.deal_id == d.id)):
                by_period.setdefault(fp.period, {}).setdefault("fees_paid", {})[fp.fee_id] = fp.paid
            for p in s.scalars(
                select(Period).where(Period.deal_id == d.id).order_by(Period.period)
            ):
                lines = by_period.get(p.period, {})
                rec.periods.append(
                    FinalizedRecord(
                        period=p.period,
                        pool_balance=p.pool_balance,
                        cumulative_loss=p.cumulative_loss,
                        reserve=p.reserve,
                        residual=p.residual,
                        breached=p.breached,
                        principal_rule=p.principal_rule,
                        insurance_premium=p.insurance_premium,
                        insurance_cover=p.insurance_cover,
                        auction_proceeds=p.auction_proceeds,
                        **{
                            f: tuple(v for _, v in sorted(lines.get(f, {}).items()))
                            for f in ("fees_paid", *TRANCHE_FIELDS)
                        },
                    )
                )
            rec.breaches = [
                (b.trigger, b.period)
                for b in s.scalars(
                    select(Breach).where(Breach.deal_id == d.id).order_by(Breach.period)
                )
            ]
            rec.parameter_changes = [
                ParameterChangeRecord(c.period, c.block_number, c.name, args_from_json(c.args))
                for c in s.scalars(
                    select(ParameterChange)
                    .where(ParameterChange.deal_id == d.id, ParameterChange.governance)
                    .order_by(ParameterChange.block_number, ParameterChange.log_index)
                )
            ]
            for t in s.scalars(select(Transfer).where(Transfer.deal_id == d.id)):
                if t.sender == ZERO_ADDRESS:
                    rec.supply[t.tranche_id] += t.amount
                if t.receiver == ZERO_ADDRESS:
                    rec.supply[t.tranche_id] -= t.amount
            return rec, d.id
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot read the index in {mask_url(db)}: {str(exc).splitlines()[0]}; is it an "
            "indexer database (created by the indexer / trancheflow.ops.db.upgrade)?"
        ) from exc


# ---------------------------------------------------------------- loan files
def write_loan_file(path: str | Path, loans: Iterable[tuple[str, int]]) -> Path:
    """Write a loan-level file: CSV ``loan_id,balance_units``, one loan a row, tape order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_loan_file(pathlib.Path(tempfile.mkdtemp()) / "period-1.csv", [("L1", 5)])
    >>> from trancheflow.chain.merkle import loan_leaf, merkle_root
    >>> loan_file_root(p) == merkle_root([loan_leaf("L1", 5)])
    True
    """
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["loan_id", "balance_units"])
        for loan_id, units in loans:
            w.writerow([loan_id, int(units)])
    return p


def loan_file_root(path: str | Path) -> bytes:
    """Merkle root (:func:`~trancheflow.chain.merkle.merkle_root` of
    :func:`~trancheflow.chain.merkle.loan_leaf`) of a loan-level file; its
    optional ``days_delinquent`` column (absent or empty: 0) is committed too.

    Raises
    ------
    SpecError
        The file cannot be read, lacks the ``loan_id``/``balance_units``
        columns, or a balance is not a non-negative integer.
    """
    from trancheflow.chain.merkle import loan_leaf, merkle_root

    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SpecError(f"cannot read the loan file: {exc.strerror}", file=str(p)) from None
    leaves = []
    for n, row in enumerate(rows, start=1):
        if "loan_id" not in row or "balance_units" not in row:
            raise SpecError("needs the columns loan_id,balance_units", file=str(p))
        v = (row["balance_units"] or "").strip()
        if not v.isdigit():
            raise SpecError(
                f"row {n}, balance_units {v!r} must be a non-negative integer", file=str(p)
            )
        days = (row.get("days_delinquent") or "0").strip()
        if not days.isdigit():
            raise SpecError(
                f"row {n}, days_delinquent {days!r} must be a non-negative integer", file=str(p)
            )
        leaves.append(loan_leaf(row["loan_id"], int(v), int(days)))
    if not leaves:
        raise SpecError("has no loans", file=str(p))
    return merkle_root(leaves)


#: Loan-level file names: ``period-<N>.csv`` (period N) or ``tape.csv`` (closing).
LOAN_FILE = re.compile(r"^(?:period[-_]?(\d+)|(tape))\.csv$", re.IGNORECASE)

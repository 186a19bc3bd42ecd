"""Turn raw deal and token logs into the indexer's derived tables.

:func:`apply_event` applies one log, in chain order, to the projections of
:mod:`trancheflow.ops.models`. Holder balances come from ``Transfer`` logs;
each tranche's holder index, carry and every holder's settlement record
repeat ``TrancheToken``'s integer formulas (docs/waterfall.md, "Distribution to
holders"): a ``PeriodFinalized`` credits ``interest_paid + principal_paid``
per tranche and the index becomes ``floor(credited * INDEX_SCALE / face)``;
a ``Transfer`` settles both sides at the current index; a ``Claimed`` settles
the holder and zeroes what it is owed. Because the token settles exactly at
those logs and at no other time, the claimable amounts derived here equal the
contract's ``claimable(holder)`` to the unit (not an
approximation), given every log of the deal and its tokens.

:func:`rebuild` deletes every projection of a deal and re-applies its stored
raw logs, which is how a chain re-org is undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trancheflow.ops.events import (
    PARAMETER_EVENTS,
    ZERO_ADDRESS,
    ChainEvent,
    normalize_address,
)
from trancheflow.ops.models import (
    Alert,
    Claim,
    Deal,
    Distribution,
    EventRow,
    FeeClaim,
    FeePayment,
    Holder,
    ParameterChange,
    Period,
    Report,
    ResidualClaim,
    Signer,
    Tranche,
    Transfer,
    TriggerBreach,
)

__all__ = [
    "INDEX_SCALE",
    "REPORT_FIELDS",
    "apply_event",
    "args_from_json",
    "args_to_json",
    "claimable",
    "rebuild",
]

#: The holder index scale of TrancheToken (docs/waterfall.md).
INDEX_SCALE = 10**27
#: Fields of the Report struct carried by ReportSubmitted (Deal.vy order).
REPORT_FIELDS = (
    "interest",
    "scheduled_principal",
    "prepayments",
    "recoveries",
    "losses",
    "dq30_count",
    "dq30_balance",
    "dq60_count",
    "dq60_balance",
    "dq90_count",
    "dq90_balance",
    "foreclosure_count",
    "foreclosure_balance",
    "reo_count",
    "reo_balance",
)
_PROJECTIONS = (
    Report,
    Period,
    Distribution,
    FeePayment,
    TriggerBreach,
    Transfer,
    Claim,
    FeeClaim,
    ResidualClaim,
    Holder,
    Signer,
    ParameterChange,
)


def args_to_json(value: Any) -> Any:
    """JSON form of decoded args: ints beyond 53 bits become ``{"$int": "..."}``
    (JSON numbers are doubles in most readers), bytes become ``0x`` hex.

    Examples
    --------
    >>> args_to_json({"a": 2**70, "b": [1, b"\\x01"]})
    {'a': {'$int': '1180591620717411303424'}, 'b': [1, '0x01']}
    >>> args_from_json(args_to_json({"a": 2**70}))["a"] == 2**70
    True
    """
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): args_to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [args_to_json(v) for v in value]
    raise TypeError(f"cannot store event argument of type {type(value).__name__}")


def args_from_json(value: Any) -> Any:
    """Inverse of :func:`args_to_json`."""
    if isinstance(value, dict):
        if set(value) == {"$int"}:
            return int(value["$int"])
        return {k: args_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [args_from_json(v) for v in value]
    return value


def claimable(holder: Holder, tranche: Tranche) -> int:
    """``owed + floor(tokens * (index - last) / INDEX_SCALE)`` (TrancheToken.claimable)."""
    return holder.owed + holder.balance * (tranche.index - holder.last_index) // INDEX_SCALE


def _hex(v: Any) -> str:
    if isinstance(v, bytes | bytearray):
        return "0x" + bytes(v).hex()
    return str(v).lower()


def _holder(s: Session, deal: Deal, tranche: Tranche, address: str) -> Holder:
    h = s.scalar(
        select(Holder).where(
            Holder.deal_id == deal.id,
            Holder.tranche_id == tranche.tranche_id,
            Holder.address == address,
        )
    )
    if h is None:
        h = Holder(
            deal_id=deal.id,
            tranche_id=tranche.tranche_id,
            address=address,
            balance=0,
            last_index=0,
            owed=0,
            claimed=0,
        )
        s.add(h)
    return h


def _settle(h: Holder, tranche: Tranche) -> None:
    if h.last_index != tranche.index:
        h.owed = claimable(h, tranche)
        h.last_index = tranche.index


def _at(ev: ChainEvent) -> dict[str, Any]:
    return {"block_number": ev.block_number, "tx_hash": ev.tx_hash, "log_index": ev.log_index}


def _alert(s: Session, deal: Deal, ev: ChainEvent, kind: str, severity: str, msg: str) -> None:
    # one row per alert: a re-org rebuild re-applies logs, and the keeper
    # (trancheflow.ops.keeper) may have recorded the same kind and text first
    dup = select(Alert.id).where(Alert.deal_id == deal.id, Alert.kind == kind, Alert.message == msg)
    if s.scalar(dup) is not None:
        return
    s.add(
        Alert(
            deal_id=deal.id,
            kind=kind,
            severity=severity,
            message=msg,
            block_number=ev.block_number,
        )
    )


def _apply_token(s: Session, deal: Deal, tranche: Tranche, ev: ChainEvent) -> None:
    a = ev.args
    if ev.name == "Transfer":
        sender, receiver = normalize_address(a["sender"]), normalize_address(a["receiver"])
        amount = int(a["value"])
        s.add(
            Transfer(
                deal_id=deal.id,
                tranche_id=tranche.tranche_id,
                sender=sender,
                receiver=receiver,
                amount=amount,
                **_at(ev),
            )
        )
        if sender != ZERO_ADDRESS:
            hs = _holder(s, deal, tranche, sender)
            _settle(hs, tranche)
            hs.balance -= amount
        if receiver != ZERO_ADDRESS:
            hr = _holder(s, deal, tranche, receiver)
            _settle(hr, tranche)
            hr.balance += amount
    elif ev.name == "Claimed":
        holder = normalize_address(a["holder"])
        amount = int(a["amount"])
        s.add(
            Claim(
                deal_id=deal.id,
                tranche_id=tranche.tranche_id,
                holder=holder,
                amount=amount,
                **_at(ev),
            )
        )
        h = _holder(s, deal, tranche, holder)
        _settle(h, tranche)
        h.owed -= amount
        h.claimed += amount
        tranche.claimed += amount
    # Approval and OwnershipTransferred: kept as raw logs only.


def _apply_finalized(s: Session, deal: Deal, ev: ChainEvent) -> None:
    a = ev.args
    period = int(a["period"])
    s.add(
        Period(
            deal_id=deal.id,
            period=period,
            pool_balance=int(a["pool_balance"]),
            cumulative_loss=int(a["cumulative_loss"]),
            reserve=int(a["reserve"]),
            residual=int(a["residual"]),
            breached=int(a["breached"]),
            principal_rule=int(a["principal_rule"]),
            insurance_premium=int(a.get("insurance_premium", 0)),
            insurance_cover=int(a.get("insurance_cover", 0)),
            auction_proceeds=int(a.get("auction_proceeds", 0)),
            **_at(ev),
        )
    )
    for j, paid in enumerate(a["fees_paid"]):
        s.add(FeePayment(deal_id=deal.id, period=period, fee_id=j, paid=int(paid), **_at(ev)))
    for t in deal.tranches:
        i = t.tranche_id
        ip, pp = int(a["interest_paid"][i]), int(a["principal_paid"][i])
        s.add(
            Distribution(
                deal_id=deal.id,
                period=period,
                tranche_id=i,
                interest_paid=ip,
                principal_paid=pp,
                writedown=int(a["writedown"][i]),
                balance=int(a["balance"][i]),
                **_at(ev),
            )
        )
        t.balance = int(a["balance"][i])
        cash = ip + pp
        if cash:  # TrancheToken.distribute: index from the cumulative cash, rounded down
            t.distributed += cash
            t.index = t.distributed * INDEX_SCALE // t.original
            t.carry = t.distributed - t.index * t.original // INDEX_SCALE
    deal.residual_owed += int(a["residual"])
    report = s.scalar(
        select(Report)
        .where(Report.deal_id == deal.id, Report.period == period, Report.status == "submitted")
        .order_by(Report.block_number.desc(), Report.log_index.desc())
    )
    if report is not None:
        report.status = "finalized"


def _record_change(s: Session, deal: Deal, ev: ChainEvent) -> None:
    """A ``parameter_changes`` row: the log's args, at the periods finalized so far."""
    done = s.scalar(select(func.max(Period.period)).where(Period.deal_id == deal.id))
    s.add(
        ParameterChange(
            deal_id=deal.id,
            period=int(done or 0),
            name=ev.name,
            args=args_to_json(dict(ev.args)),
            governance=bool(deal.closed),
            **_at(ev),
        )
    )


def apply_event(s: Session, deal: Deal, ev: ChainEvent) -> None:
    """Apply one log of ``deal`` or of one of its tranche tokens to the projections.

    Logs must arrive in chain order. Unknown event names are ignored (kept
    only as raw logs).
    """
    addr = ev.address
    if addr != deal.address:
        for t in deal.tranches:
            if t.token_address == addr:
                _apply_token(s, deal, t, ev)
                return
        return
    a = ev.args
    name = ev.name
    if name in PARAMETER_EVENTS:
        _record_change(s, deal, ev)
    if name == "ReportSubmitted":
        r = a["report"]
        s.add(
            Report(
                deal_id=deal.id,
                period=int(a["period"]),
                status="submitted",
                digest=_hex(a["digest"]),
                inputs_hash=_hex(a["inputs_hash"]),
                cash=int(a["cash"]),
                loans_root=_hex(r["loans_root"]),
                **{f: int(r[f]) for f in REPORT_FIELDS},
                **_at(ev),
            )
        )
    elif name == "ReportVetoed":
        period = int(a["period"])
        by = normalize_address(a["by"])
        report = s.scalar(
            select(Report)
            .where(Report.deal_id == deal.id, Report.period == period, Report.status == "submitted")
            .order_by(Report.block_number.desc(), Report.log_index.desc())
        )
        if report is not None:
            report.status = "vetoed"
            report.vetoed_by = by
        _alert(
            s,
            deal,
            ev,
            "report_vetoed",
            "warning",
            f"report for period {period} vetoed by {by}; {int(a['cash_returned'])} units "
            "returned to the servicer, a corrected report is awaited",
        )
    elif name == "TriggerBreached":
        k, period = int(a["trigger"]), int(a["period"])
        s.add(TriggerBreach(deal_id=deal.id, trigger=k, period=period, **_at(ev)))
        _alert(
            s, deal, ev, "trigger_breached", "critical", f"trigger {k} breached in period {period}"
        )
    elif name == "PeriodFinalized":
        _apply_finalized(s, deal, ev)
    elif name == "FeeClaimed":
        s.add(
            FeeClaim(
                deal_id=deal.id,
                fee_id=int(a["fee"]),
                recipient=normalize_address(a["recipient"]),
                amount=int(a["amount"]),
                **_at(ev),
            )
        )
    elif name == "ResidualClaimed":
        amount = int(a["amount"])
        s.add(
            ResidualClaim(
                deal_id=deal.id, holder=normalize_address(a["holder"]), amount=amount, **_at(ev)
            )
        )
        deal.residual_owed -= amount
    elif name == "SignerSet":
        addr = normalize_address(a["signer"])
        row = s.scalar(select(Signer).where(Signer.deal_id == deal.id, Signer.address == addr))
        if row is None:
            s.add(
                Signer(
                    deal_id=deal.id,
                    address=addr,
                    active=bool(a["active"]),
                    block_number=ev.block_number,
                )
            )
        else:
            row.active = bool(a["active"])
            row.block_number = ev.block_number
    elif name == "QuorumSet":
        deal.quorum = int(a["quorum"])
    elif name == "ServicerSet":
        deal.servicer = normalize_address(a["servicer"])
    elif name == "GuardianSet":
        deal.guardian = normalize_address(a["guardian"])
    elif name == "ResidualHolderSet":
        deal.residual_holder = normalize_address(a["holder"])
    elif name in ("Paused", "Unpaused"):
        deal.paused = int(a["paused"])
    elif name == "Closed":
        deal.closed = True
        deal.issuer = normalize_address(a["issuer"])
    # Paid (the deal's side of a holder claim) and ownership changes: raw logs only.
    s.flush()


def rebuild(s: Session, deal: Deal) -> int:
    """Delete ``deal``'s projections and re-apply its stored raw logs in chain
    order; returns the number of logs applied. Alerts are kept."""
    for model in _PROJECTIONS:
        s.execute(delete(model).where(model.deal_id == deal.id))
    deal.closed, deal.issuer, deal.quorum = False, None, None
    deal.servicer = deal.guardian = deal.residual_holder = None
    deal.residual_owed = 0
    deal.paused = 0
    for t in deal.tranches:
        t.balance, t.index, t.carry, t.distributed, t.claimed = t.original, 0, 0, 0, 0
    s.flush()
    rows = s.scalars(
        select(EventRow)
        .where(EventRow.deal_id == deal.id)
        .order_by(EventRow.block_number, EventRow.log_index)
    ).all()
    for row in rows:
        apply_event(s, deal, event_from_row(row))
    return len(rows)


def event_from_row(row: EventRow) -> ChainEvent:
    """The :class:`ChainEvent` a stored raw log came from."""
    return ChainEvent(
        row.chain_id,
        row.block_number,
        row.block_hash,
        row.tx_hash,
        row.log_index,
        row.address,
        row.name,
        args_from_json(row.args),
    )

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

Every log is projected according to the *kind* of contract that emitted it
(:mod:`trancheflow.ops.contracts`): the deal (or a part of a split deal), a
tranche token, the first-loss fund, the liquidation, the compliance hook, the
subscription sale. A log that contradicts the projections (a claim above what
the holder is owed, a transfer above its balance, a recovery of more than was
accrued) raises :class:`ProjectionError`; the indexer quarantines such a log
instead of failing on it forever.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session

from trancheflow.errors import ChainError
from trancheflow.ops import contracts as kinds
from trancheflow.ops.events import (
    PARAMETER_EVENTS,
    ZERO_ADDRESS,
    ChainEvent,
    args_from_json,
    args_to_json,
    normalize_address,
)
from trancheflow.ops.models import (
    Alert,
    Claim,
    Deal,
    DealContract,
    Distribution,
    EventRow,
    FeeClaim,
    FeePayment,
    Holder,
    ParameterChange,
    Period,
    Recovery,
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
    "ProjectionError",
    "apply_event",
    "args_from_json",
    "args_to_json",
    "claimable",
    "contract_kinds",
    "rebuild",
]


class ProjectionError(ChainError):
    """A log that cannot be applied to the projections (it contradicts them or
    lacks a field); the message names the log and the rule it breaks, ``key``
    is the log's ``(tx_hash, log_index)``."""

    def __init__(self, message: str, key: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.key = key


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
    Recovery,
)


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


def _where(ev: ChainEvent) -> str:
    return f"{ev.name} at block {ev.block_number} log {ev.log_index} from {ev.address}"


def _debit(ev: ChainEvent, what: str, have: int, amount: int) -> int:
    if amount > have:
        raise ProjectionError(
            f"{_where(ev)}: {what} {amount} exceeds the {have} projected from earlier logs"
        )
    return have - amount


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
            hs.balance = _debit(ev, f"transfer from {sender}", hs.balance, amount)
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
        h.owed = _debit(ev, f"claim by {holder}", h.owed, amount)
        h.claimed += amount
        tranche.claimed += amount
    elif ev.name == "Recovered":
        _apply_recovered(s, deal, tranche, ev)
    # Approval, OwnershipTransferred, RoleMinterChanged: kept as raw logs only.


def _apply_recovered(s: Session, deal: Deal, tranche: Tranche, ev: ChainEvent) -> None:
    """``TrancheToken.recover``: both sides settled at the index, the holder's
    owed moved to the recovery address (the tokens move by the Transfer log
    emitted just before)."""
    a = ev.args
    holder, to = normalize_address(a["holder"]), normalize_address(a["to"])
    tokens, owed = int(a["tokens"]), int(a["owed"])
    s.add(
        Recovery(
            deal_id=deal.id,
            tranche_id=tranche.tranche_id,
            holder=holder,
            recipient=to,
            tokens=tokens,
            owed=owed,
            **_at(ev),
        )
    )
    hh, ht = _holder(s, deal, tranche, holder), _holder(s, deal, tranche, to)
    _settle(hh, tranche)
    _settle(ht, tranche)
    hh.owed = _debit(ev, f"owed recovered from {holder}", hh.owed, owed)
    ht.owed += owed
    _alert(
        s,
        deal,
        ev,
        "recovered",
        "warning",
        f"governance recovered {tokens} {tranche.name} token units and {owed} owed units "
        f"of frozen holder {holder} to {to} (block {ev.block_number})",
    )


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


def contract_kinds(s: Session, deal: Deal) -> dict[str, str]:
    """``{address: kind}`` of every contract of ``deal`` (the deal, its tokens,
    the ``deal_contracts`` rows)."""
    out = {deal.address: kinds.DEAL}
    out.update((t.token_address, kinds.TOKEN) for t in deal.tranches)
    rows = s.execute(
        select(DealContract.address, DealContract.kind).where(DealContract.deal_id == deal.id)
    )
    for address, kind in rows:
        out.setdefault(address, kind)
    return out


_WARN = frozenset({"AuctionExpired", "FrozenSet", "Paused", "IntegrationFailed", "ReportDisputed"})


def _notify(s: Session, deal: Deal, kind: str, ev: ChainEvent, why: str) -> None:
    """The alert of a log :data:`~trancheflow.ops.contracts.EVENT_HANDLING` marks ``alert``
    (not for another deal's token: one compliance registry may serve many deals)."""
    token = ev.args.get("token")
    if isinstance(token, str) and token.lower() not in {t.token_address for t in deal.tranches}:
        return
    args = ", ".join(f"{k}={v}" for k, v in ev.args.items())
    _alert(
        s,
        deal,
        ev,
        f"{kind.lower()}_{ev.name}"[:32],
        "warning" if ev.name in _WARN else "info",
        f"{kind} {ev.address}: {ev.name}({args}) at block {ev.block_number} "
        f"log {ev.log_index} ({why})",
    )


def apply_event(
    s: Session, deal: Deal, ev: ChainEvent, contracts: dict[str, str] | None = None
) -> None:
    """Apply one log of one of ``deal``'s contracts to the projections.

    Logs must arrive in chain order. ``contracts`` is :func:`contract_kinds`
    (computed when omitted). An event its contract kind does not declare is
    kept as a raw log and raises one ``unknown_event`` alert.

    Raises
    ------
    ProjectionError
        The log contradicts the projections or lacks a field.
    """
    key = (ev.tx_hash, ev.log_index)
    kind = (contracts or contract_kinds(s, deal)).get(ev.address)
    if kind is None:
        raise ProjectionError(
            f"{_where(ev)}: the address is not a contract of deal {deal.name}", key
        )
    rule = kinds.handling(kind, ev.name)
    if rule is None:
        _alert(
            s,
            deal,
            ev,
            "unknown_event",
            "info",
            f"{kind} {ev.address} emitted {ev.name}, which the indexer does not project; "
            "it is kept as a raw log",
        )
        return
    try:
        if kind == kinds.TOKEN:
            tranche = next(t for t in deal.tranches if t.token_address == ev.address)
            _apply_token(s, deal, tranche, ev)
        elif kind == kinds.DEAL:
            _apply_deal(s, deal, ev)
        if rule[0] == "alert":
            _notify(s, deal, kind, ev, rule[1])
        s.flush()
    except ProjectionError as exc:
        exc.key = key
        raise
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        StopIteration,
        AttributeError,
        ArithmeticError,
    ) as exc:
        raise ProjectionError(f"{_where(ev)}: {type(exc).__name__}: {exc}", key) from exc
    except StatementError as exc:
        if isinstance(exc, OperationalError | InterfaceError):
            raise  # the database, not the log
        raise ProjectionError(f"{_where(ev)}: {exc.orig or exc}", key) from exc


def _apply_deal(s: Session, deal: Deal, ev: ChainEvent) -> None:
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
        deal.residual_owed = _debit(ev, "residual claim", deal.residual_owed, amount)
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
    known = contract_kinds(s, deal)
    for row in rows:
        apply_event(s, deal, event_from_row(row), known)
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

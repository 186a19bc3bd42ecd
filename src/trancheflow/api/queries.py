"""Read models of the indexed data, shared by the JSON API and the dashboard.

Every function takes an open session and returns the API's response models
(:mod:`trancheflow.api.schemas`); unknown deals and holders raise
:class:`~trancheflow.errors.NotFoundError` naming them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trancheflow.api import schemas as sch
from trancheflow.errors import NotFoundError
from trancheflow.ops.db import find_deal
from trancheflow.ops.events import normalize_address
from trancheflow.ops.models import (
    Alert,
    AuditResult,
    Cursor,
    Deal,
    Distribution,
    FeePayment,
    Holder,
    Period,
    Report,
    Signer,
    TriggerBreach,
)
from trancheflow.ops.projector import REPORT_FIELDS, claimable

__all__ = [
    "audit",
    "deal_detail",
    "deal_spec_data",
    "holder_detail",
    "holders",
    "list_deals",
    "parameter_changes",
    "periods",
    "tranches",
]

RULES = {0: "sequential", 1: "pro_rata", 2: "shifting_interest"}


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def deal_spec_data(deal: Deal) -> dict[str, Any]:
    """The deal's stored canonical spec as a dict."""
    data: dict[str, Any] = json.loads(deal.spec_json)
    return data


def _last_period(s: Session, deal: Deal) -> Period | None:
    return s.scalar(
        select(Period).where(Period.deal_id == deal.id).order_by(Period.period.desc()).limit(1)
    )


def _summary_fields(s: Session, deal: Deal) -> dict[str, Any]:
    last = _last_period(s, deal)
    pool = last.pool_balance if last else deal.original_pool_balance
    return {
        "name": deal.name,
        "address": deal.address,
        "chain_id": deal.chain_id,
        "currency": deal_spec_data(deal)["currency"]["symbol"],
        "decimals": deal.decimals,
        "period": last.period if last else 0,
        "pool_balance": str(pool),
        "pool_factor": _ratio(pool, deal.original_pool_balance),
        "closed": deal.closed,
    }


def list_deals(s: Session) -> list[sch.DealSummary]:
    """Every registered deal."""
    return [
        sch.DealSummary(**_summary_fields(s, d))
        for d in s.scalars(select(Deal).order_by(Deal.chain_id, Deal.name))
    ]


def _triggers(s: Session, deal: Deal) -> list[sch.TriggerOut]:
    breaches = {
        b.trigger: b.period
        for b in s.scalars(select(TriggerBreach).where(TriggerBreach.deal_id == deal.id))
    }
    out = []
    for k, t in enumerate(deal_spec_data(deal).get("triggers", [])):
        direction = "above" if t.get("above") is not None else "below"
        then = t.get("then") or {}
        out.append(
            sch.TriggerOut(
                index=k,
                name=t["name"],
                metric=t["metric"],
                direction=direction,
                threshold=float(t[direction]),
                breached=k in breaches,
                breached_in_period=breaches.get(k),
                switches_principal_to=then.get("principal"),
            )
        )
    return out


def deal_detail(s: Session, ref: str) -> sch.DealOut:
    """One deal: state after the last finalized period, roles, triggers, alerts."""
    deal = find_deal(s, ref)
    last = _last_period(s, deal)
    spec = deal_spec_data(deal)
    base_rule = spec.get("waterfall", {}).get("principal", "sequential")
    if isinstance(base_rule, dict):
        base_rule = next(iter(base_rule))
    pending = s.scalar(
        select(Report.period).where(Report.deal_id == deal.id, Report.status == "submitted")
    )
    cursor = s.get(Cursor, deal.id)
    alerts = s.scalars(
        select(Alert).where(Alert.deal_id == deal.id).order_by(Alert.id.desc()).limit(20)
    ).all()
    cum = last.cumulative_loss if last else 0
    return sch.DealOut(
        **_summary_fields(s, deal),
        spec_hash=deal.spec_hash,
        original_pool_balance=str(deal.original_pool_balance),
        cumulative_loss=str(cum),
        cumulative_loss_pct=_ratio(cum, deal.original_pool_balance),
        reserve=str(last.reserve if last else 0),
        residual_owed=str(deal.residual_owed),
        principal_rule=RULES.get(last.principal_rule, "?") if last else str(base_rule),
        issuer=deal.issuer,
        servicer=deal.servicer,
        guardian=deal.guardian,
        residual_holder=deal.residual_holder,
        quorum=deal.quorum,
        signers=sorted(
            s.scalars(select(Signer.address).where(Signer.deal_id == deal.id, Signer.active))
        ),
        pending_report_period=pending,
        last_indexed_block=(
            cursor.last_block if cursor and cursor.last_block >= deal.start_block else None
        ),
        triggers=_triggers(s, deal),
        alerts=[
            sch.AlertOut(
                kind=a.kind,
                severity=a.severity,
                message=a.message,
                block_number=a.block_number,
                created_at=a.created_at.isoformat(),
            )
            for a in alerts
        ],
    )


def tranches(s: Session, ref: str) -> list[sch.TrancheOut]:
    """The deal's tranches with balances, factors and index state."""
    deal = find_deal(s, ref)
    counts = dict(
        s.execute(
            select(Holder.tranche_id, func.count(Holder.id))
            .where(Holder.deal_id == deal.id, Holder.balance != 0)
            .group_by(Holder.tranche_id)
        ).all()
    )
    return [
        sch.TrancheOut(
            tranche_id=t.tranche_id,
            name=t.name,
            token=t.token_address,
            original=str(t.original),
            balance=str(t.balance),
            factor=_ratio(t.balance, t.original),
            coupon=t.coupon / 10**9,
            accrual=t.accrual,
            index=str(t.index),
            carry=str(t.carry),
            distributed=str(t.distributed),
            claimed=str(t.claimed),
            holders=int(counts.get(t.tranche_id, 0)),
        )
        for t in deal.tranches
    ]


def periods(
    s: Session, ref: str, *, from_period: int = 1, limit: int | None = None
) -> list[sch.PeriodOut]:
    """Finalized periods from ``from_period`` on: pool, losses, delinquency,
    the waterfall's lines per tranche and the report behind them."""
    deal = find_deal(s, ref)
    q = (
        select(Period)
        .where(Period.deal_id == deal.id, Period.period >= from_period)
        .order_by(Period.period)
    )
    if limit is not None:
        q = q.limit(limit)
    rows = s.scalars(q).all()
    if not rows:
        return []
    lo, hi = rows[0].period, rows[-1].period
    names = {t.tranche_id: t for t in deal.tranches}
    dist: dict[int, list[Distribution]] = {}
    for d in s.scalars(
        select(Distribution)
        .where(Distribution.deal_id == deal.id, Distribution.period.between(lo, hi))
        .order_by(Distribution.tranche_id)
    ):
        dist.setdefault(d.period, []).append(d)
    fees: dict[int, list[int]] = {}
    for f in s.scalars(
        select(FeePayment)
        .where(FeePayment.deal_id == deal.id, FeePayment.period.between(lo, hi))
        .order_by(FeePayment.fee_id)
    ):
        fees.setdefault(f.period, []).append(f.paid)
    reports = {
        r.period: r
        for r in s.scalars(
            select(Report).where(
                Report.deal_id == deal.id,
                Report.status == "finalized",
                Report.period.between(lo, hi),
            )
        )
    }
    out = []
    for p in rows:
        r = reports.get(p.period)
        dq60 = None
        if r is not None:
            d60 = r.dq60_balance + r.dq90_balance + r.foreclosure_balance + r.reo_balance
            dq60 = _ratio(d60, p.pool_balance) if p.pool_balance else 0.0
        out.append(
            sch.PeriodOut(
                period=p.period,
                block_number=p.block_number,
                tx_hash=p.tx_hash,
                pool_balance=str(p.pool_balance),
                pool_factor=_ratio(p.pool_balance, deal.original_pool_balance),
                cumulative_loss=str(p.cumulative_loss),
                cumulative_loss_pct=_ratio(p.cumulative_loss, deal.original_pool_balance),
                delinquent_60_plus_pct=dq60,
                reserve=str(p.reserve),
                residual=str(p.residual),
                principal_rule=RULES.get(p.principal_rule, str(p.principal_rule)),
                insurance_premium=str(p.insurance_premium),
                insurance_cover=str(p.insurance_cover),
                auction_proceeds=str(p.auction_proceeds),
                breached=[k for k in range(p.breached.bit_length()) if p.breached >> k & 1],
                fees_paid=[str(x) for x in fees.get(p.period, [])],
                tranches=[
                    sch.TrancheLine(
                        tranche_id=d.tranche_id,
                        name=names[d.tranche_id].name,
                        interest_paid=str(d.interest_paid),
                        principal_paid=str(d.principal_paid),
                        writedown=str(d.writedown),
                        balance=str(d.balance),
                        factor=_ratio(d.balance, names[d.tranche_id].original),
                    )
                    for d in dist.get(p.period, [])
                ],
                report=None
                if r is None
                else sch.ReportNumbers.model_validate(
                    {
                        f: (str(getattr(r, f)) if not f.endswith("_count") else getattr(r, f))
                        for f in REPORT_FIELDS
                    }
                ),
            )
        )
    return out


def holders(s: Session, ref: str, *, limit: int = 100, offset: int = 0) -> sch.HoldersOut:
    """Addresses holding any tranche token now, largest total holding first."""
    deal = find_deal(s, ref)
    names = {t.tranche_id: t.name for t in deal.tranches}
    by_addr: dict[str, dict[str, int]] = {}
    for h in s.scalars(select(Holder).where(Holder.deal_id == deal.id, Holder.balance != 0)):
        by_addr.setdefault(h.address, {})[names[h.tranche_id]] = h.balance
    ranked = sorted(by_addr.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    page = ranked[offset : offset + limit]
    return sch.HoldersOut(
        deal=deal.name,
        total=len(ranked),
        holders=[
            sch.HolderRow(address=a, balances={k: str(v) for k, v in b.items()}) for a, b in page
        ],
    )


def holder_detail(s: Session, ref: str, address: str) -> sch.HolderOut:
    """One holder's tokens, current face and claimable amount per tranche."""
    deal = find_deal(s, ref)
    addr = normalize_address(address)
    rows = {
        h.tranche_id: h
        for h in s.scalars(select(Holder).where(Holder.deal_id == deal.id, Holder.address == addr))
    }
    if not rows:
        raise NotFoundError(
            f"address {addr} has never held a tranche token of deal {deal.name} ({deal.address}); "
            f"GET /api/deals/{deal.address}/holders lists the holders"
        )
    out, total = [], 0
    for t in deal.tranches:
        h = rows.get(t.tranche_id)
        tokens = h.balance if h else 0
        c = claimable(h, t) if h else 0
        total += c
        out.append(
            sch.HolderTranche(
                tranche_id=t.tranche_id,
                name=t.name,
                tokens=str(tokens),
                current_face=str(tokens * t.balance // t.original),
                claimable=str(c),
                claimed=str(h.claimed if h else 0),
            )
        )
    return sch.HolderOut(
        deal=deal.name,
        address=addr,
        tranches=out,
        total_claimable=str(total),
        note=(
            "claimable repeats TrancheToken.claimable() from the indexed Transfer, Claimed and "
            "PeriodFinalized logs: exact to the unit as of the last indexed block"
        ),
    )


def audit(s: Session, ref: str) -> sch.AuditOut:
    """The latest stored audit result of the deal."""
    deal = find_deal(s, ref)
    row = s.scalar(
        select(AuditResult)
        .where(AuditResult.deal_id == deal.id)
        .order_by(AuditResult.created_at.desc(), AuditResult.id.desc())
        .limit(1)
    )
    if row is None:
        raise NotFoundError(
            f"no audit result stored for deal {deal.name} ({deal.address}) yet; run the audit "
            "(trancheflow.ops.db.store_audit_result records one)"
        )
    return sch.AuditOut(
        deal=deal.name,
        ok=row.ok,
        through_period=row.through_period,
        summary=row.summary,
        details=row.details,
        created_at=row.created_at.isoformat(),
    )


def parameter_changes(s: Session, ref: str) -> list[sch.ParameterChangeOut]:
    """The deal's setter and pause logs in chain order (``parameter_changes``);
    big ints in ``args`` are decimal strings."""
    from trancheflow.ops.models import ParameterChange
    from trancheflow.ops.projector import args_from_json

    deal = find_deal(s, ref)
    rows = s.scalars(
        select(ParameterChange)
        .where(ParameterChange.deal_id == deal.id)
        .order_by(ParameterChange.block_number, ParameterChange.log_index)
    )
    return [
        sch.ParameterChangeOut(
            period=c.period,
            block_number=c.block_number,
            tx_hash=c.tx_hash,
            name=c.name,
            args={
                k: str(v)
                if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**53
                else v
                for k, v in args_from_json(c.args).items()
            },
            governance=c.governance,
        )
        for c in rows
    ]

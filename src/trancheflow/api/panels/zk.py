"""The zk panel: "N of M loans proven eligible", the two roots and the random audit.

Reads ``deal_metrics`` kind ``zk`` (period 0, key ``status``), written by the
demo's ZK step (:mod:`trancheflow.ops.demo_zk`) from the deal's
``EligibilityRegistry``: loans proven of loans committed, the Poseidon root
and the deal's keccak tape root it was committed beside, and the random
audit (requested / open / passed / failed, draws, confidence, deadline).

``GET /api/deals/{deal}/zk`` returns it as JSON (404 for an unknown deal;
``committed: false`` for a deal with no registry); :func:`render` draws the
dashboard section, the audit's state in colour (green passed, red failed,
amber pending).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from trancheflow.api.panels import card, db_session
from trancheflow.ops.db import find_deal
from trancheflow.ops.models import Deal, DealMetric

router = APIRouter()

KIND = "zk"

#: Colours of the audit's states (green passed, red failed, amber pending).
STATE_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "requested": "#9a6700",
    "open": "#9a6700",
    "none": "#57606a",
}


class ZkAuditOut(BaseModel):
    """The registry's random audit."""

    state: str = Field(description="none, requested, open (drawn, proving), passed or failed")
    k: int = Field(description="positions drawn (with replacement)")
    confidence: float = Field(description="stated confidence of catching the share below")
    ineligible_share: float = Field(description="share of ineligible loans the audit is sized for")
    miss_probability: float = Field(description="upper bound on passing such a pool")
    distinct: int = Field(description="distinct loans drawn")
    proven_drawn: int = Field(description="drawn loans proven eligible")
    missing: list[int] = Field(default=[], description="drawn positions not proven")
    deadline: int = Field(description="unix time the proving window ends")
    seed_block: int
    seed_source: str


class ZkOut(BaseModel):
    """A deal's zero-knowledge eligibility figures."""

    deal: str
    committed: bool = Field(description="whether a Poseidon root was committed")
    proven: int = 0
    loans: int = 0
    summary: str = ""
    poseidon_root: str | None = None
    tape_root: str | None = Field(default=None, description="the deal's keccak tape root")
    registry: str | None = None
    audit: ZkAuditOut | None = None
    note: str = "Circuit keys from a DEVELOPMENT setup: anyone can forge proofs with them"


def zk_of(s: Session, deal: Deal) -> ZkOut:
    """The zk figures of ``deal`` from its stored metrics."""
    row = s.scalars(
        select(DealMetric).where(
            DealMetric.deal_id == deal.id,
            DealMetric.kind == KIND,
            DealMetric.period == 0,
            DealMetric.key == "status",
        )
    ).first()
    if row is None:
        return ZkOut(deal=deal.name, committed=False)
    p: dict[str, Any] = dict(row.payload)
    a = p.get("audit")
    audit = None
    if a:
        audit = ZkAuditOut(**{k: a[k] for k in ZkAuditOut.model_fields if k in a})
    proven, loans = int(p.get("proven", 0)), int(p.get("loans", 0))
    return ZkOut(
        deal=deal.name,
        committed=True,
        proven=proven,
        loans=loans,
        summary=f"{proven:,} of {loans:,} loans proven eligible",
        poseidon_root=p.get("poseidon_root"),
        tape_root=p.get("tape_root"),
        registry=p.get("registry"),
        audit=audit,
    )


@router.get(
    "/api/deals/{deal}/zk",
    response_model=ZkOut,
    responses={404: {"description": "unknown deal"}},
    tags=["zk"],
)
def zk(deal: str, s: Annotated[Session, Depends(db_session)]) -> ZkOut:
    """N of M loans proven eligible, the committed roots and the random audit's state."""
    return zk_of(s, find_deal(s, deal))


def render(s: Session, deal: Deal) -> str | None:
    """The zk section of the deal page (None when nothing was committed)."""
    z = zk_of(s, deal)
    if not z.committed:
        return None
    cards = [card("loans proven eligible", f"{z.proven:,} of {z.loans:,}", "zk-proven")]
    text = ""
    if z.audit is not None:
        a = z.audit
        colour = STATE_COLOURS.get(a.state, "#57606a")
        deadline = datetime.fromtimestamp(a.deadline, UTC).strftime("%Y-%m-%d %H:%M UTC")
        cards += [
            card("random audit", a.state, "zk-audit", style=f"color:{colour};font-weight:600"),
            card("drawn loans proven", f"{a.proven_drawn} of {a.distinct}", "zk-drawn"),
            card("draws (k)", f"{a.k}", "zk-k"),
            card("confidence", f"{a.confidence:.0%} vs {a.ineligible_share:.0%} bad", "zk-conf"),
        ]
        missing = f" Missing positions: {', '.join(map(str, a.missing[:20]))}." if a.missing else ""
        text = (
            f"<p>{a.k} positions drawn from block {a.seed_block}'s hash "
            f"({html.escape(a.seed_source)}); proving window until {deadline}. An audit of "
            f"this size passes a pool with {a.ineligible_share:.0%} ineligible loans with "
            f"probability at most {a.miss_probability:.3f}.{missing}</p>"
        )
    roots = (
        f'<table class="grid"><tr><td>Poseidon root (ZK tree)</td>'
        f'<td><code id="zk-poseidon">{html.escape(z.poseidon_root or "")}</code></td></tr>'
        f"<tr><td>keccak tape root (deal)</td>"
        f'<td><code id="zk-tape">{html.escape(z.tape_root or "")}</code></td></tr>'
        f"<tr><td>eligibility registry</td><td><code>{html.escape(z.registry or '')}</code>"
        "</td></tr></table>"
    )
    return (
        '<section id="zk"><h2>Zero-knowledge eligibility</h2>'
        f'<p class="sub">{html.escape(z.summary)}; audit state in colour: green passed, '
        f"red failed, amber pending. {html.escape(z.note)}.</p>"
        f'<div class="cards">{"".join(cards)}</div>{roots}{text}</section>'
    )

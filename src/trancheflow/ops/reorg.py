"""Chain re-orgs, per chain: block hashes are stored per chain, cursors per deal.

Before each batch the indexer asks :func:`check_reorg` whether the chain's
newest stored block hash (``blocks``) or the deal's cursor hash still matches
the chain. When one does not, it walks back through the stored hashes to the
newest block still on the chain (the fork point) and :func:`rollback` rolls
back EVERY deal of that chain indexed beyond it, in the caller's transaction:
a deal re-read first must never leave another deal with logs of orphaned
blocks, whatever order the deals are indexed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from trancheflow.ops.events import EventSource
from trancheflow.ops.models import Alert, BlockRow, Cursor, Deal, EventRow, QuarantinedLog

__all__ = ["ReorgInfo", "check_reorg", "rollback"]

log = logging.getLogger("trancheflow.ops.indexer")

#: ``rebuild(session, deal)``: re-derive a deal's projections from its stored logs.
Rebuild = Callable[[Session, Deal], object]


@dataclass(frozen=True)
class ReorgInfo:
    """A re-org the indexer undid: the deal, the block it rolled back to, logs removed."""

    deal: str
    rolled_back_to: int
    removed_logs: int


def check_reorg(
    s: Session, source: EventSource, deal: Deal, cursor: Cursor, rebuild: Rebuild
) -> list[ReorgInfo]:
    """Detect a re-org (the chain's newest stored block hash or ``deal``'s cursor
    hash differs from ``source``'s) and roll back every deal of the chain beyond
    the fork point (:func:`rollback`); returns what was undone (empty: none)."""
    src = source
    chain_id = int(source.chain_id)
    mismatch: int | None = None
    if (
        cursor.last_block_hash is not None
        and cursor.last_block >= deal.start_block
        and src.block_hash(cursor.last_block) != cursor.last_block_hash
    ):
        mismatch = cursor.last_block
    newest = s.execute(
        select(BlockRow.number, BlockRow.hash)
        .where(BlockRow.chain_id == chain_id)
        .order_by(BlockRow.number.desc())
        .limit(1)
    ).first()
    if newest is not None and src.block_hash(newest[0]) != newest[1]:
        mismatch = newest[0] if mismatch is None else min(mismatch, newest[0])
    if mismatch is None:
        return []
    ancestor = -1
    stored = s.execute(
        select(BlockRow.number, BlockRow.hash)
        .where(BlockRow.chain_id == chain_id, BlockRow.number < mismatch)
        .order_by(BlockRow.number.desc())
    )
    for number, block_hash in stored:
        if src.block_hash(number) == block_hash:
            ancestor = number
            break
    return rollback(s, source, ancestor, rebuild)


def rollback(s: Session, source: EventSource, ancestor: int, rebuild: Rebuild) -> list[ReorgInfo]:
    """Roll every deal of ``source``'s chain indexed beyond block ``ancestor`` back
    to it: delete its logs (and quarantined logs) above, ``rebuild(s, deal)`` its
    projections, move its cursor back, raise an alert; drop the chain's block
    hashes above ``ancestor``."""
    chain_id = int(source.chain_id)
    infos = []
    for deal in s.scalars(select(Deal).where(Deal.chain_id == chain_id)).all():
        cursor = s.get(Cursor, deal.id)
        if cursor is None or cursor.last_block <= ancestor:
            continue
        to = max(ancestor, deal.start_block - 1)
        removed = int(
            s.execute(  # type: ignore[attr-defined]
                delete(EventRow).where(EventRow.deal_id == deal.id, EventRow.block_number > to)
            ).rowcount
            or 0
        )
        s.execute(
            delete(QuarantinedLog).where(
                QuarantinedLog.deal_id == deal.id, QuarantinedLog.block_number > to
            )
        )
        rebuild(s, deal)
        changed = cursor.last_block
        cursor.last_block = to
        cursor.last_block_hash = source.block_hash(to) if to >= 0 else None
        s.add(
            Alert(
                deal_id=deal.id,
                kind="reorg",
                severity="warning",
                message=(
                    f"chain re-org: blocks {to + 1}..{changed} changed; rolled back to block "
                    f"{to} and removed {removed} log(s), which will be re-read"
                ),
                block_number=to,
            )
        )
        infos.append(ReorgInfo(deal.address, to, removed))
        log.warning(
            "re-org on chain %d: deal %s rolled back to block %d",
            chain_id,
            deal.address,
            to,
        )
    s.execute(delete(BlockRow).where(BlockRow.chain_id == chain_id, BlockRow.number > ancestor))
    return infos

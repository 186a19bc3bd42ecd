"""The indexer: follows deals on a chain and writes their logs to the database.

For each registered deal (and its tranche tokens) :meth:`Indexer.run_once`
reads the logs of the next blocks from an :class:`~trancheflow.ops.events.EventSource`
in batches of ``batch_blocks``, stopping ``confirmations`` blocks behind the
head. Each batch commits in ONE transaction: the raw logs (unique on
``(chain_id, tx_hash, log_index)``), their projections and the deal's cursor
(last block and its hash). A crash loses at most the batch in flight and a
restart resumes from the cursor, so there are neither duplicates nor gaps.

Re-orgs: before reading on, the indexer compares the hash of the deal's last
indexed block with the chain's. When it changed, it walks back through the
hashes it stored for indexed blocks to the newest one still on the chain,
deletes every log above it, rebuilds the deal's projections from the logs
that remain, moves the cursor back and raises an alert, all in one
transaction; the next batches read the new fork.

Examples
--------
>>> from trancheflow.ops.events import MemoryChain
>>> from trancheflow.ops.db import connect, upgrade, register_deal
>>> from trancheflow.deal import DealSpec
>>> engine = connect("sqlite://"); upgrade(engine)
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-IDX",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}]})
>>> deal, token = "0x" + "d1" * 20, "0x" + "a1" * 20
>>> _ = register_deal(engine, spec, chain_id=31337, address=deal, tokens=[token])
>>> chain = MemoryChain(31337)
>>> _ = chain.mine([(deal, "QuorumSet", {"quorum": 2})])
>>> Indexer(engine, chain).run_once()
1
>>> Indexer(engine, chain).run_once()   # resumes: nothing new
0
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from trancheflow.errors import ChainError
from trancheflow.ops.db import connect, mask_url, session
from trancheflow.ops.events import ChainEvent, EventSource, normalize_address
from trancheflow.ops.models import Alert, BlockRow, Cursor, Deal, EventRow
from trancheflow.ops.projector import apply_event, args_to_json, rebuild

__all__ = ["Indexer", "ReorgInfo"]

log = logging.getLogger(__name__)

#: Block hashes kept per chain for re-org detection (deeper re-orgs rebuild from the start).
KEEP_BLOCKS = 512


@dataclass(frozen=True)
class ReorgInfo:
    """A re-org the indexer undid: the deal, the block it rolled back to, logs removed."""

    deal: str
    rolled_back_to: int
    removed_logs: int


class Indexer:
    """Follows registered deals on one chain.

    Parameters
    ----------
    db_url : str, URL or Engine
        The indexer database (migrated with :func:`~trancheflow.ops.db.upgrade`).
    source : EventSource
        Where logs come from.
    deal_addresses : sequence of str, optional
        Deals to follow (default: every deal registered on ``source.chain_id``).
    confirmations : int
        Blocks to stay behind the head (0 for an in-process chain; a few on a
        real node, so shallow re-orgs rarely reach the index).
    batch_blocks : int
        Most blocks read and committed per transaction.
    """

    def __init__(
        self,
        db_url: str | URL | Engine,
        source: EventSource,
        *,
        deal_addresses: Sequence[str] | None = None,
        confirmations: int = 0,
        batch_blocks: int = 2000,
    ) -> None:
        if confirmations < 0 or batch_blocks < 1:
            raise ChainError(
                f"confirmations={confirmations} must be >= 0 and batch_blocks={batch_blocks} >= 1"
            )
        self.engine = connect(db_url)
        self.source = source
        self.chain_id = int(source.chain_id)
        self.deal_addresses = (
            None if deal_addresses is None else [normalize_address(a) for a in deal_addresses]
        )
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.reorgs: list[ReorgInfo] = []

    def __repr__(self) -> str:
        return f"Indexer({mask_url(self.engine)}, chain {self.chain_id})"

    # ----------------------------------------------------------------- helpers
    def _deal_ids(self) -> list[int]:
        with session(self.engine) as s:
            q = select(Deal.id).where(Deal.chain_id == self.chain_id).order_by(Deal.id)
            if self.deal_addresses is not None:
                q = q.where(Deal.address.in_(self.deal_addresses))
            ids = list(s.scalars(q))
        if self.deal_addresses is not None and len(ids) != len(set(self.deal_addresses)):
            raise ChainError(
                f"some of the deals {self.deal_addresses} are not registered on chain "
                f"{self.chain_id}; register them with trancheflow.ops.db.register_deal first"
            )
        return ids

    def _check_reorg(self, s: Session, deal: Deal, cursor: Cursor) -> ReorgInfo | None:
        if cursor.last_block < deal.start_block or cursor.last_block_hash is None:
            return None
        if self.source.block_hash(cursor.last_block) == cursor.last_block_hash:
            return None
        stored = s.execute(
            select(BlockRow.number, BlockRow.hash)
            .where(BlockRow.chain_id == self.chain_id, BlockRow.number < cursor.last_block)
            .order_by(BlockRow.number.desc())
        ).all()
        ancestor = deal.start_block - 1
        for number, block_hash in stored:
            if number < deal.start_block:
                break
            if self.source.block_hash(number) == block_hash:
                ancestor = number
                break
        removed = int(
            s.execute(  # type: ignore[attr-defined]
                delete(EventRow).where(
                    EventRow.deal_id == deal.id, EventRow.block_number > ancestor
                )
            ).rowcount
            or 0
        )
        s.execute(
            delete(BlockRow).where(BlockRow.chain_id == self.chain_id, BlockRow.number > ancestor)
        )
        rebuild(s, deal)
        cursor.last_block = ancestor
        cursor.last_block_hash = self.source.block_hash(ancestor) if ancestor >= 0 else None
        s.add(
            Alert(
                deal_id=deal.id,
                kind="reorg",
                severity="warning",
                message=(
                    f"chain re-org: block {cursor.last_block + 1}.. changed; rolled back to block "
                    f"{ancestor} and removed {removed} log(s), which will be re-read"
                ),
                block_number=ancestor,
            )
        )
        info = ReorgInfo(deal.address, ancestor, removed)
        log.warning("re-org on deal %s: rolled back to block %d", deal.address, ancestor)
        return info

    def _batch(self, deal_id: int, safe_head: int) -> int | None:
        """Index one batch for one deal; returns logs written, None when up to date."""
        with session(self.engine) as s:
            deal = s.get(Deal, deal_id)
            cursor = s.get(Cursor, deal_id)
            assert deal is not None and cursor is not None
            info = self._check_reorg(s, deal, cursor)
            if info is not None:
                self.reorgs.append(info)
                return 0
            start = max(cursor.last_block + 1, deal.start_block)
            if start > safe_head:
                return None
            end = min(safe_head, start + self.batch_blocks - 1)
            addresses = [deal.address, *(t.token_address for t in deal.tranches)]
            end_hash = self.source.block_hash(end)
            events = sorted(
                self.source.events(start, end, addresses),
                key=lambda e: (e.block_number, e.log_index),
            )
            if self.source.block_hash(end) != end_hash or end_hash is None:
                return 0  # the chain moved under us; read again next time
            self._write(s, deal, events)
            hashes = {e.block_number: e.block_hash for e in events}
            hashes[end] = end_hash
            for number, block_hash in hashes.items():
                row = s.get(BlockRow, (self.chain_id, number))
                if row is None:
                    s.add(BlockRow(chain_id=self.chain_id, number=number, hash=block_hash))
                else:
                    row.hash = block_hash
            s.execute(
                delete(BlockRow).where(
                    BlockRow.chain_id == self.chain_id, BlockRow.number < end - KEEP_BLOCKS
                )
            )
            cursor.last_block, cursor.last_block_hash = end, end_hash
            return len(events)

    def _write(self, s: Session, deal: Deal, events: list[ChainEvent]) -> None:
        seen = {
            (tx, li)
            for tx, li in s.execute(
                select(EventRow.tx_hash, EventRow.log_index).where(
                    EventRow.chain_id == self.chain_id,
                    EventRow.tx_hash.in_({e.tx_hash for e in events}),
                )
            )
        }
        for ev in events:
            if ev.chain_id != self.chain_id:
                raise ChainError(
                    f"event {ev.name} at block {ev.block_number} is from chain {ev.chain_id}, "
                    f"the indexer follows chain {self.chain_id}"
                )
            if (ev.tx_hash, ev.log_index) in seen:
                continue  # already stored (a source that repeats logs)
            seen.add((ev.tx_hash, ev.log_index))
            s.add(
                EventRow(
                    deal_id=deal.id,
                    chain_id=ev.chain_id,
                    block_number=ev.block_number,
                    block_hash=ev.block_hash,
                    tx_hash=ev.tx_hash,
                    log_index=ev.log_index,
                    address=ev.address,
                    name=ev.name,
                    args=args_to_json(dict(ev.args)),
                )
            )
            apply_event(s, deal, ev)

    # ----------------------------------------------------------------- public
    def run_once(self) -> int:
        """Index every followed deal up to ``head - confirmations``; returns logs written."""
        safe_head = self.source.latest_block() - self.confirmations
        total = 0
        for deal_id in self._deal_ids():
            while True:
                n = self._batch(deal_id, safe_head)
                if n is None:
                    break
                total += n
        return total

    def run(
        self,
        poll_interval: float = 2.0,
        stop_after: float | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Poll every ``poll_interval`` seconds; stop after ``stop_after`` seconds
        (None: forever) or when ``should_stop()`` is true. Returns logs written."""
        deadline = None if stop_after is None else time.monotonic() + stop_after
        total = 0
        while True:
            total += self.run_once()
            if should_stop is not None and should_stop():
                return total
            if deadline is not None and time.monotonic() + poll_interval > deadline:
                return total
            time.sleep(poll_interval)

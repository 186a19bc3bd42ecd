"""The indexer: follows deals on a chain and writes their logs to the database.

For each registered deal :meth:`Indexer.run_once` reads the logs of every
contract of the deal (the deal or its parts, its tranche tokens, and the
``deal_contracts`` rows: fund, liquidation, compliance hook, subscription,
any contract a deployment record names) from an
:class:`~trancheflow.ops.events.EventSource` in batches of ``batch_blocks``,
stopping ``confirmations`` blocks behind the head. Each batch commits in ONE
transaction: the raw logs (unique per deal on ``(tx_hash, log_index)``), their
projections and the deal's cursor (last block and its hash). A crash loses at
most the batch in flight and a restart resumes from the cursor, so there are
neither duplicates nor gaps. A contract attached by a deal log
(``InsuranceFundSet``, ``LiquidationSet``, ``ComplianceSet``) is followed from
then on: the batch stops at that block, the contract's earlier logs are read
and the deal's projections are rebuilt in chain order.

Quarantine: a log that cannot be decoded, or that contradicts the projections
(:class:`~trancheflow.ops.projector.ProjectionError`), is stored in the
``quarantine`` table with the reason and a critical alert, and the batch is
re-run without it, so the cursor moves on and no log can wedge the indexer
or the deals indexed after it. Once the cause is fixed,
:meth:`Indexer.retry_quarantined` puts the logs back and rebuilds.

Re-orgs, per chain: block hashes are stored per chain (``blocks``), cursors
per deal. Before each batch the indexer compares the newest stored hash of
the chain and the deal's cursor hash with the chain's. When one changed, it
walks back through the stored hashes to the newest block still on the chain
(the fork point) and rolls back EVERY deal of that chain indexed beyond it:
deletes their logs above it, rebuilds their projections, moves their cursors
back and raises an alert for each, all in one transaction; the next batches
read the new fork.

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

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from trancheflow.errors import ChainError
from trancheflow.ops import contracts as kinds
from trancheflow.ops.db import connect, session
from trancheflow.ops.events import ZERO_ADDRESS, ChainEvent, EventSource, normalize_address
from trancheflow.ops.logreader import Undecodable, read_logs
from trancheflow.ops.models import (
    Alert,
    BlockRow,
    Cursor,
    Deal,
    DealContract,
    EventRow,
    QuarantinedLog,
)
from trancheflow.ops.projector import (
    ProjectionError,
    apply_event,
    args_to_json,
    contract_kinds,
    event_from_row,
    rebuild,
)
from trancheflow.ops.reorg import ReorgInfo, check_reorg
from trancheflow.ops.secrets import mask_secrets

__all__ = ["Indexer", "ReorgInfo"]

log = logging.getLogger(__name__)

#: Block hashes kept per chain below the slowest deal's cursor, for re-org
#: detection (deeper re-orgs rebuild from the start).
KEEP_BLOCKS = 512

Key = tuple[str, int]
#: Logs read for a batch, by (start, end, addresses): re-runs of the batch reuse them.
Reads = dict[tuple[int, int, tuple[str, ...]], tuple[list[ChainEvent], list[Undecodable]]]


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
        A re-org rolls back every deal of the chain all the same.
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
        #: Logs quarantined by this indexer (committed).
        self.quarantined = 0
        self._batch_quarantined = 0

    def __repr__(self) -> str:
        return f"Indexer({mask_secrets(str(self.engine.url))}, chain {self.chain_id})"

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

    def _quarantine_stored(self, s: Session, deal: Deal, skip: dict[Key, str]) -> None:
        """Move stored raw logs of ``deal`` named in ``skip`` to the quarantine."""
        if not skip:
            return
        rows = s.scalars(
            select(EventRow).where(
                EventRow.deal_id == deal.id, EventRow.tx_hash.in_({k[0] for k in skip})
            )
        ).all()
        for row in rows:
            reason = skip.get((row.tx_hash, row.log_index))
            if reason is not None:
                self._quarantine(s, deal, event_from_row(row), reason)
                s.delete(row)
        s.flush()

    def _rebuild(self, s: Session, deal: Deal, skip: dict[Key, str]) -> None:
        self._quarantine_stored(s, deal, skip)
        rebuild(s, deal)

    # ----------------------------------------------------------------- re-orgs
    def _check_reorg(
        self, s: Session, deal: Deal, cursor: Cursor, skip: dict[Key, str]
    ) -> list[ReorgInfo]:
        """:func:`~trancheflow.ops.reorg.check_reorg` with this indexer's rebuild."""
        return check_reorg(s, self.source, deal, cursor, lambda s2, d: self._rebuild(s2, d, skip))

    # ----------------------------------------------------------------- batches
    def _followed(self, s: Session, deal: Deal, end: int) -> list[str]:
        out = [deal.address, *(t.token_address for t in deal.tranches)]
        rows = s.scalars(
            select(DealContract.address).where(
                DealContract.deal_id == deal.id, DealContract.from_block <= end
            )
        )
        out.extend(a for a in rows if a not in out)
        return out

    def _attached(
        self, events: list[ChainEvent], known: dict[str, str]
    ) -> tuple[ChainEvent, str, str, str] | None:
        """The first deal log that attaches a contract not yet followed."""
        for ev in events:
            rule = kinds.ATTACH_EVENTS.get(ev.name)
            if rule is None or known.get(ev.address) != kinds.DEAL:
                continue
            arg, name, kind = rule
            try:
                addr = normalize_address(str(ev.args[arg]))
            except (KeyError, ChainError):
                continue  # the projector quarantines a malformed log
            if addr != ZERO_ADDRESS and addr not in known:
                return ev, addr, name, kind
        return None

    def _batch(self, deal_id: int, safe_head: int) -> int | None:
        """Index one batch for one deal; returns logs written, None when up to date.
        A log that cannot be projected is quarantined and the batch re-run without it."""
        skip: dict[Key, str] = {}
        reads: dict[
            tuple[int, int, tuple[str, ...]], tuple[list[ChainEvent], list[Undecodable]]
        ] = {}
        while True:
            self._batch_quarantined = 0
            try:
                written = self._batch_once(deal_id, safe_head, skip, reads)
                self.quarantined += self._batch_quarantined
                return written
            except ProjectionError as exc:
                if exc.key is None or exc.key in skip:
                    raise
                skip[exc.key] = str(exc)
                log.error("quarantining a log of deal id %d: %s", deal_id, exc)

    def _read(
        self,
        reads: Reads,
        start: int,
        end: int,
        addresses: list[str],
    ) -> tuple[list[ChainEvent], list[Undecodable]]:
        """``read_logs``, once per range and address set for all re-runs of a batch."""
        key = (start, end, tuple(addresses))
        if key not in reads:
            reads[key] = read_logs(self.source, start, end, addresses)
        events, bad = reads[key]
        return list(events), list(bad)

    def _batch_once(
        self,
        deal_id: int,
        safe_head: int,
        skip: dict[Key, str],
        reads: Reads,
    ) -> int | None:
        with session(self.engine) as s:
            deal = s.get(Deal, deal_id)
            cursor = s.get(Cursor, deal_id)
            assert deal is not None and cursor is not None
            infos = self._check_reorg(s, deal, cursor, skip)
            if infos:
                self.reorgs.extend(infos)
                return 0
            start = max(cursor.last_block + 1, deal.start_block)
            if start > safe_head:
                return None
            end = min(safe_head, start + self.batch_blocks - 1)
            end_hash = self.source.block_hash(end)
            events, bad = self._read(reads, start, end, self._followed(s, deal, end))
            if self.source.block_hash(end) != end_hash or end_hash is None:
                return 0  # the chain moved under us; read again next time
            known = contract_kinds(s, deal)
            attach = self._attached(events, known)
            if attach is not None:
                ev, addr, name, kind = attach
                end, end_hash = ev.block_number, ev.block_hash
                events = [e for e in events if e.block_number <= end]
                bad = [b for b in bad if b.block_number <= end]
                s.add(
                    DealContract(
                        deal_id=deal.id,
                        name=name,
                        kind=kind,
                        address=addr,
                        from_block=deal.start_block,
                    )
                )
                more, more_bad = self._read(reads, deal.start_block, end, [addr])
                events = sorted(events + more, key=lambda e: (e.block_number, e.log_index))
                bad += more_bad
                log.info(
                    "deal %s: following %s %s from block %d",
                    deal.address,
                    kind,
                    addr,
                    ev.block_number,
                )
            written = self._write(s, deal, events, bad, skip, apply=attach is None)
            if attach is not None:
                self._rebuild(s, deal, skip)
            self._store_hashes(s, events, end, end_hash)
            cursor.last_block, cursor.last_block_hash = end, end_hash
            return written

    def _store_hashes(self, s: Session, events: list[ChainEvent], end: int, end_hash: str) -> None:
        hashes = {e.block_number: e.block_hash for e in events}
        hashes[end] = end_hash
        for number, block_hash in hashes.items():
            row = s.get(BlockRow, (self.chain_id, number))
            if row is None:
                s.add(BlockRow(chain_id=self.chain_id, number=number, hash=block_hash))
            else:
                row.hash = block_hash
        slowest = s.scalar(
            select(func.min(Cursor.last_block))
            .join(Deal, Deal.id == Cursor.deal_id)
            .where(Deal.chain_id == self.chain_id)
        )
        floor = min(end, int(slowest if slowest is not None else end)) - KEEP_BLOCKS
        s.execute(
            delete(BlockRow).where(BlockRow.chain_id == self.chain_id, BlockRow.number < floor)
        )

    def _quarantine(
        self, s: Session, deal: Deal, ev: ChainEvent | Undecodable, reason: str
    ) -> None:
        exists = s.scalar(
            select(QuarantinedLog.id).where(
                QuarantinedLog.deal_id == deal.id,
                QuarantinedLog.tx_hash == ev.tx_hash,
                QuarantinedLog.log_index == ev.log_index,
            )
        )
        if exists is not None:
            return
        name = ev.name if isinstance(ev, ChainEvent) else "<undecodable>"
        args = args_to_json(dict(ev.args)) if isinstance(ev, ChainEvent) else ev.raw
        s.add(
            QuarantinedLog(
                deal_id=deal.id,
                chain_id=ev.chain_id,
                block_number=ev.block_number,
                block_hash=ev.block_hash,
                tx_hash=ev.tx_hash,
                log_index=ev.log_index,
                address=ev.address,
                name=name[:40],
                args=args,
                reason=reason,
            )
        )
        message = (
            f"log {name} at block {ev.block_number} (tx {ev.tx_hash}, log {ev.log_index}) "
            f"from {ev.address} was quarantined and the indexer moved on: {reason}"
        )
        dup = select(Alert.id).where(
            Alert.deal_id == deal.id, Alert.kind == "quarantined", Alert.message == message
        )
        if s.scalar(dup) is None:
            s.add(
                Alert(
                    deal_id=deal.id,
                    kind="quarantined",
                    severity="critical",
                    message=message,
                    block_number=ev.block_number,
                )
            )
        self._batch_quarantined += 1

    def _write(
        self,
        s: Session,
        deal: Deal,
        events: list[ChainEvent],
        bad: list[Undecodable],
        skip: dict[Key, str],
        *,
        apply: bool,
    ) -> int:
        seen = {
            (tx, li)
            for tx, li in s.execute(
                select(EventRow.tx_hash, EventRow.log_index).where(
                    EventRow.deal_id == deal.id,
                    EventRow.tx_hash.in_({e.tx_hash for e in events}),
                )
            )
        }
        for b in bad:
            self._quarantine(s, deal, b, b.reason)
        known = contract_kinds(s, deal)
        written = 0
        for ev in events:
            if ev.chain_id != self.chain_id:
                raise ChainError(
                    f"event {ev.name} at block {ev.block_number} is from chain {ev.chain_id}, "
                    f"the indexer follows chain {self.chain_id}"
                )
            key = (ev.tx_hash, ev.log_index)
            if key in seen:
                continue  # already stored (a source that repeats logs)
            seen.add(key)
            if key in skip:
                self._quarantine(s, deal, ev, skip[key])
                continue
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
            written += 1
            if apply:
                apply_event(s, deal, ev, known)
        s.flush()
        return written

    # ----------------------------------------------------------------- public
    def retry_quarantined(self) -> int:
        """Give every quarantined (decoded) log of the followed deals another try,
        after the cause was fixed: the logs go back into ``events``, the deal's
        projections are rebuilt in chain order, and a log that still fails is
        quarantined again. Returns the logs now indexed. Undecodable logs stay
        (they need a re-read with the right ABI: reset the deal's cursor)."""
        total = 0
        for deal_id in self._deal_ids():
            skip: dict[Key, str] = {}
            while True:
                self._batch_quarantined = 0
                try:
                    total += self._retry_once(deal_id, skip)
                    self.quarantined += self._batch_quarantined
                    break
                except ProjectionError as exc:
                    if exc.key is None or exc.key in skip:
                        raise
                    skip[exc.key] = str(exc)
        return total

    def _retry_once(self, deal_id: int, skip: dict[Key, str]) -> int:
        with session(self.engine) as s:
            deal = s.get(Deal, deal_id)
            assert deal is not None
            rows = s.scalars(
                select(QuarantinedLog).where(
                    QuarantinedLog.deal_id == deal_id, QuarantinedLog.name != "<undecodable>"
                )
            ).all()
            if not rows:
                return 0
            for q in rows:
                s.add(
                    EventRow(
                        deal_id=deal_id,
                        chain_id=q.chain_id,
                        block_number=q.block_number,
                        block_hash=q.block_hash,
                        tx_hash=q.tx_hash,
                        log_index=q.log_index,
                        address=q.address,
                        name=q.name,
                        args=q.args,
                    )
                )
                s.delete(q)
            s.flush()
            self._rebuild(s, deal, skip)
            back = sum(1 for q in rows if (q.tx_hash, q.log_index) in skip)
            log.info("deal %s: %d quarantined log(s) indexed", deal.address, len(rows) - back)
            return len(rows) - back

    def run_once(self) -> int:
        """Index every followed deal up to ``head - confirmations``; returns logs written.

        A deal whose batch fails for a reason other than a log (the database,
        the node) does not stop the others: they are indexed, then the first
        such error is raised."""
        safe_head = self.source.latest_block() - self.confirmations
        total = 0
        failed: list[BaseException] = []
        for deal_id in self._deal_ids():
            try:
                while True:
                    n = self._batch(deal_id, safe_head)
                    if n is None:
                        break
                    total += n
            except Exception as exc:
                log.error("indexing deal id %d failed: %s", deal_id, mask_secrets(str(exc)))
                failed.append(exc)
        if failed:
            raise failed[0]
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

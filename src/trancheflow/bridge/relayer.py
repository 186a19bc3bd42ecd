"""A Hyperlane relayer: reads dispatches, gathers signatures, calls ``process``.

The relayer trusts nothing it relays: it checks each validator checkpoint
(message id, signer in the destination ISM's set) before use, orders the
signatures as the ISM requires (validator-set order), and leaves the final
word to the on-chain ISM. Its state (messages seen, delivery status, attempts,
last error, last scanned block) is SQLite, so it restarts where it stopped; a
message is marked delivered only once the destination mailbox says so, so a
crash between ``process`` and the bookkeeping neither loses nor repeats one.
A delivery that reverts stays pending with its error and is retried.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from trancheflow.bridge.chain import ROUTING_MODULE_TYPE, HyperlaneCore, event_topic
from trancheflow.bridge.message import Message, bytes32_to_address, encode_metadata
from trancheflow.bridge.validator import Checkpoint, CheckpointStore, LogSource
from trancheflow.chain.backends import TxResult
from trancheflow.errors import BridgeError

__all__ = ["Delivery", "Destination", "Relayer", "build_metadata"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id BLOB PRIMARY KEY, nonce INTEGER NOT NULL, destination INTEGER NOT NULL,
    leaf INTEGER NOT NULL, message BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, gas_used INTEGER);
"""


class Destination(Protocol):
    """What the relayer needs of a destination chain."""

    def call(self, address: str, fn: str, args: Sequence[Any] = ()) -> Any:
        """A view call."""
        ...

    def transact(
        self, address: str, fn: str, args: Sequence[Any] = (), *, sender: str | None = None
    ) -> TxResult:
        """A transaction."""
        ...


@dataclass(frozen=True)
class Delivery:
    """One message's relay state."""

    id: bytes
    nonce: int
    destination: int
    status: str
    attempts: int
    last_error: str | None
    gas_used: int | None


def build_metadata(
    message_id: bytes,
    checkpoints: Sequence[Checkpoint],
    validators: Sequence[str],
    threshold: int,
) -> bytes | None:
    """ISM metadata from validated checkpoints, or None when under quorum.

    Only checkpoints over ``message_id`` whose recovered signer is in
    ``validators`` count; one per validator; they must agree on one root (the
    largest agreeing group is used) and are ordered as ``validators`` orders
    them, the first ``threshold`` taken.
    """
    order: dict[str, int] = {to_checksum_address(v): k for k, v in enumerate(validators)}
    by_root: dict[bytes, dict[int, Checkpoint]] = {}
    for cp in checkpoints:
        if cp.message_id != message_id:
            continue
        try:
            signer = cp.signer()
        except Exception:  # a malformed signature is skipped, not fatal
            continue
        if signer in order:
            by_root.setdefault(cp.root, {})[order[signer]] = cp
    if not by_root:
        return None
    root, group = max(by_root.items(), key=lambda kv: len(kv[1]))
    if len(group) < threshold:
        return None
    chosen = [group[k] for k in sorted(group)][:threshold]
    first = chosen[0]
    return encode_metadata(first.merkle_tree_hook, root, first.index, [c.signature for c in chosen])


class Relayer:
    """Relays one origin chain's messages to the destinations it knows.

    Parameters
    ----------
    origin : LogSource
        The origin chain.
    origin_core : HyperlaneCore
        Its Hyperlane deployment.
    destinations : mapping
        Domain -> ``(chain, HyperlaneCore)`` of each destination.
    stores : sequence of CheckpointStore
        The origin validators' published checkpoints.
    db : path
        SQLite state file.
    sender : str, optional
        The account that pays for ``process`` on destinations.
    """

    def __init__(
        self,
        origin: LogSource,
        origin_core: HyperlaneCore,
        destinations: Mapping[int, tuple[Destination, HyperlaneCore]],
        stores: Sequence[CheckpointStore],
        db: Path | str,
        *,
        sender: str | None = None,
    ) -> None:
        self.origin, self.core = origin, origin_core
        self.destinations = dict(destinations)
        self.stores = list(stores)
        self.sender = sender
        self.db = Path(db)
        self._conn = sqlite3.connect(str(self.db))
        self._conn.executescript(_SCHEMA)
        self._dispatch = event_topic("Mailbox", "Dispatch")
        self._inserted = event_topic("MerkleTreeHook", "InsertedIntoTree")

    @property
    def last_block(self) -> int:
        """The last origin block scanned (-1 before the first)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'last_block'").fetchone()
        return int(row[0]) if row else -1

    def scan(self) -> int:
        """Record new dispatches up to the origin head; the number found."""
        head, start = self.origin.latest_block(), self.last_block + 1
        if head < start:
            return 0
        logs = self.origin.logs(start, head, [self.core.mailbox, self.core.merkle_tree_hook])
        leaf_of = {
            log.data[:32]: int.from_bytes(log.data[32:64], "big")
            for log in logs
            if log.topics and log.topics[0] == self._inserted
        }
        rows = []
        for log in logs:
            if not log.topics or log.topics[0] != self._dispatch:
                continue
            (raw,) = abi_decode(["bytes"], log.data)
            msg = Message.decode(bytes(raw))
            if msg.id not in leaf_of:
                raise BridgeError(
                    f"dispatch {msg.id.hex()} at block {log.block_number} has no tree leaf"
                )
            rows.append((msg.id, msg.nonce, msg.destination, leaf_of[msg.id], bytes(raw)))
        with self._conn:
            self._conn.executemany(
                "INSERT OR IGNORE INTO messages (id, nonce, destination, leaf, message) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_block', ?)", (str(head),))
        return len(rows)

    def deliver(self) -> list[bytes]:
        """Try every pending message once; the ids delivered now."""
        done: list[bytes] = []
        pending = self._conn.execute(
            "SELECT id, destination, leaf, message FROM messages "
            "WHERE status = 'pending' ORDER BY nonce"
        ).fetchall()
        for mid, dest, leaf, raw in pending:
            mid, raw = bytes(mid), bytes(raw)
            if dest not in self.destinations:
                self._note(mid, error=f"no route to domain {dest}", attempt=False)
                continue
            chain, core = self.destinations[dest]
            if chain.call(core.mailbox, "delivered", [mid]):
                self._mark(mid, None)
                continue
            recipient = bytes32_to_address(Message.decode(raw).recipient)
            ism = to_checksum_address(chain.call(core.mailbox, "recipientIsm", [recipient]))
            validators, threshold = self._ism_set(chain, ism, raw)
            cps = [cp for s in self.stores if (cp := s.get(leaf)) is not None]
            metadata = build_metadata(mid, cps, validators, threshold)
            if metadata is None:
                self._note(
                    mid, error=f"awaiting signatures: {len(cps)} of {threshold}", attempt=False
                )
                continue
            try:
                tx = chain.transact(core.mailbox, "process", [metadata, raw], sender=self.sender)
            except BridgeError as exc:
                self._note(mid, error=str(exc), attempt=True)
                continue
            self._mark(mid, tx.gas_used)
            done.append(mid)
        return done

    def step(self) -> list[bytes]:
        """Scan, then deliver; the ids delivered."""
        self.scan()
        return self.deliver()

    @staticmethod
    def _ism_set(chain: Destination, ism: str, raw: bytes) -> tuple[list[str], int]:
        """The validator set and threshold that verify ``raw`` at ``ism``; a
        ``DomainRoutingIsm`` is followed to the module of the message's origin."""
        attach = getattr(chain, "attach", None)
        if attach is not None:
            attach("DomainRoutingIsm", ism)
        if int(chain.call(ism, "moduleType")) == ROUTING_MODULE_TYPE:
            try:
                ism = to_checksum_address(chain.call(ism, "route", [raw]))
            except BridgeError:  # no module for this origin: nobody can attest it
                return [], 1
        if attach is not None:
            attach("StaticMessageIdMultisigIsm", ism)
        vals, threshold = chain.call(ism, "validatorsAndThreshold", [raw])
        return [to_checksum_address(v) for v in vals], int(threshold)

    def _mark(self, mid: bytes, gas: int | None) -> None:
        with self._conn:
            self._conn.execute(
                "UPDATE messages SET status = 'delivered', gas_used = ?, last_error = NULL "
                "WHERE id = ?",
                (gas, mid),
            )

    def _note(self, mid: bytes, *, error: str, attempt: bool) -> None:
        with self._conn:
            self._conn.execute(
                "UPDATE messages SET last_error = ?, attempts = attempts + ? WHERE id = ?",
                (error, int(attempt), mid),
            )

    def deliveries(self) -> list[Delivery]:
        """Every message seen, by nonce."""
        rows = self._conn.execute(
            "SELECT id, nonce, destination, status, attempts, last_error, gas_used "
            "FROM messages ORDER BY nonce"
        ).fetchall()
        return [Delivery(bytes(r[0]), *r[1:]) for r in rows]

    def close(self) -> None:
        """Close the state file."""
        self._conn.close()

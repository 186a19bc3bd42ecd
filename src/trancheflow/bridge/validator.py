"""A Hyperlane validator: watches an origin merkle-tree hook and signs checkpoints.

For every ``InsertedIntoTree(messageId, index)`` the validator replays the
insertion into its own :class:`~trancheflow.bridge.message.MerkleTree`,
checks its root against the hook's on-chain root whenever both hold the same
number of leaves, and signs ``(origin, hook, root, index, messageId)`` exactly
as ``AbstractMessageIdMultisigIsm.digest`` verifies it. The signatures are its
published checkpoints (Hyperlane's agents post them to S3; here they live in
the validator's SQLite file, which relayers open read-only as a
:class:`CheckpointStore`).

State (leaves, checkpoints, last scanned block) is in SQLite and committed per
batch, so a killed validator restarts where it stopped and never signs two
different roots for one index.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_utils import to_checksum_address

from trancheflow.bridge.chain import HyperlaneCore, event_topic
from trancheflow.bridge.message import (
    MerkleTree,
    checkpoint_digest,
    recover_signer,
    sign_checkpoint,
)
from trancheflow.chain.backends import RawLog
from trancheflow.errors import BridgeError

__all__ = ["Checkpoint", "CheckpointStore", "LogSource", "Validator"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (idx INTEGER PRIMARY KEY, message_id BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    idx INTEGER PRIMARY KEY, root BLOB NOT NULL, message_id BLOB NOT NULL,
    signature BLOB NOT NULL);
"""


class LogSource(Protocol):
    """What an agent needs of a chain: blocks, logs and views."""

    def latest_block(self) -> int:
        """Newest block."""
        ...

    def logs(self, from_block: int, to_block: int, addresses: list[str]) -> list[RawLog]:
        """``eth_getLogs``."""
        ...

    def call(self, address: str, fn: str, args: list[object]) -> object:
        """A view call on a Hyperlane contract."""
        ...


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint: the tree after leaf ``index`` was inserted."""

    origin: int
    merkle_tree_hook: str
    index: int
    root: bytes
    message_id: bytes
    signature: bytes

    @property
    def digest(self) -> bytes:
        """What the signature covers (before the EIP-191 prefix)."""
        return checkpoint_digest(
            self.origin, self.merkle_tree_hook, self.root, self.index, self.message_id
        )

    def signer(self) -> str:
        """The address that signed this checkpoint."""
        return recover_signer(self.digest, self.signature)


def _connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(str(path))
        conn.executescript(_SCHEMA)
    return conn


class CheckpointStore:
    """Read-only view of one validator's published checkpoints."""

    def __init__(self, path: Path | str, origin: int, merkle_tree_hook: str) -> None:
        self.path = Path(path)
        self.origin = origin
        self.merkle_tree_hook = to_checksum_address(merkle_tree_hook)

    def get(self, index: int) -> Checkpoint | None:
        """The checkpoint signed for leaf ``index``, if published."""
        if not self.path.exists():
            return None
        conn = _connect(self.path, readonly=True)
        try:
            row = conn.execute(
                "SELECT root, message_id, signature FROM checkpoints WHERE idx = ?", (index,)
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        finally:
            conn.close()
        if row is None:
            return None
        return Checkpoint(self.origin, self.merkle_tree_hook, index, *map(bytes, row))


class Validator:
    """Signs every checkpoint of one origin chain's merkle-tree hook.

    Parameters
    ----------
    chain : LogSource
        The origin chain.
    core : HyperlaneCore
        The origin chain's Hyperlane deployment.
    key : bytes
        The validator's secp256k1 private key.
    db : path
        The SQLite state file (created if absent).
    confirmations : int
        Blocks to wait before signing (re-org safety on a real node).
    """

    def __init__(
        self,
        chain: LogSource,
        core: HyperlaneCore,
        key: bytes,
        db: Path | str,
        *,
        confirmations: int = 0,
    ) -> None:
        if confirmations < 0:
            raise BridgeError(f"confirmations={confirmations}: must be >= 0")
        self.chain, self.core, self._key = chain, core, key
        self.address = to_checksum_address(Account.from_key(key).address)
        self.db = Path(db)
        self.confirmations = confirmations
        self._conn = _connect(self.db)
        self._check_identity()
        self.tree = MerkleTree()
        for (leaf,) in self._conn.execute("SELECT message_id FROM leaves ORDER BY idx"):
            self.tree.insert(bytes(leaf))
        self._topic = event_topic("MerkleTreeHook", "InsertedIntoTree")

    def _check_identity(self) -> None:
        ident = f"{self.address}@{self.core.domain}/{self.core.merkle_tree_hook}"
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if row is None:
            with self._conn:
                self._conn.execute("INSERT INTO meta VALUES ('identity', ?)", (ident,))
        elif row[0] != ident:
            raise BridgeError(f"validator state {self.db} belongs to {row[0]}, not {ident}")

    @property
    def last_block(self) -> int:
        """The last origin block whose insertions are signed (-1 before the first)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'last_block'").fetchone()
        return int(row[0]) if row else -1

    def store(self) -> CheckpointStore:
        """A relayer's read-only view of this validator's checkpoints."""
        return CheckpointStore(self.db, self.core.domain, self.core.merkle_tree_hook)

    def step(self) -> int:
        """Sign every insertion up to the confirmed head; the number signed.

        Raises
        ------
        BridgeError
            On a gap in leaf indices, a zero root, or a root that disagrees
            with the hook's on-chain root (nothing is signed from that batch).
        """
        head = self.chain.latest_block() - self.confirmations
        start = self.last_block + 1
        if head < start:
            return 0
        logs = self.chain.logs(start, head, [self.core.merkle_tree_hook])
        rows: list[tuple[int, bytes, bytes, bytes]] = []
        tree_before = self.tree.count
        try:
            for log in logs:
                if not log.topics or log.topics[0] != self._topic:
                    continue
                message_id, index = log.data[:32], int.from_bytes(log.data[32:64], "big")
                if index != self.tree.count:
                    raise BridgeError(
                        f"InsertedIntoTree at block {log.block_number}: index {index}, expected "
                        f"{self.tree.count} (a leaf is missing)"
                    )
                self.tree.insert(message_id)
                root = self.tree.root()
                if not any(root):
                    raise BridgeError(f"leaf {index}: zero root, refusing to sign (Nomad 2022)")
                digest = checkpoint_digest(
                    self.core.domain, self.core.merkle_tree_hook, root, index, message_id
                )
                rows.append((index, root, message_id, sign_checkpoint(self._key, digest)))
            self._cross_check()
        except BridgeError:
            self._reload(tree_before)
            raise
        with self._conn:
            self._conn.executemany("INSERT INTO leaves VALUES (?, ?)", [(r[0], r[2]) for r in rows])
            self._conn.executemany("INSERT INTO checkpoints VALUES (?, ?, ?, ?)", rows)
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_block', ?)", (str(head),))
        return len(rows)

    def _cross_check(self) -> None:
        # root and index in ONE call (latestCheckpoint): reading count and root
        # in two calls races a block mined between them (seen on anvil: a false
        # mismatch that stopped a validator); an empty tree has no checkpoint
        if self.tree.count == 0:
            return
        checkpoint: Any = self.chain.call(self.core.merkle_tree_hook, "latestCheckpoint", [])
        raw_root, index = checkpoint
        count = int(index) + 1
        if count == self.tree.count:
            onchain = bytes(raw_root)
            if onchain != self.tree.root():
                raise BridgeError(
                    f"merkle root mismatch at count {count}: computed {self.tree.root().hex()}, "
                    f"hook reports {onchain.hex()}"
                )

    def _reload(self, count: int) -> None:
        self.tree = MerkleTree()
        for (leaf,) in self._conn.execute(
            "SELECT message_id FROM leaves ORDER BY idx LIMIT ?", (count,)
        ):
            self.tree.insert(bytes(leaf))

    def close(self) -> None:
        """Close the state file."""
        self._conn.close()

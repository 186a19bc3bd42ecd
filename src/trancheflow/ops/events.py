"""Chain event records and the source the indexer reads them from.

The indexer never talks to a node itself: it reads :class:`ChainEvent`
records from an :class:`EventSource`. A chain client adapts titanoboa's
in-process logs or a JSON-RPC node's ``eth_getLogs`` to this protocol;
:class:`MemoryChain` is a small in-memory chain (blocks, hashes, re-orgs) for
tests and demos.

Decoded arguments follow the contracts' ``event`` definitions
(``src/trancheflow/chain/contracts/Deal.vy`` and ``TrancheToken.vy``) by
field name, with these Python types: ``uint``/``int`` -> ``int``, ``bool`` ->
``bool``, ``address`` -> lower-case ``0x`` hex ``str``, ``bytes32`` -> ``0x``
hex ``str``, a struct -> ``dict`` by field name, a ``DynArray`` -> ``list``.
ERC-20 ``Transfer``/``Approval`` use Vyper's ``IERC20`` names (``sender``,
``receiver``, ``value`` / ``owner``, ``spender``, ``value``).

Examples
--------
>>> chain = MemoryChain(chain_id=31337)
>>> deal = "0x" + "11" * 20
>>> n = chain.mine([(deal, "QuorumSet", {"quorum": 2})])
>>> [(e.block_number, e.name, dict(e.args)) for e in chain.events(0, n, [deal])]
[(1, 'QuorumSet', {'quorum': 2})]
>>> chain.block_hash(n) == chain.events(0, n, [deal])[0].block_hash
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from trancheflow.errors import ChainError

__all__ = [
    "DEAL_EVENTS",
    "PARAMETER_EVENTS",
    "TOKEN_EVENTS",
    "ZERO_ADDRESS",
    "ChainEvent",
    "EventSource",
    "MemoryChain",
    "args_from_json",
    "args_to_json",
    "normalize_address",
]

#: The zero address (mints come from it).
ZERO_ADDRESS = "0x" + "00" * 20

#: Events the Deal contract emits, as declared in Deal.vy.
DEAL_EVENTS = frozenset(
    {
        "Closed",
        "ReportSubmitted",
        "ReportVetoed",
        "TriggerBreached",
        "PeriodFinalized",
        "Paid",
        "FeeClaimed",
        "ResidualClaimed",
        "SignerSet",
        "QuorumSet",
        "ServicerSet",
        "GuardianSet",
        "ResidualHolderSet",
        "OwnershipTransferred",
        "OwnershipTransferStarted",
        "DisputeWindowSet",
        "TriggerThresholdSet",
        "ComplianceSet",
        "InsuranceFundSet",
        "LiquidationSet",
        "Paused",
        "Unpaused",
    }
)
#: Deal logs that set or change a parameter or role (``parameter_changes`` rows).
PARAMETER_EVENTS = frozenset(
    {
        "SignerSet",
        "QuorumSet",
        "ServicerSet",
        "GuardianSet",
        "ResidualHolderSet",
        "DisputeWindowSet",
        "TriggerThresholdSet",
        "ComplianceSet",
        "InsuranceFundSet",
        "LiquidationSet",
        "OwnershipTransferred",
        "Paused",
        "Unpaused",
    }
)
#: Events a TrancheToken emits (snekmate ERC-20 plus ``Claimed``).
TOKEN_EVENTS = frozenset({"Transfer", "Approval", "Claimed", "OwnershipTransferred"})


def normalize_address(address: str) -> str:
    """Lower-case ``0x`` form of a 20-byte hex address.

    Raises
    ------
    ChainError
        When ``address`` is not 40 hex digits after an optional ``0x``.

    Examples
    --------
    >>> normalize_address("0xABCDEFabcdef0123456789012345678901234567")
    '0xabcdefabcdef0123456789012345678901234567'
    """
    text = str(address).strip()
    body = text[2:] if text[:2].lower() == "0x" else text
    if len(body) != 40 or any(c not in "0123456789abcdefABCDEF" for c in body):
        raise ChainError(f"address {address!r} must be 20 bytes of hex (0x + 40 hex digits)")
    return "0x" + body.lower()


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


@dataclass(frozen=True)
class ChainEvent:
    """One decoded contract log.

    Parameters
    ----------
    chain_id : int
        EIP-155 chain id of the chain the log came from.
    block_number, block_hash : int, str
        The block that contains the log (hash as ``0x`` hex).
    tx_hash : str
        The transaction that emitted it (``0x`` hex).
    log_index : int
        Position of the log in its block (unique per block).
    address : str
        The emitting contract (normalised to lower-case hex).
    name : str
        The event name (``"PeriodFinalized"``...).
    args : mapping
        Decoded arguments by field name (types in the module docstring).
    """

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    address: str
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", normalize_address(self.address))
        if self.block_number < 0 or self.log_index < 0:
            raise ChainError(
                f"event {self.name} at block {self.block_number} log {self.log_index}: "
                "block number and log index must be non-negative"
            )

    @property
    def key(self) -> tuple[int, str, int]:
        """The unique identity of a log: ``(chain_id, tx_hash, log_index)``."""
        return (self.chain_id, self.tx_hash, self.log_index)


@runtime_checkable
class EventSource(Protocol):
    """What the indexer needs from a chain.

    Implementations: a titanoboa environment, a JSON-RPC node
    (``eth_blockNumber``, ``eth_getBlockByNumber``, ``eth_getLogs``), or
    :class:`MemoryChain`.
    """

    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        ...

    def latest_block(self) -> int:
        """Number of the newest block."""
        ...

    def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` on the current canonical chain (None if absent)."""
        ...

    def events(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[ChainEvent]:
        """Logs emitted by ``addresses`` in blocks ``from_block..to_block`` (inclusive),
        ordered by block number then log index."""
        ...


def _hash(*parts: object) -> str:
    return "0x" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


@dataclass
class _Block:
    number: int
    hash: str
    logs: list[ChainEvent]


class MemoryChain:
    """An in-memory chain of blocks of logs, with re-orgs.

    Block 0 is an empty genesis block. Each :meth:`mine` call adds one block
    holding one transaction per argument; :meth:`reorg` drops the newest
    blocks so that later blocks get different hashes (a different fork).

    Parameters
    ----------
    chain_id : int
        The chain id reported to the indexer.
    """

    def __init__(self, chain_id: int = 31337) -> None:
        self._chain_id = int(chain_id)
        self._fork = 0
        self._tx = 0
        self._blocks: list[_Block] = [_Block(0, _hash(chain_id, 0, "genesis"), [])]

    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        return self._chain_id

    def latest_block(self) -> int:
        """Number of the newest block."""
        return len(self._blocks) - 1

    def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` (None beyond the head)."""
        if 0 <= number < len(self._blocks):
            return self._blocks[number].hash
        return None

    def mine(self, *txs: Sequence[tuple[str, str, Mapping[str, Any]]]) -> int:
        """Append one block; each argument is a transaction's logs
        ``[(contract, event_name, args), ...]``. Returns the block number."""
        number = len(self._blocks)
        parent = self._blocks[-1].hash
        block_hash = _hash(parent, number, self._fork)
        logs: list[ChainEvent] = []
        for tx in txs:
            self._tx += 1
            tx_hash = _hash("tx", self._chain_id, number, self._fork, self._tx)
            for address, name, args in tx:
                logs.append(
                    ChainEvent(
                        self._chain_id,
                        number,
                        block_hash,
                        tx_hash,
                        len(logs),
                        address,
                        name,
                        dict(args),
                    )
                )
        self._blocks.append(_Block(number, block_hash, logs))
        return number

    def mine_empty(self, count: int = 1) -> int:
        """Append ``count`` empty blocks; returns the new head."""
        for _ in range(count):
            self.mine()
        return self.latest_block()

    def reorg(self, depth: int) -> None:
        """Drop the newest ``depth`` blocks; blocks mined next form a new fork
        (same numbers, different hashes)."""
        if not 0 < depth < len(self._blocks):
            raise ChainError(f"re-org depth {depth} must be in 1..{len(self._blocks) - 1}")
        del self._blocks[-depth:]
        self._fork += 1

    def events(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[ChainEvent]:
        """Logs of ``addresses`` in ``from_block..to_block`` (inclusive), in chain order."""
        wanted = {normalize_address(a) for a in addresses}
        lo, hi = max(0, from_block), min(to_block, self.latest_block())
        return [e for b in self._blocks[lo : hi + 1] for e in b.logs if e.address in wanted]

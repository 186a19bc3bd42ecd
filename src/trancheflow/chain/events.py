"""Decode Deal / TrancheToken logs into :class:`~trancheflow.ops.events.ChainEvent` records.

:class:`EventDecoder` indexes the events of the compiled ABIs (from
:func:`~trancheflow.chain.backends.artifact`) by ``topic0 =
keccak(Name(type,...))`` and decodes indexed arguments from the topics and
the rest from the data with ``eth_abi``. Values follow the conventions of
:mod:`trancheflow.ops.events`: integers as ``int``, ``bool``, addresses as
lower-case ``0x`` hex, ``bytes32`` (and any bytes) as ``0x`` hex, structs as
``dict`` by field name, dynamic arrays as ``list``.

:class:`BackendEventSource` is the :class:`~trancheflow.ops.events.EventSource`
the indexer reads, over any :class:`~trancheflow.chain.backends.Backend`
(titanoboa's journal or a node's ``eth_getLogs``), so both backends produce
the same records.

Examples
--------
>>> from trancheflow.chain.backends.boa_backend import BoaBackend
>>> b = BoaBackend()
>>> usdc = b.deploy("MockUSDC", []).contract_address
>>> _ = b.transact("MockUSDC", usdc, "mint", [b.accounts[1], 7])
>>> src = BackendEventSource(b)
>>> ev = src.events(0, src.latest_block(), [usdc])[-1]
>>> ev.name, ev.args["value"], ev.args["receiver"] == b.accounts[1].lower()
('Transfer', 7, True)
>>> ev.block_hash == src.block_hash(ev.block_number)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_abi import decode
from eth_hash.auto import keccak

from trancheflow.chain.backends import Backend, RawLog, artifact
from trancheflow.errors import ChainError
from trancheflow.ops.events import ChainEvent

__all__ = ["DEFAULT_CONTRACTS", "BackendEventSource", "EventDecoder", "abi_type"]

#: Contracts whose events the default decoder knows.
DEFAULT_CONTRACTS: tuple[str, ...] = (
    "Deal",
    "ReportOracle",
    "TrancheToken",
    "MockUSDC",
    "Subscription",
)


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type string of an ABI parameter (tuples expanded).

    >>> abi_type({"type": "tuple[]", "components": [{"type": "uint256"}, {"type": "bool"}]})
    '(uint256,bool)[]'
    """
    t = str(param["type"])
    if t.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t


def _plain(param: dict[str, Any], value: Any) -> Any:
    t = str(param["type"])
    if t.endswith("]"):
        item = {**param, "type": t[: t.rindex("[")]}
        return [_plain(item, v) for v in value]
    if t == "tuple":
        return {c["name"]: _plain(c, v) for c, v in zip(param["components"], value, strict=True)}
    if t == "address":
        return str(value).lower()
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


class EventDecoder:
    """Decoder of the events of several contracts' ABIs.

    Parameters
    ----------
    contracts : iterable of str
        Contract names known to :func:`~trancheflow.chain.backends.artifact`.
    """

    def __init__(self, contracts: Iterable[str] = DEFAULT_CONTRACTS) -> None:
        self._events: dict[bytes, dict[str, Any]] = {}
        for name in contracts:
            for item in artifact(name).abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                sig = f"{item['name']}({','.join(abi_type(p) for p in item['inputs'])})"
                self._events[bytes(keccak(sig.encode()))] = item

    def event_names(self) -> set[str]:
        """Names of every event the decoder knows."""
        return {e["name"] for e in self._events.values()}

    def decode(self, log: RawLog) -> tuple[str, dict[str, Any]]:
        """``(event name, args)`` of one raw log.

        Raises
        ------
        ChainError
            When ``topic0`` is not an event of the known contracts.
        """
        if not log.topics or log.topics[0] not in self._events:
            topic = "0x" + log.topics[0].hex() if log.topics else "none"
            raise ChainError(
                f"log {log.log_index} of block {log.block_number} from {log.address}: "
                f"topic0 {topic} is not an event of the known contracts"
            )
        item = self._events[log.topics[0]]
        indexed = [p for p in item["inputs"] if p.get("indexed")]
        rest = [p for p in item["inputs"] if not p.get("indexed")]
        values: dict[str, Any] = {}
        for p, word in zip(indexed, log.topics[1:], strict=True):
            t = abi_type(p)
            dynamic = t in ("string", "bytes") or t.endswith("]") or t.startswith("(")
            values[p["name"]] = "0x" + word.hex() if dynamic else _plain(p, decode([t], word)[0])
        for p, v in zip(rest, decode([abi_type(p) for p in rest], log.data), strict=True):
            values[p["name"]] = _plain(p, v)
        return item["name"], {p["name"]: values[p["name"]] for p in item["inputs"]}

    def to_event(self, log: RawLog, chain_id: int) -> ChainEvent:
        """The :class:`ChainEvent` of one raw log."""
        name, args = self.decode(log)
        return ChainEvent(
            chain_id=chain_id,
            block_number=log.block_number,
            block_hash=log.block_hash,
            tx_hash=log.tx_hash,
            log_index=log.log_index,
            address=log.address,
            name=name,
            args=args,
        )


class BackendEventSource:
    """An :class:`~trancheflow.ops.events.EventSource` over a chain backend.

    Parameters
    ----------
    backend : Backend
        The chain (embedded journal or JSON-RPC node).
    decoder : EventDecoder, optional
        Defaults to the events of :data:`DEFAULT_CONTRACTS`.
    """

    def __init__(self, backend: Backend, decoder: EventDecoder | None = None) -> None:
        self.backend = backend
        self.decoder = decoder or EventDecoder()

    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        return self.backend.chain_id

    def latest_block(self) -> int:
        """Number of the newest block."""
        return self.backend.latest_block()

    def block_hash(self, number: int) -> str | None:
        """Hash of block ``number`` on the canonical chain (None beyond the head)."""
        return self.backend.block_hash(number)

    def events(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[ChainEvent]:
        """Decoded logs of ``addresses`` in ``from_block..to_block``, in chain order."""
        if not addresses or to_block < from_block:
            return []
        raw = self.backend.logs(max(0, from_block), to_block, list(addresses))
        raw.sort(key=lambda r: (r.block_number, r.log_index))
        return [self.decoder.to_event(r, self.chain_id) for r in raw]

"""Read a block range's logs for the indexer, setting aside the ones that cannot be decoded.

A source's ``events()`` decodes a whole range at once, so one log it cannot
decode (a contract upgraded with a new event, a wrong ABI) would fail every
read of that range forever. :func:`read_logs` never lets that happen:

* over a chain backend (a :class:`~trancheflow.chain.events.BackendEventSource`:
  titanoboa or a JSON-RPC node) it reads the raw logs (halving the block range
  while the node refuses it, as providers do above a result or span limit)
  and decodes them one by one, first with the source's decoder, then with one
  that also knows the ABIs of every contract a deal can have
  (:func:`family_decoder`); a log neither
  decodes is returned as :class:`Undecodable` with its topics and data;
* over any other :class:`~trancheflow.ops.events.EventSource` it calls
  ``events()`` and, when that fails, splits the addresses and the block range
  until the failing (block, address) is isolated, which is returned as
  :class:`Undecodable` while every other log is read.

Examples
--------
>>> from trancheflow.ops.events import MemoryChain
>>> chain = MemoryChain(31337)
>>> deal = "0x" + "11" * 20
>>> _ = chain.mine([(deal, "QuorumSet", {"quorum": 2})])
>>> events, bad = read_logs(chain, 0, chain.latest_block(), [deal])
>>> [e.name for e in events], bad
(['QuorumSet'], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from trancheflow.errors import ChainError
from trancheflow.ops.events import ChainEvent, EventSource

__all__ = ["FAMILY_SOURCES", "Undecodable", "family_decoder", "read_logs"]

#: Contracts a deal may have whose ABIs the chain client's decoder may lack
#: (source paths relative to the contracts folder).
FAMILY_SOURCES: dict[str, str] = {
    "InsuranceFund": "insurance/InsuranceFund.vy",
    "Liquidation": "liquidation/Liquidation.vy",
    "Compliance": "compliance/Compliance.vy",
}


@dataclass(frozen=True)
class Undecodable:
    """A log (or, from a source that only decodes ranges, a block of one
    contract's logs) that could not be decoded, and why."""

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    address: str
    reason: str
    raw: dict[str, Any]


@cache
def family_decoder() -> Any:
    """An :class:`~trancheflow.chain.events.EventDecoder` of every contract a
    deal can have: the client's defaults, the contracts the backends know
    (a split deal's parts are registered there) and :data:`FAMILY_SOURCES`.
    Compiled once per process, on first need."""
    import boa
    from eth_hash.auto import keccak
    from vyper.compiler.output import build_abi_output

    from trancheflow.chain.backends import EXTRA_CONTRACTS, artifact
    from trancheflow.chain.compile import CONTRACTS, CONTRACTS_DIR
    from trancheflow.chain.events import EventDecoder, abi_type

    dec = EventDecoder()
    abis: list[list[dict[str, Any]]] = []
    sources = {**CONTRACTS, **EXTRA_CONTRACTS}
    for name in sorted(n for n, rel in sources.items() if "mocks/" not in rel):
        try:
            abis.append(artifact(name).abi)
        except Exception:  # a contract that does not compile alone: not a deal part
            continue
    for rel in FAMILY_SOURCES.values():
        path = CONTRACTS_DIR / rel
        if path.exists():
            abis.append(build_abi_output(boa.load_partial(str(path)).compiler_data))
    for abi in abis:
        for item in abi:
            if item.get("type") != "event" or item.get("anonymous"):
                continue
            sig = f"{item['name']}({','.join(abi_type(p) for p in item['inputs'])})"
            dec._events.setdefault(bytes(keccak(sig.encode())), item)
    return dec


def _raw_logs(backend: Any, lo: int, hi: int, addresses: list[str]) -> list[Any]:
    """``backend.logs``, halving the block range while the node refuses it
    (providers cap ``eth_getLogs`` by result count or block span)."""
    try:
        return list(backend.logs(lo, hi, addresses))
    except ChainError:
        if lo >= hi:
            raise
        mid = (lo + hi) // 2
        return _raw_logs(backend, lo, mid, addresses) + _raw_logs(backend, mid + 1, hi, addresses)


def _raw_read(
    source: Any, from_block: int, to_block: int, addresses: Sequence[str]
) -> tuple[list[ChainEvent], list[Undecodable]]:
    raw = _raw_logs(source.backend, max(0, from_block), to_block, list(addresses))
    raw.sort(key=lambda r: (r.block_number, r.log_index))
    events: list[ChainEvent] = []
    bad: list[Undecodable] = []
    chain_id = int(source.chain_id)
    for r in raw:
        try:
            events.append(source.decoder.to_event(r, chain_id))
            continue
        except Exception:  # unknown topic (ChainError) or malformed data (eth_abi)
            pass
        try:
            events.append(family_decoder().to_event(r, chain_id))
        except Exception as exc:  # eth_abi raises its own errors on malformed data
            bad.append(
                Undecodable(
                    chain_id,
                    r.block_number,
                    r.block_hash,
                    r.tx_hash,
                    r.log_index,
                    str(r.address).lower(),
                    f"cannot decode: {exc}",
                    {"topics": ["0x" + t.hex() for t in r.topics], "data": "0x" + r.data.hex()},
                )
            )
    return events, bad


def _split_read(
    source: EventSource, lo: int, hi: int, addresses: Sequence[str]
) -> tuple[list[ChainEvent], list[Undecodable]]:
    try:
        return list(source.events(lo, hi, list(addresses))), []
    except ChainError as exc:
        if len(addresses) > 1:
            mid = len(addresses) // 2
            a_ev, a_bad = _split_read(source, lo, hi, addresses[:mid])
            b_ev, b_bad = _split_read(source, lo, hi, addresses[mid:])
            return a_ev + b_ev, a_bad + b_bad
        if lo < hi:
            mid = (lo + hi) // 2
            a_ev, a_bad = _split_read(source, lo, mid, addresses)
            b_ev, b_bad = _split_read(source, mid + 1, hi, addresses)
            return a_ev + b_ev, a_bad + b_bad
        return [], [
            Undecodable(
                int(source.chain_id),
                lo,
                source.block_hash(lo) or "",
                f"block:{lo}",
                0,
                str(addresses[0]).lower(),
                f"the source cannot decode the logs of this contract in this block: {exc}",
                {},
            )
        ]


def read_logs(
    source: EventSource, from_block: int, to_block: int, addresses: Sequence[str]
) -> tuple[list[ChainEvent], list[Undecodable]]:
    """Logs of ``addresses`` in ``from_block..to_block`` in chain order, and the
    ones that could not be decoded (see the module docstring)."""
    if not addresses or to_block < from_block:
        return [], []
    if hasattr(source, "backend") and hasattr(source, "decoder"):
        events, bad = _raw_read(source, from_block, to_block, addresses)
    else:
        events, bad = _split_read(source, from_block, to_block, list(addresses))
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events, bad

"""Event decoding and the embedded backend's block journal.

References: titanoboa's own log decoder (``contract.get_logs()``, built from
the Vyper compiler's event types) for every event the scenario emits, and
titanoboa's EIP-5202 blueprint builder for our blueprint initcode.
"""

from __future__ import annotations

from typing import Any

import pytest
from boa.contracts.base_evm_contract import RawLogEntry
from boa.util.eip5202 import generate_blueprint_bytecode, parse_erc5202

from trancheflow.chain.backends import artifact, blueprint_initcode
from trancheflow.chain.backends.boa_backend import BoaBackend
from trancheflow.chain.client import DealClient
from trancheflow.chain.events import BackendEventSource, EventDecoder
from trancheflow.errors import ChainError
from trancheflow.ops.events import DEAL_EVENTS, TOKEN_EVENTS, EventSource

from .scenario import run_scenario


def _boa_value(v: Any) -> Any:
    """titanoboa's decoded value in our conventions, structs as plain lists."""
    if isinstance(v, list | tuple):
        return [_boa_value(x) for x in v]
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
        return v.lower()
    return v


def _flat(v: Any) -> Any:
    """Our decoded value with structs (dicts) as lists of field values."""
    if isinstance(v, dict):
        return [_flat(x) for x in v.values()]
    if isinstance(v, list):
        return [_flat(x) for x in v]
    return v


@pytest.fixture(scope="module")
def ran() -> tuple[Any, Any]:
    client = DealClient.embedded()
    s, _ = run_scenario(client, periods=4)
    return client, s


def test_decoder_agrees_with_titanoboa(ran: tuple[Any, Any]) -> None:
    client, s = ran
    backend = client.backend
    raw = backend.logs(0, backend.latest_block(), s.deal.record.addresses)
    assert len(raw) > 25
    dec = EventDecoder()
    seen = set()
    for log in raw:
        name, args = dec.decode(log)
        by_address = {s.deal.address: "Deal", s.deal.record.oracle: "ReportOracle"}
        contract_name = by_address.get(log.address, "TrancheToken")
        c = backend._contract(contract_name, log.address)
        # titanoboa decodes from (log_id, address, topics as ints, data)
        topics = [int.from_bytes(t) for t in log.topics]
        entry = (0, bytes.fromhex(log.address[2:]), topics, log.data)
        ref = c.decode_log(RawLogEntry(*entry))
        assert type(ref).__name__ == name
        fields = {k: v for k, v in ref._asdict().items() if k != "address"}
        assert list(fields) == list(args), name
        assert [_boa_value(v) for v in fields.values()] == [_flat(v) for v in args.values()], name
        seen.add(name)
    assert {"ReportSubmitted", "PeriodFinalized", "Transfer", "Claimed", "Closed"} <= seen
    # every name the decoder produces is one the indexer knows or ignores knowingly
    assert seen - (DEAL_EVENTS | TOKEN_EVENTS) <= {"RoleMinterChanged"}


def test_journal_behaves_like_get_logs(ran: tuple[Any, Any]) -> None:
    client, s = ran
    src = s.deal.event_source()
    assert isinstance(src, EventSource)
    head = src.latest_block()
    everything = src.events(0, head)
    keys = [(e.block_number, e.log_index) for e in everything]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # a range query is the slice of the full list; inclusive bounds
    lo, hi = everything[10].block_number, everything[-10].block_number
    assert src.events(lo, hi) == [e for e in everything if lo <= e.block_number <= hi]
    assert src.events(hi, lo) == []
    # one transaction per block, log indexes from 0 within a block
    by_block: dict[int, set[str]] = {}
    for e in everything:
        by_block.setdefault(e.block_number, set()).add(e.tx_hash)
    assert all(len(txs) == 1 for txs in by_block.values())
    # hashes: stable, distinct, absent beyond the head
    hashes = [src.block_hash(n) for n in range(head + 1)]
    assert len(set(hashes)) == head + 1 and hashes == [src.block_hash(n) for n in range(head + 1)]
    assert src.block_hash(head + 1) is None and src.block_hash(-1) is None
    assert all(e.block_hash == hashes[e.block_number] for e in everything)
    assert all(e.chain_id == client.chain_id == 31337 for e in everything)


def test_two_embedded_backends_are_isolated() -> None:
    a, b = BoaBackend(), BoaBackend()
    usdc = a.deploy("MockUSDC", []).contract_address
    assert b.latest_block() < a.latest_block()
    assert a.block_hash(1) != b.block_hash(1)
    with pytest.raises(ChainError, match=f"no contract at {usdc}"):
        b.call("MockUSDC", usdc, "balanceOf", [b.accounts[0]])


def test_reverted_transaction_mines_nothing() -> None:
    b = BoaBackend()
    usdc = b.deploy("MockUSDC", []).contract_address
    head = b.latest_block()
    with pytest.raises(ChainError, match="insufficient allowance"):
        b.transact("MockUSDC", usdc, "transferFrom", [b.accounts[1], b.accounts[0], 1])
    assert b.latest_block() == head
    b.advance_time(100)
    assert b.latest_block() == head + 1


def test_unknown_topic_is_refused() -> None:
    b = BoaBackend()
    usdc = b.deploy("MockUSDC", []).contract_address
    _ = b.transact("MockUSDC", usdc, "mint", [b.accounts[1], 1])
    with pytest.raises(ChainError, match="is not an event of the known contracts"):
        BackendEventSource(b, EventDecoder(["Deal"])).events(0, b.latest_block(), [usdc])


def test_blueprint_initcode_matches_titanoboa() -> None:
    code = artifact("TrancheToken").bytecode
    assert blueprint_initcode(code) == generate_blueprint_bytecode(code)
    deployed = blueprint_initcode(code)[10:]
    version, data, initcode = parse_erc5202(deployed)
    assert (version, data, initcode) == (0, None, code)

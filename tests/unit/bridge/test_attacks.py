"""Known bridge failures replayed against the published ISM and the Python agents:
Wormhole 2022 (forged / under-quorum attestation), Ronin 2022 (a compromised
minority of validator keys), Nomad 2022 (a zero root accepted), forged origin,
replay. Each forged delivery must revert and leave the message undelivered."""

from __future__ import annotations

import sqlite3

import pytest
from eth_abi import decode as abi_decode

from trancheflow.bridge.message import (
    Message,
    address_to_bytes32,
    checkpoint_digest,
    decode_metadata,
    encode_metadata,
    sign_checkpoint,
)
from trancheflow.bridge.relayer import build_metadata
from trancheflow.bridge.validator import Checkpoint, Validator
from trancheflow.errors import BridgeError

from .conftest import HUB, SPOKE, Net, key


def _signed(net: Net) -> tuple[bytes, list[Checkpoint]]:
    """Dispatch one message; all three validators sign it; (message, checkpoints)."""
    tx = net.send(b"report")
    dispatch = next(log for log in tx.logs if len(log.topics) == 4)
    (raw,) = abi_decode(["bytes"], dispatch.data)
    vals = net.validators()
    for v in vals:
        v.step()
    cps = [cp for v in vals if (cp := v.store().get(0)) is not None]
    return bytes(raw), cps


def _process(net: Net, metadata: bytes, message: bytes) -> None:
    net.hub.transact(net.hub_core.mailbox, "process", [metadata, message])


def _delivered(net: Net, message: bytes) -> bool:
    return bool(net.hub.call(net.hub_core.mailbox, "delivered", [Message.decode(message).id]))


def test_honest_quorum_is_accepted(net: Net) -> None:
    raw, cps = _signed(net)
    meta = build_metadata(Message.decode(raw).id, cps, net.hub_core.validators, 2)
    assert meta is not None and len(decode_metadata(meta)[3]) == 2
    _process(net, meta, raw)
    assert _delivered(net, raw)


def test_under_quorum_signatures_rejected_wormhole_2022(net: Net) -> None:
    raw, cps = _signed(net)
    one = encode_metadata(cps[0].merkle_tree_hook, cps[0].root, 0, [cps[0].signature])
    with pytest.raises(BridgeError, match="reverted"):
        _process(net, one, raw)
    # the same signature twice is still one validator
    twice = encode_metadata(cps[0].merkle_tree_hook, cps[0].root, 0, [cps[0].signature] * 2)
    with pytest.raises(BridgeError, match="reverted"):
        _process(net, twice, raw)
    assert build_metadata(Message.decode(raw).id, cps[:1], net.hub_core.validators, 2) is None
    assert not _delivered(net, raw)


def test_signatures_out_of_validator_order_rejected(net: Net) -> None:
    raw, cps = _signed(net)
    rev = encode_metadata(
        cps[0].merkle_tree_hook, cps[0].root, 0, [cps[1].signature, cps[0].signature]
    )
    with pytest.raises(BridgeError, match="reverted"):
        _process(net, rev, raw)


def test_compromised_minority_cannot_forge_ronin_2022(net: Net) -> None:
    """The attacker holds validator 0's key and two keys of its own: it signs a
    message the spoke never dispatched (a report paying it); one real key is below 2-of-3."""
    net.send(b"genuine")
    forged = Message(
        3,
        0,
        SPOKE,
        address_to_bytes32(net.spoke.accounts[0]),
        HUB,
        address_to_bytes32(net.recipient),
        b"pay the attacker",
    ).encode()
    root, index = b"\x42" * 32, 0
    digest = checkpoint_digest(
        SPOKE, net.spoke_core.merkle_tree_hook, root, index, Message.decode(forged).id
    )
    sigs = [sign_checkpoint(k, digest) for k in (net.keys[0], key("attacker-1"), key("attacker-2"))]
    for pair in ([sigs[0], sigs[1]], [sigs[1], sigs[0]], [sigs[0], sigs[2]]):
        with pytest.raises(BridgeError, match="reverted"):
            _process(
                net, encode_metadata(net.spoke_core.merkle_tree_hook, root, index, pair), forged
            )
    assert not _delivered(net, forged)
    # the relayer would not even submit it
    cps = [
        Checkpoint(SPOKE, net.spoke_core.merkle_tree_hook, 0, root, Message.decode(forged).id, s)
        for s in sigs
    ]
    assert build_metadata(Message.decode(forged).id, cps, net.hub_core.validators, 2) is None


def test_zero_root_is_not_a_pass_nomad_2022(net: Net) -> None:
    raw, cps = _signed(net)
    zero = b"\x00" * 32
    for sigs in ([], [c.signature for c in cps[:2]]):
        with pytest.raises(BridgeError, match="reverted"):
            _process(net, encode_metadata(cps[0].merkle_tree_hook, zero, 0, sigs), raw)
    assert not _delivered(net, raw)
    assert all(any(cp.root) for cp in cps)


def test_forged_origin_rejected(net: Net) -> None:
    """Signatures for the real message do not carry over to one claiming another origin."""
    raw, cps = _signed(net)
    m = Message.decode(raw)
    other = Message(
        m.version, m.nonce, 99999, m.sender, m.destination, m.recipient, m.body
    ).encode()
    meta = build_metadata(m.id, cps, net.hub_core.validators, 2)
    assert meta is not None
    with pytest.raises(BridgeError, match="reverted"):
        _process(net, meta, other)
    assert not _delivered(net, other)


def test_replayed_message_rejected(net: Net) -> None:
    raw, cps = _signed(net)
    meta = build_metadata(Message.decode(raw).id, cps, net.hub_core.validators, 2)
    assert meta is not None
    _process(net, meta, raw)
    with pytest.raises(BridgeError, match="already delivered"):
        _process(net, meta, raw)
    assert bytes(net.hub.call(net.recipient, "lastData")) == b"report"


def test_validator_refuses_a_tree_that_disagrees_with_the_hook(net: Net) -> None:
    net.send(b"x")
    (v,) = net.validators([0])
    v.step()
    v.close()
    with sqlite3.connect(net.tmp / "v0.db") as conn:  # corrupt its state: a wrong leaf
        conn.execute("UPDATE leaves SET message_id = ? WHERE idx = 0", (b"\x01" * 32,))
    net.send(b"y")
    (v,) = net.validators([0])
    with pytest.raises(BridgeError, match="merkle root mismatch"):
        v.step()
    assert v.store().get(1) is None  # nothing signed from the bad batch


def test_validator_state_bound_to_its_key(net: Net) -> None:
    (v,) = net.validators([0])
    v.close()
    with pytest.raises(BridgeError, match="belongs to"):
        Validator(net.spoke, net.spoke_core, net.keys[1], net.tmp / "v0.db")

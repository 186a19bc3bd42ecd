"""A spoke -> hub message through Hyperlane's published Mailbox, merkle-tree hook
and message-id multisig ISM, signed by the Python validators and delivered by
the Python relayer. The contracts are Hyperlane's bytecode, so every check the
ISM or the hook makes here is a check against code this project did not write."""

from __future__ import annotations

from eth_abi import decode as abi_decode

from trancheflow.bridge.message import MerkleTree, Message, address_to_bytes32
from trancheflow.bridge.relayer import Relayer
from trancheflow.bridge.validator import Validator

from .conftest import HUB, SPOKE, Net


def test_message_encoding_and_id_match_the_mailbox(net: Net) -> None:
    tx = net.send(b"period 1 report")
    dispatch = next(
        log for log in tx.logs if log.address == net.spoke_core.mailbox and len(log.topics) == 4
    )
    (raw,) = abi_decode(["bytes"], dispatch.data)
    msg = Message.decode(bytes(raw))
    sender = address_to_bytes32(net.spoke.accounts[0])
    assert msg == Message(
        3, 0, SPOKE, sender, HUB, address_to_bytes32(net.recipient), b"period 1 report"
    )
    dispatch_id = next(
        log for log in tx.logs if len(log.topics) == 2 and log.address == net.spoke_core.mailbox
    )
    assert (
        dispatch_id.topics[1]
        == msg.id
        == bytes(net.spoke.call(net.spoke_core.mailbox, "latestDispatchedId"))
    )


def test_python_merkle_tree_equals_the_hook_after_each_insert(net: Net) -> None:
    tree = MerkleTree()
    assert tree.root() == bytes(net.spoke.call(net.spoke_core.merkle_tree_hook, "root"))
    for k in range(6):
        net.send(bytes([k]) * (k + 1))
        tree.insert(bytes(net.spoke.call(net.spoke_core.mailbox, "latestDispatchedId")))
        root, index = net.spoke.call(net.spoke_core.merkle_tree_hook, "latestCheckpoint")
        assert (bytes(root), index) == (tree.root(), k)


def test_validators_and_relayer_deliver_every_message_once(net: Net) -> None:
    bodies = [b"a", b"bb", b"ccc"]
    for body in bodies:
        net.send(body)
    vals = net.validators()
    assert [v.step() for v in vals] == [3, 3, 3]
    relayer = Relayer(
        net.spoke,
        net.spoke_core,
        {HUB: (net.hub, net.hub_core)},
        [v.store() for v in vals],
        net.tmp / "r.db",
    )
    delivered = relayer.step()
    assert len(delivered) == 3
    assert all(net.hub.call(net.hub_core.mailbox, "delivered", [m]) for m in delivered)
    assert bytes(net.hub.call(net.recipient, "lastData")) == b"ccc"
    assert bytes(net.hub.call(net.recipient, "lastSender")) == address_to_bytes32(
        net.spoke.accounts[0]
    )
    assert relayer.step() == []  # nothing new, nothing re-sent
    assert int(net.hub.call(net.hub_core.mailbox, "nonce")) == 0  # hub dispatched nothing
    assert [d.status for d in relayer.deliveries()] == ["delivered"] * 3


def test_agents_restart_from_their_state(net: Net) -> None:
    net.send(b"one")
    v0, v1 = net.validators([0, 1])
    assert (v0.step(), v1.step()) == (1, 1)
    stores = [v0.store(), v1.store()]
    r = Relayer(net.spoke, net.spoke_core, {HUB: (net.hub, net.hub_core)}, stores, net.tmp / "r.db")
    assert len(r.step()) == 1
    v0.close()
    v1.close()
    r.close()  # "killed"
    net.send(b"two")
    v0b, v1b = net.validators([0, 1])
    assert v0b.tree.count == 1  # rebuilt from SQLite
    assert (v0b.step(), v1b.step()) == (1, 1)
    r2 = Relayer(
        net.spoke, net.spoke_core, {HUB: (net.hub, net.hub_core)}, stores, net.tmp / "r.db"
    )
    assert len(r2.step()) == 1
    assert [d.status for d in r2.deliveries()] == ["delivered", "delivered"]
    assert bytes(net.hub.call(net.recipient, "lastData")) == b"two"


def test_relayer_waits_for_quorum_then_delivers(net: Net) -> None:
    net.send(b"late")
    (v0,) = net.validators([0])
    v0.step()
    v2 = Validator(net.spoke, net.spoke_core, net.keys[2], net.tmp / "v2.db")
    stores = [v0.store(), v2.store()]
    r = Relayer(net.spoke, net.spoke_core, {HUB: (net.hub, net.hub_core)}, stores, net.tmp / "r.db")
    assert r.step() == []
    (pending,) = r.deliveries()
    assert pending.status == "pending" and "awaiting signatures: 1 of 2" in (
        pending.last_error or ""
    )
    v2.step()
    assert len(r.step()) == 1

"""Per-origin validator sets: the hub's default ISM is Hyperlane's published
``DomainRoutingIsm`` sending each spoke domain to its own 2-of-3
``StaticMessageIdMultisigIsm``. Spoke A's validators (all three keys, a full
quorum of A) cannot attest a message from spoke B, directly or through the
relayer; B's own quorum can; an origin the hub never listed is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi import decode as abi_decode
from eth_account import Account

from trancheflow.bridge.chain import EmbeddedChain, deploy_core
from trancheflow.bridge.message import Message, address_to_bytes32, encode_metadata
from trancheflow.bridge.relayer import Relayer, build_metadata
from trancheflow.bridge.validator import Validator
from trancheflow.errors import BridgeError

from .conftest import key

HUB, A, B, C = 74001, 74002, 74003, 74004


class Routed:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.keys = {d: [key(f"origin-{d}-{i}") for i in range(3)] for d in (A, B, C)}
        addrs = {d: [Account.from_key(k).address for k in ks] for d, ks in self.keys.items()}
        self.hub = EmbeddedChain(HUB)
        # the hub routes A and B (C is not listed)
        self.hub_core = deploy_core(self.hub, origins={A: (addrs[A], 2), B: (addrs[B], 2)})
        self.spokes = {d: EmbeddedChain(d) for d in (A, B, C)}
        self.cores = {d: deploy_core(c, addrs[d], 2) for d, c in self.spokes.items()}
        self.recipient = self.hub.deploy("TestRecipient")

    def dispatch(self, origin: int, body: bytes) -> bytes:
        tx = self.spokes[origin].transact(
            self.cores[origin].mailbox,
            "dispatch",
            [HUB, address_to_bytes32(self.recipient), body],
        )
        log = next(lg for lg in tx.logs if len(lg.topics) == 4)
        (raw,) = abi_decode(["bytes"], log.data)
        return bytes(raw)

    def validators(self, origin: int, signer_set: int) -> list[Validator]:
        """Validators watching ``origin`` with the keys of ``signer_set``."""
        return [
            Validator(
                self.spokes[origin],
                self.cores[origin],
                k,
                self.tmp / f"v{origin}-{signer_set}-{i}.db",
            )
            for i, k in enumerate(self.keys[signer_set])
        ]

    def relayer(self, origin: int, vals: list[Validator], name: str) -> Relayer:
        for v in vals:
            v.step()
        return Relayer(
            self.spokes[origin],
            self.cores[origin],
            {HUB: (self.hub, self.hub_core)},
            [v.store() for v in vals],
            self.tmp / f"{name}.db",
        )

    def delivered(self, raw: bytes) -> bool:
        mid = Message.decode(raw).id
        return bool(self.hub.call(self.hub_core.mailbox, "delivered", [mid]))


@pytest.fixture
def net(tmp_path: Path) -> Routed:
    return Routed(tmp_path)


def test_each_origin_has_its_own_multisig_ism(net: Routed) -> None:
    isms = dict(net.hub_core.origin_isms)
    assert set(isms) == {A, B} and isms[A] != isms[B]
    assert int(net.hub.call(net.hub_core.ism, "moduleType")) == 1  # ROUTING (published)
    for d in (A, B):
        vals, threshold = net.hub.call(isms[d], "validatorsAndThreshold", [b""])
        assert sorted(vals) == sorted(Account.from_key(k).address for k in net.keys[d])
        assert threshold == 2


def test_spoke_a_validators_cannot_attest_spoke_b(net: Routed) -> None:
    raw = net.dispatch(B, b"spoke B report")
    mid = Message.decode(raw).id
    wrong = net.validators(B, A)  # A's three keys sign B's checkpoint
    for v in wrong:
        v.step()
    cps = [cp for v in wrong if (cp := v.store().get(0)) is not None]
    assert len(cps) == 3
    # forged metadata with A's full quorum: the routed ISM for B refuses it
    meta = encode_metadata(cps[0].merkle_tree_hook, cps[0].root, 0, [c.signature for c in cps[:2]])
    with pytest.raises(BridgeError, match="reverted"):
        net.hub.transact(net.hub_core.mailbox, "process", [meta, raw])
    # A's set would verify it if the hub trusted A's set for B: metadata is well formed
    a_vals = [Account.from_key(k).address for k in net.keys[A]]
    assert build_metadata(mid, cps, a_vals, 2) is not None
    # the relayer, reading B's routed set, finds no usable signatures
    r = net.relayer(B, wrong, "r-wrong")
    assert r.step() == []
    (d,) = r.deliveries()
    assert d.status == "pending" and "awaiting signatures" in (d.last_error or "")
    assert not net.delivered(raw)
    # B's own validators: delivered, once
    ok = net.relayer(B, net.validators(B, B)[:2], "r-ok")
    assert ok.step() == [mid]
    assert net.delivered(raw) and ok.step() == []


def test_unlisted_origin_is_refused(net: Routed) -> None:
    raw = net.dispatch(C, b"from nowhere")
    own = net.validators(C, C)
    for v in own:
        v.step()
    cps = [cp for v in own if (cp := v.store().get(0)) is not None]
    meta = encode_metadata(cps[0].merkle_tree_hook, cps[0].root, 0, [c.signature for c in cps[:2]])
    with pytest.raises(BridgeError, match="reverted"):
        net.hub.transact(net.hub_core.mailbox, "process", [meta, raw])
    r = net.relayer(C, own, "r-c")
    assert r.step() == [] and not net.delivered(raw)

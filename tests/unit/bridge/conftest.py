"""Two embedded chains with Hyperlane core deployed from the npm bytecode."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from trancheflow.bridge.chain import EmbeddedChain, HyperlaneCore, deploy_core
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.validator import Validator
from trancheflow.chain.backends import TxResult

HUB, SPOKE = 71001, 71002


def key(label: str) -> bytes:
    """A deterministic test key (never a real one)."""
    return bytes(keccak(b"trancheflow bridge test key " + label.encode()))


@dataclass
class Net:
    hub: EmbeddedChain
    spoke: EmbeddedChain
    hub_core: HyperlaneCore
    spoke_core: HyperlaneCore
    keys: list[bytes]
    recipient: str
    tmp: Path

    def send(self, body: bytes) -> TxResult:
        """Dispatch ``body`` from the spoke to the hub's test recipient."""
        return self.spoke.transact(
            self.spoke_core.mailbox, "dispatch", [HUB, address_to_bytes32(self.recipient), body]
        )

    def validators(self, which: range | list[int] | None = None) -> list[Validator]:
        idx = range(len(self.keys)) if which is None else which
        return [
            Validator(self.spoke, self.spoke_core, self.keys[i], self.tmp / f"v{i}.db") for i in idx
        ]


@pytest.fixture
def net(tmp_path: Path) -> Net:
    keys = [key(f"v{i}") for i in range(3)]
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = EmbeddedChain(HUB), EmbeddedChain(SPOKE)
    # the hub's ISM trusts the spoke's validators (2 of 3); and vice versa
    hub_core = deploy_core(hub, addrs, 2)
    spoke_core = deploy_core(spoke, addrs, 2)
    recipient = hub.deploy("TestRecipient")
    return Net(hub, spoke, hub_core, spoke_core, keys, recipient, tmp_path)

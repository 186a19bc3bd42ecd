"""The bridge agents against two real anvil nodes with distinct chain ids.

Hyperlane's published contracts are deployed on both over JSON-RPC; the
validators and the relayer run through the ``trancheflow bridge`` CLI (each
invocation a fresh process state read back from SQLite, i.e. a restart every
step), and the spoke's message arrives on the hub exactly once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from trancheflow.bridge.chain import deploy_core
from trancheflow.bridge.message import address_to_bytes32
from trancheflow.bridge.rpc import RpcChain, core_at
from trancheflow.cli import app

from . import anvil as anvil_mod
from .anvil import AnvilNode, anvil_binary
from .conftest import missing

pytestmark = pytest.mark.integration


@pytest.fixture
def two_nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AnvilNode, AnvilNode]]:
    binary = anvil_binary()
    if binary is None:
        missing("anvil not found; run 'make test' to install it from npm")
    with tempfile.TemporaryDirectory(prefix="tf-bridge-") as tmp:
        nodes = []
        for k, chain_id in enumerate((31337, 31338)):
            monkeypatch.setattr(anvil_mod, "CHAIN_ID", chain_id)  # start() reads it
            (Path(tmp) / str(k)).mkdir()
            node = AnvilNode(binary, Path(tmp) / str(k))
            node.start()
            nodes.append(node)
        try:
            yield nodes[0], nodes[1]
        finally:
            for node in nodes:
                node.stop()


def test_spoke_to_hub_over_anvil_via_cli(
    two_nodes: tuple[AnvilNode, AnvilNode], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_node, spoke_node = two_nodes
    keys = hub_node.keys[5:8]  # validator keys (dev mnemonic, never real)
    addrs = [Account.from_key(k).address for k in keys]
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", hub_node.keys[0])
    hub, spoke = RpcChain(hub_node.url), RpcChain(spoke_node.url)
    assert (hub.domain, spoke.domain) == (31337, 31338)
    hub_core, spoke_core = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    recipient = hub.deploy("TestRecipient")
    spoke.transact(
        spoke_core.mailbox, "dispatch", [hub.domain, address_to_bytes32(recipient), b"x"]
    )
    runner = CliRunner()
    for i in (0, 1):
        monkeypatch.setenv("TRANCHEFLOW_VALIDATOR_KEY", keys[i])
        res = runner.invoke(
            app,
            [
                "bridge",
                "validator",
                "--rpc-url",
                spoke_node.url,
                "--mailbox",
                spoke_core.mailbox,
                "--db",
                str(tmp_path / f"v{i}.db"),
                "--confirmations",
                "0",
            ],
        )
        assert res.exit_code == 0, res.output
        assert "signed 1" in res.output
    relay = [
        "bridge",
        "relayer",
        "--origin-rpc",
        spoke_node.url,
        "--origin-mailbox",
        spoke_core.mailbox,
        "--dest-rpc",
        hub_node.url,
        "--dest-mailbox",
        hub_core.mailbox,
        "--checkpoints",
        str(tmp_path / "v0.db"),
        "--checkpoints",
        str(tmp_path / "v1.db"),
        "--db",
        str(tmp_path / "r.db"),
    ]
    res = runner.invoke(app, relay)
    assert res.exit_code == 0, res.output
    assert "delivered 1, pending 0" in res.output
    res = runner.invoke(app, relay)  # restarted: nothing re-sent
    assert "delivered 0, pending 0" in res.output
    assert bytes(hub.call(recipient, "lastData")) == b"x"


def test_soak_agents_killed_and_hub_node_restarted(
    two_nodes: tuple[AnvilNode, AnvilNode], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rounds of dispatches; each round the validators and the relayer are new
    objects over their SQLite files (killed and restarted), and halfway the hub
    node restarts from its state file. Every message arrives exactly once."""
    from trancheflow.bridge.chain import event_topic
    from trancheflow.bridge.relayer import Relayer
    from trancheflow.bridge.validator import Validator

    hub_node, spoke_node = two_nodes
    keys = [bytes.fromhex(k[2:]) for k in hub_node.keys[5:8]]
    addrs = [Account.from_key(k).address for k in keys]
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", hub_node.keys[0])
    hub, spoke = RpcChain(hub_node.url), RpcChain(spoke_node.url)
    hub_core, spoke_core = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    recipient = hub.deploy("TestRecipient")
    sent = 0
    for rnd in range(4):
        for _ in range(2):
            body = f"round {rnd} #{sent}".encode()
            spoke.transact(
                spoke_core.mailbox, "dispatch", [hub.domain, address_to_bytes32(recipient), body]
            )
            sent += 1
        if rnd == 2:
            monkeypatch.setattr(anvil_mod, "CHAIN_ID", 31337)  # restart() reads it too
            hub_node.restart()
            hub = RpcChain(hub_node.url)
            assert core_at(hub, hub_core.mailbox) == hub_core  # state survived the restart
        vals = [
            Validator(spoke, spoke_core, k, tmp_path / f"v{i}.db") for i, k in enumerate(keys[:2])
        ]
        for v in vals:
            v.step()
            v.close()
        r = Relayer(
            spoke,
            spoke_core,
            {hub.domain: (hub, hub_core)},
            [v.store() for v in vals],
            tmp_path / "r.db",
        )
        r.step()
        assert [d.status for d in r.deliveries()] == ["delivered"] * sent, r.deliveries()[-1]
        r.close()
    hub.attach("Mailbox", hub_core.mailbox)
    topic = event_topic("Mailbox", "ProcessId")
    ids = [
        log.topics[1]
        for log in hub.logs(0, hub.latest_block(), [hub_core.mailbox])
        if log.topics[0] == topic
    ]
    assert len(ids) == len(set(ids)) == sent

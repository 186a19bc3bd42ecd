"""Tranche tokens hub -> spoke -> hub on two real anvil nodes (chain ids 31337
and 31338): H1's deal on the hub over JSON-RPC, the gateway and spoke token
deployed there, ``trancheflow bridge send|claim|return`` through the CLI, the
Python agents relaying (restarted from their state files between steps)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from trancheflow.bridge import tokens as tk
from trancheflow.bridge.chain import deploy_core
from trancheflow.bridge.rpc import RpcChain
from trancheflow.chain.client import DealClient
from trancheflow.chain.deployments import DeploymentStore
from trancheflow.chain.reports import sign_report, signer_addresses
from trancheflow.chain.servicer import ServicerFeed
from trancheflow.cli import app
from trancheflow.deal.spec import load_spec

from ...integration import anvil as anvil_mod
from ...integration.anvil import AnvilNode, anvil_binary
from ...integration.conftest import missing
from ..chain.client.scenario import EXAMPLE, SIGNER_KEYS, WINDOW

pytestmark = pytest.mark.integration
S = 10**27


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AnvilNode, AnvilNode]]:
    binary = anvil_binary()
    if binary is None:
        missing("anvil not found; run 'make test' to install it from npm")
    with tempfile.TemporaryDirectory(prefix="tf-tokens-") as tmp:
        started = []
        try:
            for k, chain_id in enumerate((31337, 31338)):
                monkeypatch.setattr(anvil_mod, "CHAIN_ID", chain_id)
                (Path(tmp) / str(k)).mkdir()
                node = AnvilNode(binary, Path(tmp) / str(k))
                node.start()
                started.append(node)
            yield started[0], started[1]
        finally:
            for node in started:
                node.stop()


def test_token_round_trip_over_anvil_via_cli(
    nodes: tuple[AnvilNode, AnvilNode], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_node, spoke_node = nodes
    monkeypatch.setenv("TRANCHEFLOW_PRIVATE_KEY", hub_node.keys[0])
    keys = [bytes.fromhex(k.removeprefix("0x")) for k in hub_node.keys[5:8]]  # dev keys
    addrs = [Account.from_key(k).address for k in keys]
    hub, spoke = RpcChain(hub_node.url), RpcChain(spoke_node.url)
    hub_core, spoke_core = deploy_core(hub, addrs, 2), deploy_core(spoke, addrs, 2)
    client = DealClient(hub.backend, DeploymentStore(None))
    spec = load_spec(EXAMPLE, onchain=True)
    feed = ServicerFeed(spec)
    deal = client.deploy_deal(
        spec, signers=signer_addresses(SIGNER_KEYS), quorum=2, dispute_window=WINDOW
    )
    me = client.accounts[0]
    client.mint_mock(deal.record.settlement, me, 10**15)

    def period(t: int) -> None:
        rep = feed.report(t)
        deal.submit_report(rep, sign_report(rep, SIGNER_KEYS[1:], client.chain_id, deal.address))
        client.advance_time(WINDOW)
        deal.finalize(t)

    route = tk.deploy_token_route(
        hub, hub_core, deal.token(0), deal.record.settlement, spoke, spoke_core
    )
    lanes = tk.Lanes(hub, hub_core, spoke, spoke_core, keys, tmp_path)
    period(1)
    run = CliRunner()
    res = run.invoke(
        app,
        ["bridge", "send", "--rpc-url", hub_node.url, "--gateway", route.gateway,
         "--token", route.hub_token, "--spoke-domain", "31338", "--to", me,
         "--amount", "1000000000"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lanes.step()
    c = tk.conservation(hub, hub_core, spoke, spoke_core, route)
    assert c.ok and c.spoke_supply == c.locked == 10**9, c
    i0 = int(hub.call(route.hub_token, "index"))
    period(2)
    tk.sync(hub, route)
    lanes.close()
    lanes.open()  # agents restarted from their state files
    lanes.step()
    want = 10**9 * (int(hub.call(route.hub_token, "index")) - i0) // S
    assert want > 0
    assert int(spoke.call(route.spoke_token, "claimable", [me])) == want
    res = run.invoke(
        app, ["bridge", "claim", "--rpc-url", spoke_node.url, "--spoke-token", route.spoke_token]
    )
    assert res.exit_code == 0, res.output
    assert int(spoke.call(route.warp.spoke_router, "balanceOf", [me])) == want
    res = run.invoke(
        app,
        ["bridge", "return", "--rpc-url", spoke_node.url, "--spoke-token", route.spoke_token,
         "--to", me, "--amount", "400000000"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lanes.step()
    c = tk.conservation(hub, hub_core, spoke, spoke_core, route)
    assert c.ok and c.spoke_supply == c.locked == 6 * 10**8 and c.returning == 0, c
    assert lanes.pending() == 0
    lanes.close()

"""The chain client against a real node (anvil): the same scenario as in process.

``run_scenario`` (tests/unit/chain/client/scenario.py) deploys the example
deal on anvil through :meth:`DealClient.connect` (keys from the environment),
runs 12 months of servicer reports from the collateral engine with signer
attestations, time travel past the dispute window, finalization, transfers and
claims, and checks every period against the exact waterfall and the holder
mirror to the unit. The run's numbers must equal the embedded run's. Also:
connection errors (unreachable URL, wrong chain id, missing key, unfunded
account), deployment records surviving a node restart, and the event source
the indexer reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from trancheflow.chain.client import DealClient
from trancheflow.errors import ChainError
from trancheflow.ops.events import EventSource

from ..unit.chain.client.scenario import run_scenario
from .anvil import AnvilNode, anvil  # noqa: F401

pytestmark = pytest.mark.integration

KEY_ENVS = ["TF_TEST_KEY_1", "TF_TEST_KEY_2"]


@pytest.fixture
def keys_env(anvil: AnvilNode) -> Iterator[None]:  # noqa: F811
    env = anvil.env(3)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _connect(anvil: AnvilNode, tmp_path: Path) -> DealClient:  # noqa: F811
    return DealClient.connect(
        anvil.url, extra_key_envs=KEY_ENVS, chain_id=31337, deployments_dir=tmp_path / "dep"
    )


def test_scenario_on_anvil_matches_exact_and_embedded(
    anvil: AnvilNode,  # noqa: F811
    keys_env: None,
    tmp_path: Path,
) -> None:
    client = _connect(anvil, tmp_path)
    s, on_node = run_scenario(client, periods=12)
    _, embedded = run_scenario(DealClient.embedded(), periods=12)
    assert on_node == embedded
    assert s.deal.settlement_balance() == s.ledger.owed_total()
    # the deployment is on disk, and a second process finds it by name
    assert (tmp_path / "dep" / "31337.json").exists()
    again = _connect(anvil, tmp_path).load_deployment(s.spec.deal)
    assert again.period() == 12 and again.address == s.deal.address
    # the indexer's view: ordered, block hashes consistent, same events as the client's
    src = again.event_source()
    assert isinstance(src, EventSource)
    head = src.latest_block()
    events = src.events(src.start_block, head)
    assert [(e.block_number, e.log_index) for e in events] == sorted(
        (e.block_number, e.log_index) for e in events
    )
    assert all(e.block_hash == src.block_hash(e.block_number) for e in events)
    assert [e.name for e in events].count("PeriodFinalized") == 12
    assert src.block_hash(head + 1) is None


def test_restart_keeps_state(anvil: AnvilNode, keys_env: None, tmp_path: Path) -> None:  # noqa: F811
    from .anvil import rpc

    client = _connect(anvil, tmp_path)
    usdc = client.deploy_settlement_mock()
    client.mint_mock(usdc, client.accounts[1], 123)
    head = client.backend.latest_block()
    anvil.restart()
    client2 = _connect(anvil, tmp_path)
    assert client2.token_balance(usdc, client.accounts[1]) == 123
    assert int(str(rpc(anvil.url, "eth_blockNumber")), 16) >= head


def test_connection_errors(anvil: AnvilNode, keys_env: None, tmp_path: Path) -> None:  # noqa: F811
    from .anvil import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainError, match=f"cannot reach a JSON-RPC node at {dead}"):
        DealClient.connect(dead, timeout=2)
    with pytest.raises(ChainError, match="is chain 31337, not the expected 1"):
        DealClient.connect(anvil.url, chain_id=1)
    with pytest.raises(ChainError, match="TF_TEST_NO_SUCH_KEY is not set"):
        DealClient.connect(anvil.url, private_key_env="TF_TEST_NO_SUCH_KEY")
    os.environ["TF_TEST_POOR_KEY"] = "0x" + "42" * 32
    try:
        poor = Account.from_key("0x" + "42" * 32).address
        with pytest.raises(ChainError, match=f"account {poor} .* has no ether"):
            DealClient.connect(anvil.url, private_key_env="TF_TEST_POOR_KEY")
    finally:
        del os.environ["TF_TEST_POOR_KEY"]
    client = _connect(anvil, tmp_path)
    stranger = Account.from_key("0x" + "43" * 32).address
    with pytest.raises(ChainError, match=f"no key for account {stranger}"):
        client.deploy_settlement_mock(sender=stranger)
    usdc = client.deploy_settlement_mock()
    allowance = r"MockUSDC\.transferFrom reverted .*insufficient allowance"
    with pytest.raises(ChainError, match=allowance):
        client.backend.transact(
            "MockUSDC", usdc, "transferFrom", [client.accounts[1], client.accounts[0], 1]
        )

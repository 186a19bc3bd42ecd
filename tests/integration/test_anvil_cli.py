"""``trancheflow chain`` against anvil: deploy, report, finalize, status, claim.

The key comes only from the environment; the deployment is recorded in
``<dir>/31337.json`` and later commands find the deal by name. The period's
numbers printed and claimed equal the chain client's views.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.chain.client import DealClient
from trancheflow.cli import app

from ..unit.chain.client.scenario import EXAMPLE
from .anvil import AnvilNode, anvil, rpc  # noqa: F401

pytestmark = pytest.mark.integration


def test_cli_round_trip(
    anvil: AnvilNode,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k, v in anvil.env(1).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("TRANCHEFLOW_RPC_URL", anvil.url)
    monkeypatch.setenv("TRANCHEFLOW_SIGNER_KEYS", ",".join(anvil.keys[7:9]))
    runner = CliRunner()
    dep = ["--deployments", str(tmp_path)]

    def run(*argv: str) -> str:
        res = runner.invoke(app, ["chain", *argv, *dep])
        assert res.exit_code == 0, (argv, res.output, res.exception)
        return " ".join(res.output.split())

    signers = list(anvil.addresses[7:9])
    out = run(
        "deploy",
        str(EXAMPLE),
        "--signer",
        signers[0],
        "--signer",
        signers[1],
        "--quorum",
        "2",
        "--dispute-window",
        "600",
    )
    assert "recorded in" in out
    rec = json.loads((tmp_path / "31337.json").read_text())["deals"]["EXAMPLE-2026-1"]
    # the sending account funds the servicer's cash with the mock token
    client = DealClient.connect(anvil.url, deployments_dir=tmp_path)
    client.mint_mock(rec["settlement"], client.accounts[0], 10**15)
    out = run("report", "EXAMPLE-2026-1", "--period", "1", "--spec", str(EXAMPLE))
    assert "period 1 report submitted" in out
    res = runner.invoke(app, ["chain", "finalize", "EXAMPLE-2026-1", "--period", "1", *dep])
    assert res.exit_code != 0 and "dispute window open" in str(res.exception)
    rpc(anvil.url, "evm_increaseTime", [600])
    rpc(anvil.url, "evm_mine")
    assert "period 1 finalized" in run("finalize", "EXAMPLE-2026-1", "--period", "1")
    h = client.load_deployment("EXAMPLE-2026-1")
    owed = h.claimable("A", client.accounts[0])
    assert owed > 0
    out = run("status", "EXAMPLE-2026-1")
    assert "period 1" in out and f"{h.factor('A') / 10**18:.8f}" in out
    out = run("claim", "EXAMPLE-2026-1", "--tranche", "A")
    assert f"({owed} units)" in out
    assert h.claimable("A", client.accounts[0]) == 0

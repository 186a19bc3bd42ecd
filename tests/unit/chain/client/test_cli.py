"""``trancheflow chain`` without a node: the embedded dry run and the clear refusals."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from trancheflow.cli import app

from .scenario import EXAMPLE

runner = CliRunner()


def test_embedded_deploy_says_it_lives_only_for_the_process() -> None:
    res = runner.invoke(app, ["chain", "deploy", str(EXAMPLE), "--dispute-window", "60"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "EXAMPLE-2026-1 on embedded titanoboa" in out
    assert "tranche Z (Z)" in out and "lives only for this process" in out


def test_node_commands_need_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHEFLOW_RPC_URL", raising=False)
    for argv in (
        ["chain", "status", "X"],
        ["chain", "finalize", "X", "--period", "1"],
        ["chain", "claim", "X", "--tranche", "A"],
    ):
        res = runner.invoke(app, argv)
        assert res.exit_code != 0
        assert "needs a node: pass --rpc-url" in res.output, argv

"""``trancheflow zk``: bad input exits 2 with one line naming the input and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.tape.generate import generate_tape
from trancheflow.tape.io import write_tape

runner = CliRunner()


@pytest.fixture
def tape(tmp_path: Path) -> Path:
    path = tmp_path / "tape.csv"
    write_tape(generate_tape(3, seed=1), path)
    return path


def test_missing_secret_is_named(
    tape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRANCHEFLOW_ZK_SECRET", raising=False)
    res = runner.invoke(app, ["zk", "prove-tape", str(tape), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "TRANCHEFLOW_ZK_SECRET is not set" in res.output


def test_unknown_state_in_criteria_is_named(
    tape: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANCHEFLOW_ZK_SECRET", "12345")
    args = ["zk", "prove-tape", str(tape), "--out", str(tmp_path / "o"), "--states", "CA,XX"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "XX" in res.output and "not US state codes" in res.output


def test_verify_without_a_commitment_is_named(tmp_path: Path) -> None:
    (tmp_path / "proofs").mkdir()
    res = runner.invoke(app, ["zk", "verify", str(tmp_path)])
    assert res.exit_code == 2
    assert "commitment.json" in res.output

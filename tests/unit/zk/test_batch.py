"""Batch proving: resumable, atomic files, snarkjs verification of a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import artifact_path
from trancheflow.zk.batch import TapeCommitment, prove_tape, verify_folder
from trancheflow.zk.prover import SnarkjsWorker, circuit_input

from .conftest import CRITERIA


def test_folder_verifies_and_rerun_skips_everything(
    proved: Path, commitment: TapeCommitment
) -> None:
    valid, loans, bad = verify_folder(proved)
    assert (valid, loans, bad) == (2, 3, [])
    body = json.loads((proved / "commitment.json").read_text())
    assert int(body["root"]) == commitment.root and body["loan_ids"] == ["Z-1", "Z-2", "Z-3"]
    again = prove_tape(commitment, CRITERIA, proved, workers=1)
    assert sorted(again.skipped) == [0, 1] and again.proven == [] and again.ineligible == [2]
    assert not list((proved / "proofs").glob(".*.tmp"))


def test_tampered_or_misplaced_proofs_are_flagged(proved: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    (copy / "proofs").mkdir(parents=True)
    (copy / "commitment.json").write_text((proved / "commitment.json").read_text())
    zero = json.loads((proved / "proofs" / "0.json").read_text())
    zero["proof"]["pi_c"][0] = str(int(zero["proof"]["pi_c"][0]) + 1)
    (copy / "proofs" / "0.json").write_text(json.dumps(zero))
    # position 1's proof filed under position 2: its public inputs no longer match
    (copy / "proofs" / "2.json").write_text((proved / "proofs" / "1.json").read_text())
    valid, loans, bad = verify_folder(copy)
    assert (valid, loans, bad) == (0, 3, [0, 2])


def test_the_circuit_refuses_an_ineligible_loan_and_a_lying_witness(
    node_modules: Path, commitment: TapeCommitment
) -> None:
    paths = [artifact_path(r) for r in ("wasm", "zkey", "verification_key.json")]
    with SnarkjsWorker(*paths) as worker:
        # position 2 has FICO 640 < 660: no witness satisfies the constraints
        signals = circuit_input(commitment.leaves[2], commitment.tree, 2, CRITERIA)
        with pytest.raises(ZkError, match="snarkjs"):
            worker.prove(signals)
        # claiming a higher FICO for it changes the leaf: the path no longer gives the root
        lying = {**signals, "fico": "700"}
        with pytest.raises(ZkError, match="snarkjs"):
            worker.prove(lying)

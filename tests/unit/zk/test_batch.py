"""Batch proving: resumable, atomic files, snarkjs verification of a folder."""

from __future__ import annotations

import json
from pathlib import Path

from trancheflow.zk.batch import TapeCommitment, prove_tape, verify_folder

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

"""Shared fixtures for the ZK tests: the repository's node tools."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from trancheflow.zk.batch import TapeCommitment, commit_tape, prove_tape
from trancheflow.zk.leaf import Criteria

ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``node_modules`` with circomlibjs and snarkjs (installed by ``make test``)."""
    if shutil.which("node") is None or not (NODE_MODULES / "circomlibjs").is_dir():
        reason = "node and the npm packages (circomlibjs, snarkjs) are needed: run `make test`"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{reason} (CI is set: the npm tools must be installed)")
        pytest.skip(reason)
    return NODE_MODULES


CRITERIA = Criteria(660, 9000, 4500, 60_000_000, ("CA", "TX", "NY"))
TAPE = [
    {"loan_id": "Z-1", "current_balance": 250_000.0, "note_rate": 0.065, "fico": 720,
     "ltv": 0.8, "dti": 0.35, "state": "CA", "occupancy": "owner"},
    {"loan_id": "Z-2", "current_balance": 410_000.0, "note_rate": 0.07, "fico": 680,
     "ltv": 0.9, "dti": 0.45, "state": "TX", "occupancy": "investor"},
    # ineligible: FICO below the minimum
    {"loan_id": "Z-3", "current_balance": 90_000.0, "note_rate": 0.08, "fico": 640,
     "ltv": 0.7, "dti": 0.3, "state": "NY", "occupancy": "owner"},
]  # fmt: skip


@pytest.fixture(scope="session")
def commitment() -> TapeCommitment:
    """The three-loan tape committed under a fixed secret."""
    return commit_tape(TAPE, secret=123456789)


@pytest.fixture(scope="session")
def proved(
    node_modules: Path, commitment: TapeCommitment, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A prove-tape folder: real snarkjs proofs of positions 0 and 1 (2 workers)."""
    out = tmp_path_factory.mktemp("zkproofs")
    result = prove_tape(commitment, CRITERIA, out, workers=2)
    assert sorted(result.proven) == [0, 1] and result.ineligible == [2], result
    return out


@pytest.fixture(scope="session")
def proofs(proved: Path) -> dict[int, list[int]]:
    """Verifier words of the proofs of positions 0 and 1."""
    return {
        p: [int(w) for w in json.loads((proved / "proofs" / f"{p}.json").read_text())["words"]]
        for p in (0, 1)
    }

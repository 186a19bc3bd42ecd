"""The demo's ZK step: criteria met by generated tapes, the hook over a real deal life."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from trancheflow.ops.demo_zk import DEMO_CRITERIA, ZkAuditHook, demo_secret
from trancheflow.tape import generate_tape
from trancheflow.zk.audit import audit_k
from trancheflow.zk.batch import commit_tape


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_every_generated_loan_meets_the_demo_criteria(seed: int) -> None:
    # the criteria are the generator's underwriting box: a generated loan
    # outside them could never be proven and the demo's audit would fail
    tape = generate_tape(400, seed=seed)
    commitment = commit_tape(tape.to_dict("records"), demo_secret(seed))
    assert all(DEMO_CRITERIA.admits(leaf) for leaf in commitment.leaves)
    assert tape["fico"].min() >= DEMO_CRITERIA.min_fico
    assert tape["current_balance"].max() * 100 <= DEMO_CRITERIA.max_balance_cents


def test_the_default_audit_size_is_59_draws() -> None:
    assert ZkAuditHook(Path("."), Console(quiet=True)).k == audit_k(0.95, 0.05) == 59


@pytest.mark.slow
def test_hook_commits_draws_proves_and_records_on_a_deal_life(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trancheflow.deal.run import collateral_pool
    from trancheflow.ops.demo import DEMO_SPEC, _spec_for_tape
    from trancheflow.ops.lifecycle import run_life
    from trancheflow.ops.metrics import read_metrics
    from trancheflow.tape import validate_tape, write_tape

    tape = validate_tape(generate_tape(40, seed=3), source="t")
    path = tmp_path / "tape.parquet"
    write_tape(tape, path)
    spec = _spec_for_tape(Path(DEMO_SPEC), path, float(tape["current_balance"].sum()), [])
    hook = ZkAuditHook(tmp_path, Console(quiet=True), k=3)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    life = run_life(
        spec, collateral_pool(spec), tape_path=path, db_url=db, months=1, investors=2, seed=3,
        hooks=[hook],
    )  # fmt: skip
    assert hook.ok, hook.note
    status = read_metrics(db, life.handle.address, "zk", key="status")[0].payload
    audit = status["audit"]
    assert audit["state"] == "passed" and audit["k"] == 3 and len(audit["drawn"]) == 3
    assert status["proven"] == audit["distinct"] == len(set(audit["drawn"]))
    assert status["loans"] == 40 and status["ineligible_in_tape"] == 0
    tape_root = life.handle.client.backend.call("Deal", life.handle.address, "TAPE_ROOT")
    assert status["tape_root"] == "0x" + bytes(tape_root).hex()
    assert int(audit["seed"], 16) != 0  # a non-trivial block hash seeded the draw
    assert np.isclose(audit["confidence"], 1 - 0.95**3, atol=1e-4)
    assert any("ZK audit: " in line for line in hook.summary_lines())
    assert hook.report_sections()[0][0] == "Zero-knowledge eligibility audit"

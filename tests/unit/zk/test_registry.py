"""EligibilityRegistry + generated Groth16 verifier with real snarkjs proofs.

Proofs come from the committed (development) circuit keys through snarkjs,
which we did not write; the contract's pairing check runs on the EVM's bn128
precompiles. Every bad input of the issue is refused with its reason and
records nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boa
import pytest
from eth_hash.auto import keccak

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.errors import ZkError
from trancheflow.zk.audit import draw_positions
from trancheflow.zk.batch import TapeCommitment, commit_tape
from trancheflow.zk.leaf import Criteria, pack_criteria
from trancheflow.zk.onchain import answer_audit, deploy_registry, eligibility_status
from trancheflow.zk.poseidon import FIELD_MODULUS

from .conftest import CRITERIA, TAPE

ZK = CONTRACTS_DIR / "zk"
#: A stand-in keccak tape root for the mock deal.
TAPE_ROOT = bytes(keccak(b"tape"))


@pytest.fixture(scope="module")
def verifier() -> Any:
    return boa.load(str(ZK / "Groth16Verifier.vy"))


def deploy(verifier: Any, k: int = 3, window: int = 3600) -> tuple[Any, Any]:
    deal = boa.load(str(ZK / "mocks" / "MockDealOwner.vy"))
    registry = boa.load(
        str(ZK / "EligibilityRegistry.vy"), deal.address, verifier.address, k, window
    )
    deal.set_closed(True)
    deal.set_tape_root(TAPE_ROOT)
    return deal, registry


def commit(
    registry: Any, commitment: TapeCommitment, criteria: Criteria = CRITERIA, n: int = 3
) -> None:
    registry.commit(
        commitment.root, TAPE_ROOT, n, criteria.min_fico, criteria.max_ltv_bps,
        criteria.max_dti_bps, criteria.max_balance_cents, criteria.state_mask,
    )  # fmt: skip


def lid(commitment: TapeCommitment, position: int) -> int:
    return commitment.leaves[position].loan_id


def test_verifier_accepts_real_proofs_and_checks_the_modulus(
    verifier: Any, commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    inputs = [commitment.root, pack_criteria(CRITERIA), lid(commitment, 0), 0]
    assert verifier.verify(proofs[0], inputs)
    assert not verifier.verify(proofs[0], [*inputs[:3], 1])
    with boa.reverts("public input >= field modulus"):
        verifier.verify(proofs[0], [inputs[0] + FIELD_MODULUS, *inputs[1:]])


def test_commit_rules(verifier: Any, commitment: TapeCommitment) -> None:
    deal, registry = deploy(verifier)
    deal.set_closed(False)
    with boa.reverts("zk: deal not closed"):
        commit(registry, commitment)
    deal.set_closed(True)
    with boa.env.prank(boa.env.generate_address()), boa.reverts("zk: caller is not the deal owner"):
        commit(registry, commitment)
    commit(registry, commitment)
    assert registry.criteria() == pack_criteria(CRITERIA)
    with boa.reverts("zk: already committed"):
        commit(registry, commitment)


def test_commit_records_the_deal_tape_root_beside_the_poseidon_root(
    verifier: Any, commitment: TapeCommitment
) -> None:
    _, registry = deploy(verifier)
    other = bytes(keccak(b"another tape"))
    with boa.reverts("zk: tape root is not the deal's"):
        registry.commit(
            commitment.root, other, 3, CRITERIA.min_fico, CRITERIA.max_ltv_bps,
            CRITERIA.max_dti_bps, CRITERIA.max_balance_cents, CRITERIA.state_mask,
        )  # fmt: skip
    assert not registry.committed()
    commit(registry, commitment)
    event = registry.get_logs()[-1]
    assert (registry.root(), registry.tape_root()) == (commitment.root, TAPE_ROOT)
    assert (event.root, event.tape_root) == (commitment.root, TAPE_ROOT)


@pytest.mark.parametrize("loan_id", ["L", "Z-1", "B-000001", "x" * 31, "prêt-7", "\x01a"])
def test_proven_key_is_keccak_of_the_id_bytes(verifier: Any, loan_id: str) -> None:
    _, registry = deploy(verifier)
    field = int.from_bytes(loan_id.encode(), "big")
    assert registry.internal._key(field) == keccak(loan_id.encode())


def test_prove_records_once_and_refuses_every_bad_input(
    verifier: Any, commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    _, registry = deploy(verifier)
    commit(registry, commitment)
    p0, id0, id1 = proofs[0], lid(commitment, 0), lid(commitment, 1)
    tampered = [p0[0], p0[1], *p0[2:6], p0[6], (p0[7] + 1)]
    bad: list[tuple[tuple[Any, ...], str]] = [
        ((id0, 0, tampered), "zk: proof does not verify"),  # wrong proof
        ((id1, 0, p0), "zk: proof does not verify"),  # replayed for another loan id
        ((id0, 1, p0), "zk: proof does not verify"),  # another position
        ((id0 + FIELD_MODULUS, 0, p0), "zk: public input >= field modulus"),
        ((id0, 3, p0), "zk: position not committed"),
    ]
    for args, reason in bad:
        with boa.reverts(reason):
            registry.prove(*args)
    assert registry.proven_count() == 0 and not registry.proven(id0)
    registry.prove(id0, 0, p0)
    assert registry.proven(id0) and registry.position_proven(0)
    assert registry.proven_count() == 1
    assert registry.proven_key(keccak(TAPE[0]["loan_id"].encode()))  # Liquidation's loan id
    assert not registry.proven(id1) and not registry.position_proven(1)
    with boa.reverts("zk: loan already proven"):
        registry.prove(id0, 0, p0)


def test_other_root_or_criteria_do_not_verify(
    verifier: Any, commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    looser = Criteria(600, 9000, 4500, 60_000_000, ("CA", "TX", "NY"))
    _, registry = deploy(verifier)
    commit(registry, commitment, looser)
    with boa.reverts("zk: proof does not verify"):
        registry.prove(lid(commitment, 0), 0, proofs[0])
    other = commit_tape(TAPE, secret=987654321)  # other salts: another root
    _, registry = deploy(verifier)
    commit(registry, other)
    with boa.reverts("zk: proof does not verify"):
        registry.prove(lid(commitment, 0), 0, proofs[0])
    assert registry.proven_count() == 0


BLOCKHASH = """
@external
@view
def seed(n: uint256) -> bytes32:
    return blockhash(n)
"""


def _draw(registry: Any) -> list[int]:
    registry.request_audit()
    seed_block = registry.audit_block()
    with boa.reverts("zk: seed block not mined yet"):
        registry.draw_audit()
    boa.env.time_travel(blocks=3)
    registry.draw_audit()
    drawn = list(registry.audit_positions_drawn())
    seed = boa.loads(BLOCKHASH).seed(seed_block)  # what the EVM gives for that block
    assert drawn == draw_positions(seed, registry.audit_k(), registry.loan_count())
    return drawn


def test_audit_passes_when_drawn_loans_are_proven(
    verifier: Any, commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    _, registry = deploy(verifier, k=4)
    commit(registry, commitment, n=2)  # positions 0 and 1 are the eligible ones
    drawn = _draw(registry)
    assert len(drawn) == 4 and set(drawn) <= {0, 1}
    with boa.reverts("zk: audit window still open"):
        registry.settle_audit()
    for position in sorted(set(drawn)):
        registry.prove(lid(commitment, position), position, proofs[position])
    registry.settle_audit()
    status = eligibility_status(registry)
    assert status["audit"] == "passed" and status["audits_passed"] == 1
    assert status["summary"] == f"{len(set(drawn))} of 2 loans proven eligible"
    assert (registry.audits_passed(), registry.audits_failed()) == (1, 0)


def test_audit_fails_after_the_window_with_the_missing_positions(
    verifier: Any, commitment: TapeCommitment
) -> None:
    _, registry = deploy(verifier, k=5, window=600)
    commit(registry, commitment)
    drawn = _draw(registry)
    boa.env.time_travel(seconds=601)
    registry.settle_audit()
    logs = registry.get_logs()
    assert registry.audit_state() == registry.AUDIT_FAILED()
    assert (registry.audits_passed(), registry.audits_failed()) == (0, 1)
    assert type(logs[-1]).__name__ == "AuditFailed" and list(logs[-1].missing) == drawn


def test_answer_audit_from_a_prove_tape_folder(
    proved: Path, commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    deal = boa.load(str(ZK / "mocks" / "MockDealOwner.vy"))
    deal.set_closed(True)
    deal.set_tape_root(TAPE_ROOT)
    _, registry = deploy_registry(deal.address, k=6, window=600)
    with pytest.raises(ZkError, match="no open audit"):
        answer_audit(registry, commitment, CRITERIA, proved)
    commit(registry, commitment, n=2)  # the two eligible positions
    drawn = _draw(registry)
    submitted = answer_audit(registry, commitment, CRITERIA, proved)
    assert submitted == sorted(set(drawn))
    registry.settle_audit()
    status = eligibility_status(registry)
    assert status["audit"] == "passed" and status["audits_passed"] == 1
    assert status["summary"] == f"{len(submitted)} of 2 loans proven eligible"

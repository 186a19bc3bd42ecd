"""Attach the ZK registry to a deal and answer its random audits (titanoboa).

:func:`deploy_registry` deploys the generated verifier and an
``EligibilityRegistry`` bound to a deal; :func:`commit` has the deal's owner
commit the Poseidon root and criteria; :func:`answer_audit` submits, for each
position an open audit drew, the proof from a ``prove-tape`` folder (proving it
with snarkjs first when the folder lacks it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import artifact_path
from trancheflow.zk.batch import ARTIFACT_ROLES, TapeCommitment
from trancheflow.zk.leaf import Criteria
from trancheflow.zk.prover import SnarkjsWorker, circuit_input, proof_words

__all__ = ["AUDIT_STATES", "answer_audit", "commit", "deploy_registry", "eligibility_status"]

#: The registry's audit_state codes, in words.
AUDIT_STATES = ("none", "requested", "open", "passed", "failed")

_ZK = CONTRACTS_DIR / "zk"


def deploy_registry(deal: str, k: int = 59, window: int = 7 * 86_400) -> tuple[Any, Any]:
    """Deploy (verifier, registry) for ``deal`` in the current boa environment.

    ``k = 59`` draws give 95% confidence of catching a pool with 5% or more
    ineligible loans (:func:`trancheflow.zk.audit.audit_k`).
    """
    import boa

    verifier = boa.load(str(_ZK / "Groth16Verifier.vy"))
    registry = boa.load(str(_ZK / "EligibilityRegistry.vy"), deal, verifier.address, k, window)
    return verifier, registry


def commit(registry: Any, commitment: TapeCommitment, criteria: Criteria, tape_root: bytes) -> None:
    """Commit the tape's Poseidon root beside the deal's keccak ``tape_root``.

    Call as the deal's owner. The registry checks ``tape_root`` equals the
    deal's ``TAPE_ROOT`` and records the pair, the loan count and the criteria.

    Raises
    ------
    ZkError
        When ``tape_root`` is not 32 bytes.
    """
    if len(tape_root) != 32:
        raise ZkError(f"tape root: expected 32 bytes, got {len(tape_root)}")
    registry.commit(
        commitment.root,
        tape_root,
        len(commitment.leaves),
        criteria.min_fico,
        criteria.max_ltv_bps,
        criteria.max_dti_bps,
        criteria.max_balance_cents,
        criteria.state_mask,
    )


def answer_audit(
    registry: Any, commitment: TapeCommitment, criteria: Criteria, proofs: Path | None = None
) -> list[int]:
    """Prove every drawn, not yet proven position of the registry's open audit.

    Parameters
    ----------
    registry : boa contract
        An ``EligibilityRegistry`` with an open audit.
    commitment, criteria
        What was committed.
    proofs : Path, optional
        A ``prove-tape`` folder; positions missing from it are proven with snarkjs.

    Returns
    -------
    list of int
        The positions submitted.

    Raises
    ------
    ZkError
        When no audit is open or a drawn loan cannot be proven (it is ineligible).
    """
    if registry.audit_state() != registry.AUDIT_OPEN():
        raise ZkError("audit: no open audit on this registry (request and draw one first)")
    todo = sorted({int(p) for p in registry.audit_missing()})
    submitted: list[int] = []
    worker: SnarkjsWorker | None = None
    try:
        for position in todo:
            leaf = commitment.leaves[position]
            path = None if proofs is None else proofs / "proofs" / f"{position}.json"
            if path is not None and path.is_file():
                words = [int(w) for w in json.loads(path.read_text())["words"]]
            else:
                if worker is None:
                    wasm, zkey, vkey = (artifact_path(r) for r in ARTIFACT_ROLES)
                    worker = SnarkjsWorker(wasm, zkey, vkey)
                signals = circuit_input(leaf, commitment.tree, position, criteria)
                proof, _ = worker.prove(signals)
                words = proof_words(proof)
            registry.prove(leaf.loan_id, position, words)
            submitted.append(position)
    finally:
        if worker is not None:
            worker.close()
    return submitted


def eligibility_status(registry: Any) -> dict[str, Any]:
    """What a dashboard shows: "N of M loans proven eligible" and the audit's state.

    Returns
    -------
    dict
        ``proven``, ``loans``, ``audit`` (a word from :data:`AUDIT_STATES`),
        ``audits_passed``, ``audits_failed`` and ``summary``.
    """
    proven, loans = int(registry.proven_count()), int(registry.loan_count())
    return {
        "proven": proven,
        "loans": loans,
        "audit": AUDIT_STATES[int(registry.audit_state())],
        "audits_passed": int(registry.audits_passed()),
        "audits_failed": int(registry.audits_failed()),
        "summary": f"{proven} of {loans} loans proven eligible",
    }

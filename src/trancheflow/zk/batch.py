"""Prove a whole tape: commitment, parallel snarkjs workers, resumable proof files.

Layout of an output folder::

    commitment.json        root, loan count, criteria (packed and in words), loan ids
    proofs/<position>.json one per proven loan: proof JSON, public inputs, verifier words

Each proof file is written to a temporary name and renamed (``os.replace``),
so an interrupted run leaves only whole files; a rerun skips positions whose
file exists and belongs to the same commitment.

Salts are derived, not stored: ``salt = Poseidon(secret, loan_id)`` with the
issuer's secret (a field element kept off chain), so the same tape and secret
give the same leaves and root on every run.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trancheflow.errors import ZkError
from trancheflow.zk.artifacts import ARTIFACTS_DIR, artifact_path
from trancheflow.zk.leaf import Criteria, LoanLeaf, encode_loan_id, leaf_from_record, pack_criteria
from trancheflow.zk.poseidon import FIELD_MODULUS, poseidon
from trancheflow.zk.prover import SnarkjsWorker, circuit_input, proof_words
from trancheflow.zk.tree import PoseidonTree

#: The artifact roles a worker needs, in its argument order.
ARTIFACT_ROLES = ("wasm", "zkey", "verification_key.json")

__all__ = [
    "BatchResult",
    "TapeCommitment",
    "commit_tape",
    "default_workers",
    "prove_tape",
    "verify_folder",
]


@dataclass(frozen=True)
class TapeCommitment:
    """A tape's leaves and tree under one issuer secret."""

    loan_ids: tuple[str, ...]
    leaves: tuple[LoanLeaf, ...]
    tree: PoseidonTree

    @property
    def root(self) -> int:
        """The Poseidon root the deal commits."""
        return self.tree.root


def commit_tape(records: Iterable[Mapping[str, Any]], secret: int) -> TapeCommitment:
    """Leaves (salted with ``Poseidon(secret, loan_id)``) and the depth-20 tree of a tape.

    Raises
    ------
    ZkError
        When the secret is not a field element, a loan id repeats, or a row cannot be encoded.
    """
    if not 0 < secret < FIELD_MODULUS:
        raise ZkError("issuer secret: must be a non-zero field element")
    ids: list[str] = []
    leaves: list[LoanLeaf] = []
    seen: set[str] = set()
    for row in records:
        loan_id = str(row.get("loan_id", ""))
        if loan_id in seen:
            raise ZkError(f"loan {loan_id!r}: appears twice in the tape")
        seen.add(loan_id)
        salt = poseidon([secret, encode_loan_id(loan_id)])
        leaves.append(leaf_from_record(dict(row), salt=salt))
        ids.append(loan_id)
    if not leaves:
        raise ZkError("tape: no loans to commit")
    tree = PoseidonTree([leaf.hash() for leaf in leaves])
    return TapeCommitment(tuple(ids), tuple(leaves), tree)


@dataclass
class BatchResult:
    """What one :func:`prove_tape` run did."""

    proven: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    ineligible: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    #: Milliseconds each new proof took inside its node worker (witness + Groth16).
    prove_ms: list[int] = field(default_factory=list)


def _atomic_write(path: Path, body: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("w") as fh:
        json.dump(body, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _commitment_body(commitment: TapeCommitment, criteria: Criteria) -> dict[str, Any]:
    return {
        "root": str(commitment.root),
        "loan_count": len(commitment.leaves),
        "criteria": str(pack_criteria(criteria)),
        "criteria_words": {
            "min_fico": criteria.min_fico,
            "max_ltv_bps": criteria.max_ltv_bps,
            "max_dti_bps": criteria.max_dti_bps,
            "max_balance_cents": criteria.max_balance_cents,
            "state_mask": criteria.state_mask,
            "states": list(criteria.states),
        },
        "loan_ids": list(commitment.loan_ids),
    }


def _existing(path: Path, public: list[int]) -> bool:
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return [int(x) for x in body.get("public", [])] == public


def default_workers() -> int:
    """One single-threaded snarkjs worker per available core."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)


def prove_tape(
    commitment: TapeCommitment,
    criteria: Criteria,
    out: Path,
    workers: int | None = None,
    on_done: Callable[[int, str], None] | None = None,
    artifacts: Path | None = None,
    positions: Iterable[int] | None = None,
) -> BatchResult:
    """Prove every eligible loan of ``commitment`` into ``out`` with ``workers`` node processes.

    Parameters
    ----------
    commitment : TapeCommitment
        From :func:`commit_tape`.
    criteria : Criteria
        The deal's criteria (public inputs).
    out : Path
        Output folder (created); existing proofs for the same root and criteria are kept.
    workers : int, optional
        Parallel snarkjs processes (default: one per core, :func:`default_workers`).
    on_done : callable, optional
        Called with ``(position, outcome)`` after each loan (``proven``, ``skipped``,
        ``ineligible``, ``failed``): drives a progress bar.
    artifacts : Path, optional
        Folder of the circuit artifacts (default: the committed ones).
    positions : iterable of int, optional
        Prove only these positions (e.g. an audit's draws); default every loan.

    Returns
    -------
    BatchResult
    """
    if workers is None:
        workers = default_workers()
    if workers < 1:
        raise ZkError(f"workers {workers}: must be at least 1")
    proofs = out / "proofs"
    proofs.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "commitment.json", _commitment_body(commitment, criteria))
    result = BatchResult()
    lock = threading.Lock()
    todo: queue.Queue[int] = queue.Queue()

    def record(position: int, outcome: str, reason: str = "") -> None:
        with lock:
            if outcome == "failed":
                result.failed[position] = reason
            else:
                getattr(result, outcome).append(position)
        if on_done is not None:
            on_done(position, outcome)

    packed = pack_criteria(criteria)
    if positions is None:
        wanted: list[int] = list(range(len(commitment.leaves)))
    else:
        wanted = sorted(set(positions))
        for p in wanted:
            if not 0 <= p < len(commitment.leaves):
                raise ZkError(f"position {p}: outside the {len(commitment.leaves)} committed loans")
    for position in wanted:
        leaf = commitment.leaves[position]
        public = [commitment.root, packed, leaf.loan_id, position]
        if not criteria.admits(leaf):
            record(position, "ineligible")
        elif _existing(proofs / f"{position}.json", public):
            record(position, "skipped")
        else:
            todo.put(position)
    if todo.empty():
        return result
    folder = ARTIFACTS_DIR if artifacts is None else artifacts
    paths = [artifact_path(role, folder) for role in ARTIFACT_ROLES]

    def work() -> None:
        with SnarkjsWorker(paths[0], paths[1], paths[2]) as worker:
            while True:
                try:
                    position = todo.get_nowait()
                except queue.Empty:
                    return
                leaf = commitment.leaves[position]
                try:
                    signals = circuit_input(leaf, commitment.tree, position, criteria)
                    proof, public = worker.prove(signals)
                except ZkError as exc:
                    record(position, "failed", str(exc))
                    if not worker.alive:  # interrupted or crashed: leave the rest for a rerun
                        return
                    continue
                with lock:
                    result.prove_ms.append(worker.last_ms)
                body = {"proof": proof, "public": [str(x) for x in public]}
                body["words"] = [str(w) for w in proof_words(proof)]
                _atomic_write(proofs / f"{position}.json", body)
                record(position, "proven")

    threads = [threading.Thread(target=work) for _ in range(min(workers, todo.qsize()))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def verify_folder(
    out: Path, on_done: Callable[[int, bool], None] | None = None
) -> tuple[int, int, list[int]]:
    """Check every proof file of ``out`` against its commitment with snarkjs.

    Returns
    -------
    tuple
        ``(valid, loan_count, bad_positions)``.

    Raises
    ------
    ZkError
        When ``commitment.json`` is missing or malformed.
    """
    try:
        commitment = json.loads((out / "commitment.json").read_text())
        root, packed = int(commitment["root"]), int(commitment["criteria"])
        ids = [encode_loan_id(i) for i in commitment["loan_ids"]]
    except (OSError, ValueError, KeyError) as exc:
        raise ZkError(f"{out / 'commitment.json'}: cannot be read ({exc})") from None
    bad: list[int] = []
    valid = 0
    files = sorted((out / "proofs").glob("*.json"), key=lambda p: int(p.stem))
    wasm, zkey, vkey = (artifact_path(r) for r in ARTIFACT_ROLES)
    with SnarkjsWorker(wasm, zkey, vkey) as worker:
        for path in files:
            position = int(path.stem)
            try:
                body = json.loads(path.read_text())
                public = [int(x) for x in body["public"]]
                expected = [root, packed, ids[position], position]
                ok = public == expected and worker.verify(body["proof"], public)
            except (ValueError, KeyError, IndexError, ZkError):
                ok = False
            valid += ok
            if not ok:
                bad.append(position)
            if on_done is not None:
                on_done(position, ok)
    return valid, len(ids), bad

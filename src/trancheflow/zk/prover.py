"""Groth16 proofs of loan eligibility with snarkjs (a long-lived Node worker).

The circuit artifacts (wasm, zkey, verification key) live in
``trancheflow/zk/artifacts`` (see :mod:`trancheflow.zk.artifacts`). snarkjs is
an npm package: the worker runs ``node`` with ``NODE_PATH`` set to the
repository's ``node_modules`` (or ``$TRANCHEFLOW_NODE_MODULES``).

Examples
--------
>>> proof = {"pi_a": ["1", "2", "1"], "pi_b": [["3", "4"], ["5", "6"], ["1", "0"]],
...          "pi_c": ["7", "8", "1"]}
>>> proof_words(proof)
[1, 2, 4, 3, 6, 5, 7, 8]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

from trancheflow.errors import ZkError
from trancheflow.zk.leaf import Criteria, LoanLeaf, pack_criteria
from trancheflow.zk.tree import PoseidonTree

__all__ = [
    "SnarkjsWorker",
    "circuit_input",
    "find_node_modules",
    "proof_words",
    "public_inputs",
]

_WORKER = Path(__file__).resolve().parent / "js" / "prove_worker.js"


def find_node_modules() -> Path:
    """The ``node_modules`` holding snarkjs.

    Looks at ``$TRANCHEFLOW_NODE_MODULES``, then upwards from the current
    directory and from this package.

    Raises
    ------
    ZkError
        When node or snarkjs cannot be found (run ``npm install`` at the repository root).
    """
    if shutil.which("node") is None:
        raise ZkError("node: not found on PATH; install Node.js to make or check proofs")
    env = os.environ.get("TRANCHEFLOW_NODE_MODULES")
    candidates = [Path(env)] if env else []
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        candidates += [d / "node_modules" for d in (start, *start.parents)]
    for c in candidates:
        if (c / "snarkjs").is_dir():
            return c
    raise ZkError("snarkjs: not found in node_modules; run `npm install` at the repository root")


def circuit_input(
    leaf: LoanLeaf, tree: PoseidonTree, position: int, criteria: Criteria
) -> dict[str, Any]:
    """The circuit's input signals for ``leaf`` at ``position`` (decimal strings).

    Raises
    ------
    ZkError
        When the tree does not hold ``leaf`` at ``position``.
    """
    if tree.leaf(position) != leaf.hash():
        raise ZkError(f"position {position}: the tree does not hold this loan's leaf there")
    return {
        "root": str(tree.root),
        "criteria": str(pack_criteria(criteria)),
        "loanId": str(leaf.loan_id),
        "position": str(position),
        "balance": str(leaf.balance_cents),
        "noteRate": str(leaf.note_rate_e6),
        "fico": str(leaf.fico),
        "ltv": str(leaf.ltv_bps),
        "dti": str(leaf.dti_bps),
        "state": str(leaf.state),
        "occupancy": str(leaf.occupancy),
        "salt": str(leaf.salt),
        "siblings": [str(s) for s in tree.proof(position)],
    }


def public_inputs(root: int, criteria: Criteria, loan_id: int, position: int) -> list[int]:
    """The public inputs in circuit order: root, criteria, loan id, position."""
    return [root, pack_criteria(criteria), loan_id, position]


def proof_words(proof: dict[str, Any]) -> list[int]:
    """snarkjs's proof JSON as the verifier's ``uint256[8]`` (G2 imaginary part first).

    Raises
    ------
    ZkError
        When the JSON is not a Groth16 proof.
    """
    try:
        a, b, c = proof["pi_a"], proof["pi_b"], proof["pi_c"]
        return [
            int(a[0]),
            int(a[1]),
            int(b[0][1]),
            int(b[0][0]),
            int(b[1][1]),
            int(b[1][0]),
            int(c[0]),
            int(c[1]),
        ]
    except (KeyError, IndexError, TypeError, ValueError):
        raise ZkError("proof: expected snarkjs Groth16 JSON with pi_a, pi_b, pi_c") from None


class SnarkjsWorker:
    """One ``node`` process with snarkjs loaded, proving and verifying on request.

    Parameters
    ----------
    wasm, zkey, vkey : Path
        The circuit's witness generator, proving key and verification key.
    threads : int
        Threads of the worker's BN254 curve: 1 (the default) for one worker
        per core, as the batch prover runs them; 0 lets snarkjs use every core.

    Notes
    -----
    The worker compiles the witness calculator, reads the proving key and
    builds the curve once, then proves witness after witness
    (``js/prove_worker.js``); :attr:`last_ms` is the last proof's time inside node.
    """

    def __init__(self, wasm: Path, zkey: Path, vkey: Path, threads: int = 1) -> None:
        for path in (wasm, zkey, vkey):
            if not path.is_file():
                raise ZkError(f"circuit artifact {path}: missing (run src/trancheflow/zk/setup.sh)")
        env = {**os.environ, "NODE_PATH": str(find_node_modules())}
        self._proc = subprocess.Popen(
            ["node", str(_WORKER), str(wasm), str(zkey), str(vkey), str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        #: Milliseconds the last proof took inside the worker (witness + Groth16).
        self.last_ms = 0

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except (OSError, ValueError):  # broken pipe, or a closed file after an interrupt
            line = ""
        if not line:
            raise ZkError("snarkjs worker: exited unexpectedly")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise ZkError(f"snarkjs: {reply['error']}")
        return reply

    def prove(self, signals: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
        """Prove ``signals`` (see :func:`circuit_input`); returns (proof JSON, public inputs).

        Raises
        ------
        ZkError
            When the witness fails (the loan does not meet the criteria, or the
            path does not give the root).
        """
        reply = self._ask({"op": "prove", "input": signals})
        self.last_ms = int(reply.get("ms", 0))
        return reply["proof"], [int(x) for x in reply["publicSignals"]]

    def verify(self, proof: dict[str, Any], public: list[int]) -> bool:
        """snarkjs's own check of ``proof`` against ``public`` and the verification key."""
        reply = self._ask(
            {"op": "verify", "proof": proof, "publicSignals": [str(x) for x in public]}
        )
        return bool(reply["ok"])

    @property
    def alive(self) -> bool:
        """Whether the node process is still running."""
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the worker."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> SnarkjsWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

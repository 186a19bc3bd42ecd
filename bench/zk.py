"""ZK loan eligibility: proof time, verification gas, circuit size.

Proves ``--loans`` loans of a generated tape with the batch prover (snarkjs
workers, the committed development keys), then verifies one proof on chain
(titanoboa, the generated Vyper verifier behind the EligibilityRegistry).

    .venv/bin/python bench/zk.py --loans 8 --workers 2
    .venv/bin/python bench/zk.py --loans 2000        # the whole-tape batch; prints batch_2000_s

Last line: ``prove_s=<seconds per proof, wall / loans> verify_gas=<execution gas of
Groth16Verifier.verify, comparable with snarkjs's Solidity figure> constraints=<R1CS
constraints>``. The line before: ``prove_cpu_s=<CPU seconds of the node workers per
proof, start-up included> prove_node_s=<mean time of one proof inside a worker>
verify_tx_gas=<the same call as a whole transaction: + 21,000 base + calldata>
registry_prove_tx_gas=<EligibilityRegistry.prove as a transaction: verify + records, the
first proof> registry_prove_tx_gas_next=<mean of the next (up to 7) proofs>
tree_s=<Poseidon tree build> workers=<n> loans=<n> load=<1-minute load average at the
end>``; with ``--loans 2000`` or more, ``batch_<n>_s`` (the batch's wall clock) too.
The machine is shared: wall-clock figures depend on the load at the time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import boa

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.chain.gas import begin_transaction, tx_gas
from trancheflow.zk.artifacts import ARTIFACTS_DIR
from trancheflow.zk.batch import commit_tape, default_workers, prove_tape
from trancheflow.zk.leaf import STATES, Criteria

ROOT = Path(__file__).resolve().parents[1]


def tape(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "loan_id": f"B-{i:06d}",
            "current_balance": round(rng.uniform(50_000, 700_000), 2),
            "note_rate": round(rng.uniform(0.03, 0.08), 5),
            "fico": rng.randint(660, 820),
            "ltv": round(rng.uniform(0.5, 0.95), 4),
            "dti": round(rng.uniform(0.1, 0.45), 4),
            "state": rng.choice(STATES),
            "occupancy": rng.choice(["owner", "second_home", "investor"]),
        }
        for i in range(n)
    ]


def constraints() -> int:
    """R1CS constraints, as setup.sh recorded them in the artifacts manifest."""
    return int(json.loads((ARTIFACTS_DIR / "manifest.json").read_text())["constraints"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loans", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None, help="default: one per core")
    args = ap.parse_args()
    criteria = Criteria(620, 9700, 5000, 100_000_000, STATES)
    t0 = time.perf_counter()
    commitment = commit_tape(tape(args.loans), secret=42)
    tree_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        from rich.progress import Progress

        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with Progress(transient=True) as bar:
            task = bar.add_task("proving", total=args.loans)
            result = prove_tape(
                commitment,
                criteria,
                Path(tmp),
                workers=args.workers,
                on_done=lambda _p, _o: bar.advance(task),
            )
        prove_wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers have exited
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        assert not result.failed, result.failed
        bodies = [
            json.loads((Path(tmp) / "proofs" / f"{p}.json").read_text())
            for p in sorted(result.proven)[:8]
        ]
    body = bodies[0]
    words = [int(w) for w in body["words"]]
    public = [int(x) for x in body["public"]]

    zk = CONTRACTS_DIR / "zk"
    verifier = boa.load(str(zk / "Groth16Verifier.vy"))
    deal = boa.load(str(zk / "mocks" / "MockDealOwner.vy"))
    registry = boa.load(
        str(zk / "EligibilityRegistry.vy"), deal.address, verifier.address, 59, 86400
    )
    deal.set_closed(True)
    registry.commit(
        commitment.root,
        deal.TAPE_ROOT(),
        args.loans,
        criteria.min_fico,
        criteria.max_ltv_bps,
        criteria.max_dti_bps,
        criteria.max_balance_cents,
        criteria.state_mask,
    )
    begin_transaction()
    assert verifier.verify(words, public)
    verify_gas = verifier._computation.get_gas_used()  # execution, as snarkjs's figure
    verify_tx_gas = tx_gas(verifier)  # + 21,000 base + calldata
    begin_transaction()
    registry.prove(public[2], int(public[3]), words)
    prove_gas = tx_gas(registry)
    gases = [prove_gas]
    for b in bodies[1:]:  # later proofs find the counter and the bitmap word non-zero
        begin_transaction()
        registry.prove(int(b["public"][2]), int(b["public"][3]), [int(w) for w in b["words"]])
        gases.append(tx_gas(registry))
    n = max(len(result.proven), 1)
    next_gas = round(sum(gases[1:]) / max(len(gases) - 1, 1))
    node_s = sum(result.prove_ms) / 1000 / n
    batch = f"batch_{args.loans}_s={prove_wall:.1f} " if args.loans >= 2000 else ""
    workers = args.workers or default_workers()
    print(
        f"{batch}prove_cpu_s={cpu / n:.2f} prove_node_s={node_s:.2f} "
        f"verify_tx_gas={verify_tx_gas} registry_prove_tx_gas={prove_gas} "
        f"registry_prove_tx_gas_next={next_gas} tree_s={tree_s:.2f} "
        f"workers={workers} loans={args.loans} load={os.getloadavg()[0]:.2f}"
    )
    print(f"prove_s={prove_wall / n:.2f} verify_gas={verify_gas} constraints={constraints()}")


if __name__ == "__main__":
    main()

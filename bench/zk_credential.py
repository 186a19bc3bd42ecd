"""ZK investor credentials: proof time, verification gas, circuit size.

Usage::

    .venv/bin/python bench/zk_credential.py            # 3 proofs by one snarkjs worker

Prints, then on the LAST line ``credential_prove_s=<wall seconds per proof, one warm
snarkjs worker> credential_verify_gas=<execution gas of CredentialVerifier.verify>
credential_constraints=<R1CS constraints>``; the line before adds the first proof's time
(worker start, witness calculator compiled), the node worker's CPU seconds per proof
(start-up included), EdDSA signing time in Python, the verifier as a
whole transaction (+ 21,000 base + calldata) and ``CredentialRegistry.prove_eligibility`` as a
transaction. The machine is shared: wall-clock figures depend on the load at the time.
The keys come from a DEVELOPMENT setup (src/trancheflow/zk/setup_credential.sh).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import boa

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.chain.gas import begin_transaction, tx_gas
from trancheflow.zk.credential import TrancheRule, credential_worker, issue_credential
from trancheflow.zk.credential import prove_credential as prove
from trancheflow.zk.credential_artifacts import constraints
from trancheflow.zk.eddsa import public_key

KYC_KEY = bytes.fromhex("62656e6368" * 6 + "0102")  # development key, benchmark only
EU = (40, 56, 100, 191, 196, 203, 208, 233, 246, 250, 276, 300, 348, 372, 380, 428, 440, 442)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proofs", type=int, default=3)
    args = ap.parse_args()
    owner = str(boa.env.generate_address("owner"))
    with boa.env.prank(owner):
        comp = boa.load(str(CONTRACTS_DIR / "compliance" / "Compliance.vy"), owner, owner)
    verifier = boa.load(str(CONTRACTS_DIR / "zk" / "CredentialVerifier.vy"))
    registry = boa.load(
        str(CONTRACTS_DIR / "zk" / "CredentialRegistry.vy"), comp.address, verifier.address, 0
    )
    token = str(boa.env.generate_address("token"))
    rule = TrancheRule((840, 826, *EU), 0b11)
    ax, ay = public_key(KYC_KEY)
    with boa.env.prank(owner):
        registry.set_kyc_key(1, ax, ay)
        registry.set_rule(token, list(rule.jurisdictions), rule.classes_mask)
    now = boa.env.evm.patch.timestamp
    holders = [str(boa.env.generate_address(f"holder-{i}")) for i in range(args.proofs)]
    t0 = time.perf_counter()
    creds = [issue_credential(KYC_KEY, h, 276, 2, now + 365 * 86_400) for h in holders]
    sign_s = (time.perf_counter() - t0) / len(creds)
    times = []
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with credential_worker() as worker:
        proofs = []
        for cred in creds:
            t0 = time.perf_counter()
            proofs.append(prove(cred, rule, now + 90 * 86_400, worker))
            times.append(time.perf_counter() - t0)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the node worker has exited
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    warm = times[1:] or times
    p = proofs[0]
    begin_transaction()
    assert verifier.verify(p.words, p.public)
    verify_gas = verifier._computation.get_gas_used()
    verify_tx_gas = tx_gas(verifier)
    begin_transaction()
    registry.prove_eligibility(p.holder, token, 1, p.valid_until, p.words)
    register_tx_gas = tx_gas(registry)
    print(
        f"first_prove_s={times[0]:.2f} node_cpu_per_proof_s={cpu / len(times):.2f} "
        f"sign_py_s={sign_s:.2f} verify_tx_gas={verify_tx_gas} "
        f"prove_eligibility_tx_gas={register_tx_gas} proofs={len(times)} "
        f"load={os.getloadavg()[0]:.2f}"
    )
    print(
        f"credential_prove_s={sum(warm) / len(warm):.2f} credential_verify_gas={verify_gas} "
        f"credential_constraints={constraints()}"
    )


if __name__ == "__main__":
    main()

"""Zero-knowledge loan eligibility: Poseidon commitments, circuit artifacts, proofs.

Modules: :mod:`~trancheflow.zk.poseidon` (circomlib's Poseidon in Python),
:mod:`~trancheflow.zk.leaf` (field encoding of a loan), :mod:`~trancheflow.zk.tree`
(sparse Poseidon Merkle tree), :mod:`~trancheflow.zk.audit` (random audit sizing),
:mod:`~trancheflow.zk.prover` (snarkjs Groth16 proofs), :mod:`~trancheflow.zk.verifier_gen`
(Vyper verifier from a verification key).
"""

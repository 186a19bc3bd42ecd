"""Sorted-pair keccak Merkle trees, as snekmate's ``merkle_proof_verification``.

Internal nodes hash the two children in ascending order
(``keccak(min || max)``), so a proof is a plain list of siblings. An odd
node at the end of a level is carried up unchanged.

A deal's loan-level roots (the closing ``TAPE_ROOT`` and every period's
``loans_root``) have ONE leaf format, :func:`loan_leaf`: the loan-status
leaf ``keccak(keccak(abi.encode(bytes32 keccak(loan_id), uint256 balance,
uint256 days_delinquent)))`` that ``Liquidation.mark`` proves
(:func:`trancheflow.chain.liquidation.loan_status_leaf`, where the
contract's encoding is mirrored). Double hashing keeps a leaf from passing
for a 64-byte internal node.

Examples
--------
>>> leaves = [loan_leaf(f"L{i}", 1000 * i) for i in range(5)]
>>> root = merkle_root(leaves)
>>> all(verify(leaves[i], merkle_proof(leaves, i), root) for i in range(5))
True
>>> verify(loan_leaf("L9", 1), merkle_proof(leaves, 0), root)
False
>>> loan_leaf("L1", 1000, 90) != loan_leaf("L1", 1000)  # days are committed
True
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_hash.auto import keccak

from trancheflow.chain.liquidation import loan_status_leaf
from trancheflow.errors import ChainError

__all__ = ["hash_pair", "loan_leaf", "merkle_proof", "merkle_root", "verify"]


def hash_pair(a: bytes, b: bytes) -> bytes:
    """``keccak(min(a, b) || max(a, b))``."""
    return bytes(keccak(a + b if a < b else b + a))


def loan_leaf(loan_id: str, balance_units: int, days_delinquent: int = 0) -> bytes:
    """Leaf of one loan: the status leaf of (``loan_id``, balance units, days delinquent).

    The one leaf of every loan-level root (module docstring); ``days_delinquent``
    is 0 for the closing tape and for the model feed's expected balances.
    """
    return loan_status_leaf(loan_id, balance_units, days_delinquent)


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise ChainError("a Merkle tree needs at least one leaf")
    for i, leaf in enumerate(leaves):
        if len(leaf) != 32:
            raise ChainError(f"leaf {i} is {len(leaf)} bytes; leaves must be 32-byte hashes")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        nxt = [hash_pair(cur[i], cur[i + 1]) for i in range(0, len(cur) - 1, 2)]
        if len(cur) % 2:
            nxt.append(cur[-1])
        levels.append(nxt)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the tree over ``leaves`` (in the given order)."""
    return _levels(leaves)[-1][0]


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Siblings from leaf ``index`` up to the root."""
    if not 0 <= index < len(leaves):
        raise ChainError(f"leaf index {index} outside 0..{len(leaves) - 1}")
    proof = []
    for level in _levels(leaves)[:-1]:
        sib = index ^ 1
        if sib < len(level):
            proof.append(level[sib])
        index //= 2
    return proof


def verify(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` takes ``leaf`` to ``root``."""
    h = leaf
    for p in proof:
        h = hash_pair(h, p)
    return h == root

"""Sorted-pair keccak Merkle trees, as snekmate's ``merkle_proof_verification``.

Internal nodes hash the two children in ascending order
(``keccak(min || max)``), so a proof is a plain list of siblings. Leaves of
the loan tape are double-hashed (``keccak(keccak(abi.encode(loan_id,
balance)))``) so no leaf can be confused with a 64-byte internal node. An odd
node at the end of a level is carried up unchanged.

Examples
--------
>>> leaves = [loan_leaf(f"L{i}", 1000 * i) for i in range(5)]
>>> root = merkle_root(leaves)
>>> all(verify(leaves[i], merkle_proof(leaves, i), root) for i in range(5))
True
>>> verify(loan_leaf("L9", 1), merkle_proof(leaves, 0), root)
False
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_hash.auto import keccak

from trancheflow.errors import ChainError

__all__ = ["hash_pair", "loan_leaf", "merkle_proof", "merkle_root", "verify"]


def hash_pair(a: bytes, b: bytes) -> bytes:
    """``keccak(min(a, b) || max(a, b))``."""
    return bytes(keccak(a + b if a < b else b + a))


def loan_leaf(loan_id: str, balance_units: int) -> bytes:
    """Leaf of one loan: ``keccak(keccak(abi.encode(string loan_id, uint256 balance)))``."""
    return bytes(keccak(keccak(encode(["string", "uint256"], [loan_id, balance_units]))))


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

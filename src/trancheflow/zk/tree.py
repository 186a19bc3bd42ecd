"""A sparse Poseidon Merkle tree of fixed depth over loan leaves.

Leaves sit at positions ``0 .. n-1`` (tape order); every other position holds
the zero leaf ``0``. A node is ``Poseidon(left, right)`` (circomlib's
``Poseidon(2)``), so the circuit recomputes the root from a leaf, its position
bits (bit ``i`` set: the node is the right child at level ``i``) and its
siblings. Empty subtrees use precomputed zero hashes, so building costs
``n + n/2 + ...`` hashes per level touched, not ``2^depth``.

Examples
--------
>>> tree = PoseidonTree([1, 2, 3], depth=4)
>>> tree.verify(2, 3, tree.proof(2))
True
>>> tree.verify(2, 4, tree.proof(2))
False
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from trancheflow.errors import ZkError
from trancheflow.zk.poseidon import FIELD_MODULUS, poseidon

__all__ = ["DEPTH", "PoseidonTree", "zero_hashes"]

#: The tree depth the circuit is compiled for (2^20 positions).
DEPTH = 20


@cache
def zero_hashes(depth: int) -> tuple[int, ...]:
    """``z[0] = 0`` and ``z[i+1] = Poseidon(z[i], z[i])``: the root of an empty subtree
    of height ``i``, for ``i = 0 .. depth``."""
    zs = [0]
    for _ in range(depth):
        zs.append(poseidon([zs[-1], zs[-1]]))
    return tuple(zs)


class PoseidonTree:
    """The tree of ``leaves`` (field elements) at positions ``0 .. len(leaves)-1``.

    Parameters
    ----------
    leaves : sequence of int
        Leaf hashes, in position order.
    depth : int
        Tree depth (default :data:`DEPTH`, what the circuit verifies).

    Raises
    ------
    ZkError
        When there are more leaves than positions or a leaf is not a field element.
    """

    def __init__(self, leaves: Sequence[int], depth: int = DEPTH) -> None:
        if not 1 <= depth <= 32:
            raise ZkError(f"tree depth {depth}: must be between 1 and 32")
        if len(leaves) > 1 << depth:
            raise ZkError(f"{len(leaves)} leaves: a depth-{depth} tree holds at most {1 << depth}")
        for i, leaf in enumerate(leaves):
            if not 0 <= leaf < FIELD_MODULUS:
                raise ZkError(f"leaf {i}: must be a field element")
        self.depth = depth
        zeros = zero_hashes(depth)
        level = list(leaves)
        self._levels: list[list[int]] = [level]
        for height in range(depth):
            if len(level) % 2:
                level = [*level, zeros[height]]
            level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
            self._levels.append(level)
        self.root = level[0] if level else zeros[depth]

    def __len__(self) -> int:
        return len(self._levels[0])

    def leaf(self, position: int) -> int:
        """The leaf at ``position`` (the zero leaf past the end)."""
        self._check(position)
        return self._node(0, position)

    def _check(self, position: int) -> None:
        if not 0 <= position < 1 << self.depth:
            raise ZkError(f"position {position}: must be between 0 and {(1 << self.depth) - 1}")

    def _node(self, height: int, index: int) -> int:
        level = self._levels[height]
        return level[index] if index < len(level) else zero_hashes(self.depth)[height]

    def proof(self, position: int) -> list[int]:
        """The ``depth`` siblings of ``position``, leaf level first."""
        self._check(position)
        return [self._node(h, (position >> h) ^ 1) for h in range(self.depth)]

    def verify(self, position: int, leaf: int, siblings: Sequence[int]) -> bool:
        """Whether ``leaf`` at ``position`` with ``siblings`` gives :attr:`root`."""
        self._check(position)
        if len(siblings) != self.depth:
            return False
        node = leaf
        for h, sibling in enumerate(siblings):
            pair = [sibling, node] if (position >> h) & 1 else [node, sibling]
            node = poseidon(pair)
        return node == self.root

"""Sparse Poseidon tree: proofs, zero subtrees, tamper detection, leaf encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.errors import ZkError
from trancheflow.zk.leaf import Criteria, encode_loan_id, leaf_from_record, pack_criteria
from trancheflow.zk.poseidon import poseidon
from trancheflow.zk.tree import PoseidonTree, zero_hashes


def dense_root(leaves: list[int], depth: int) -> int:
    """The root by hashing every one of the 2^depth positions (independent of the sparse build)."""
    level = leaves + [0] * ((1 << depth) - len(leaves))
    while len(level) > 1:
        level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
    return level[0]


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(0, 2**64), min_size=0, max_size=5))
def test_sparse_root_equals_dense_root(leaves: list[int]) -> None:
    tree = PoseidonTree(leaves, depth=3)
    assert tree.root == dense_root(leaves, 3)
    for position in range(8):
        assert tree.verify(position, tree.leaf(position), tree.proof(position))


def test_tampered_proof_and_wrong_position_fail() -> None:
    tree = PoseidonTree([11, 22, 33, 44, 55], depth=5)
    proof = tree.proof(3)
    assert tree.verify(3, 44, proof)
    assert not tree.verify(2, 44, proof)
    assert not tree.verify(3, 44, [proof[0] + 1, *proof[1:]])
    assert not tree.verify(3, 44, proof[:-1])


def test_empty_tree_root_is_the_zero_hash() -> None:
    assert PoseidonTree([], depth=6).root == zero_hashes(6)[6]


def test_bounds_are_refused() -> None:
    with pytest.raises(ZkError, match="holds at most 4"):
        PoseidonTree([1] * 5, depth=2)
    with pytest.raises(ZkError, match="position 4"):
        PoseidonTree([1], depth=2).proof(4)


US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ"
    " NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU"
)

RECORD = {
    "loan_id": "L-0001",
    "current_balance": 312_450.25,
    "note_rate": 0.06125,
    "fico": 742,
    "ltv": 0.8,
    "dti": 0.365,
    "state": "TX",
    "occupancy": "owner",
}


def test_leaf_encoding_is_documented_units() -> None:
    leaf = leaf_from_record(RECORD, salt=5)
    assert leaf.fields() == [
        int.from_bytes(b"L-0001", "big"),
        31_245_025,
        61_250,
        742,
        8000,
        3650,
        sorted(US_STATE_CODES.split()).index("TX"),
        1,
        5,
    ]
    assert leaf.hash() != leaf_from_record(RECORD, salt=6).hash()


def test_missing_attributes_fail_every_criterion() -> None:
    leaf = leaf_from_record({**RECORD, "fico": None, "ltv": None, "dti": None, "state": None})
    lax = Criteria(0, 65535, 65535, 2**64 - 1, ("TX",))
    assert not lax.admits(leaf)
    strict_but_fine = Criteria(700, 9000, 4000, 50_000_000, ("TX", "CA"))
    assert strict_but_fine.admits(leaf_from_record(RECORD))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"loan_id": "x" * 32}, "31 UTF-8 bytes"),
        ({"state": "ZZ"}, "not a US state"),
        ({"occupancy": "boat"}, "must be one of"),
        ({"current_balance": None}, "required"),
        ({"fico": "abc"}, "must be a number"),
        ({"ltv": 7.0}, "16 bits"),
    ],
)
def test_bad_records_name_the_loan_and_field(change: dict[str, object], match: str) -> None:
    with pytest.raises(ZkError, match=match):
        leaf_from_record({**RECORD, **change})


def test_criteria_packing_and_bounds() -> None:
    c = Criteria(660, 9500, 4500, 10**8, ("CA",))
    packed = pack_criteria(c)
    assert packed & 0xFFFF == 660
    assert (packed >> 112) == c.state_mask
    assert packed < 2**176
    with pytest.raises(ZkError, match="min_fico"):
        Criteria(70000, 0, 0, 0, ())
    assert encode_loan_id("A") == 65

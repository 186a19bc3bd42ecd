"""verify_loan: the tape root and finalized period roots, never a pending or vetoed one;
latest_loan_root; a discarded report reusing an earlier root never erases it (audit
finding 5)."""

from __future__ import annotations

import boa

from trancheflow.chain.merkle import loan_leaf, merkle_proof, merkle_root

from .conftest import World, make_world

LEAVES = [loan_leaf(f"LN{i:05d}", 100_000 * (i + 1)) for i in range(7)]
ROOT = merkle_root(LEAVES)


def test_tape_root_proofs() -> None:
    w = make_world(tape_root=ROOT)
    for i in range(len(LEAVES)):
        assert w.deal.verify_loan(LEAVES[i], merkle_proof(LEAVES, i), ROOT)
    assert not w.deal.verify_loan(loan_leaf("LN99999", 1), merkle_proof(LEAVES, 0), ROOT)
    assert not w.deal.verify_loan(LEAVES[1], merkle_proof(LEAVES, 0), ROOT)


def test_period_root_valid_only_after_finalize(world: World) -> None:
    period_leaves = [loan_leaf(f"P1-{i}", i) for i in range(5)]
    root = merkle_root(period_leaves)
    proof = merkle_proof(period_leaves, 3)
    r = world.report(loans_root=root)
    world.submit(r)
    assert not world.deal.verify_loan(period_leaves[3], proof, root)  # pending
    world.finalize(r)
    assert world.deal.verify_loan(period_leaves[3], proof, root)
    assert world.deal.root_period(root) == 1


def test_vetoed_root_never_becomes_valid(world: World) -> None:
    bad = merkle_root([loan_leaf("X", 1), loan_leaf("Y", 2)])
    r = world.report(loans_root=bad)
    world.submit(r)
    with boa.env.prank(world.guardian):
        world.deal.veto()
    with boa.env.prank(world.owner):
        world.deal.discard_report()
    world.run(loans_root=b"\x07" * 32)
    world.run(loans_root=b"\x08" * 32)
    assert not world.deal.verify_loan(loan_leaf("X", 1), [loan_leaf("Y", 2)], bad)


def test_unknown_root_is_refused(world: World) -> None:
    leaves = [loan_leaf("A", 1), loan_leaf("B", 2)]
    assert not world.deal.verify_loan(leaves[0], merkle_proof(leaves, 0), merkle_root(leaves))


def test_discarded_report_reusing_a_root_keeps_it_provable(world: World) -> None:
    leaves = [loan_leaf(f"P1-{i}", i) for i in range(4)]
    root = merkle_root(leaves)
    proof = merkle_proof(leaves, 2)
    world.run(loans_root=root)
    assert world.deal.latest_loan_root() == root
    r = world.report(loans_root=root)  # period 2 reuses period 1's root ...
    world.submit(r)
    with boa.env.prank(world.guardian):
        world.deal.veto()
    with boa.env.prank(world.owner):
        world.deal.discard_report()  # ... and is discarded
    assert world.deal.verify_loan(leaves[2], proof, root)
    assert world.deal.root_period(root) == 1
    world.run(loans_root=b"\x09" * 32)
    assert world.deal.verify_loan(leaves[2], proof, root)
    assert world.deal.latest_loan_root() == b"\x09" * 32


def test_latest_loan_root_is_the_tape_root_before_the_first_period() -> None:
    w = make_world(tape_root=ROOT)
    assert w.deal.latest_loan_root() == ROOT

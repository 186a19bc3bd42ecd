"""The registry bound to the project's real Deal contract (owner, closing)."""

from __future__ import annotations

from typing import Any

import boa

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.zk.batch import TapeCommitment

from ..chain.conftest import make_world
from .conftest import CRITERIA


def test_deal_owner_commits_and_a_loan_is_proven_on_a_real_deal(
    commitment: TapeCommitment, proofs: dict[int, list[int]]
) -> None:
    with boa.env.anchor():
        w = make_world()
        verifier = boa.load(str(CONTRACTS_DIR / "zk" / "Groth16Verifier.vy"))
        registry = boa.load(
            str(CONTRACTS_DIR / "zk" / "EligibilityRegistry.vy"),
            w.deal.address,
            verifier.address,
            59,
            86_400,
        )
        args: tuple[Any, ...] = (
            commitment.root, w.deal.TAPE_ROOT(), 3, CRITERIA.min_fico, CRITERIA.max_ltv_bps,
            CRITERIA.max_dti_bps, CRITERIA.max_balance_cents, CRITERIA.state_mask,
        )  # fmt: skip
        with boa.env.prank(w.roles["issuer"]), boa.reverts("zk: caller is not the deal owner"):
            registry.commit(*args)
        with boa.env.prank(w.deal.owner()):
            registry.commit(*args)
        assert registry.root() == commitment.root
        registry.prove(commitment.leaves[1].loan_id, 1, proofs[1])
        assert registry.proven_count() == 1 and registry.position_proven(1)

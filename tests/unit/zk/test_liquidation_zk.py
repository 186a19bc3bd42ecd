"""Liquidation marks only loans proven in the committed Poseidon pool (when required).

The registry holds a real snarkjs proof for loan ``L1`` of a three-loan tape
whose ids are the liquidation fixtures' loans; ``Liquidation.mark`` asks the
registry for ``proven_key(keccak(loan id))``, the id it already uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR
from trancheflow.zk.batch import commit_tape, prove_tape
from trancheflow.zk.onchain import deploy_registry

from ..chain.liquidation.conftest import LiqEnv
from .conftest import CRITERIA

TAPE = [
    {"loan_id": name, "current_balance": bal, "note_rate": 0.065, "fico": 720, "ltv": 0.8,
     "dti": 0.35, "state": "CA", "occupancy": "owner"}
    for name, bal in (("L1", 200_000.0), ("L2", 300_000.0), ("L3", 100_000.0))
]  # fmt: skip


@pytest.fixture(scope="module")
def registry(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    commitment = commit_tape(TAPE, secret=99)
    out = tmp_path_factory.mktemp("liqzk")
    result = prove_tape(commitment, CRITERIA, out, workers=1, positions=[0])
    assert result.proven == [0], result
    words = [int(w) for w in json.loads((out / "proofs" / "0.json").read_text())["words"]]
    deal = boa.load(str(CONTRACTS_DIR / "zk" / "mocks" / "MockDealOwner.vy"))
    deal.set_closed(True)
    _, reg = deploy_registry(deal.address, k=3, window=600)
    reg.commit(
        commitment.root, deal.TAPE_ROOT(), 3, CRITERIA.min_fico, CRITERIA.max_ltv_bps,
        CRITERIA.max_dti_bps, CRITERIA.max_balance_cents, CRITERIA.state_mask,
    )  # fmt: skip
    reg.prove(commitment.leaves[0].loan_id, 0, words)
    return reg


def test_mark_requires_the_loan_proven_in_the_committed_pool(registry: Any) -> None:
    env = LiqEnv(mock=True)
    with boa.env.prank(env.keeper), boa.reverts("ownable: caller is not the owner"):
        env.liq.set_eligibility(registry.address)
    with boa.env.prank(env.owner):
        env.liq.set_eligibility(registry.address)
    assert env.liq.eligibility() == registry.address
    env.value("L1")
    env.value("L2")
    env.mark("L1")  # proven in the registry: marked
    assert env.liq.auctions(env.ids["L1"])[0] == env.liq.STATUS_AUCTION()
    with boa.reverts("liquidation: loan not proven in the committed pool"):
        env.mark("L2")  # liquidatable (LTV 107%) but not proven
    assert env.liq.auctions(env.ids["L2"])[0] == env.liq.STATUS_NONE()
    with boa.env.prank(env.owner):
        env.liq.set_eligibility("0x" + "00" * 20)  # requirement off: marks as before
    env.mark("L2")
    assert env.liq.auctions(env.ids["L2"])[0] == env.liq.STATUS_AUCTION()

"""``deploy_liquidation`` drives the real contract: value, mark under the deal's latest
root, sell to an admitted buyer, and the deal takes at most the note balance."""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.compile import load_partial
from trancheflow.chain.liquidation import deploy_liquidation, loan_id, status_leaf
from trancheflow.chain.merkle import merkle_proof, merkle_root
from trancheflow.errors import ChainError

from ..conftest import UNIT
from .conftest import MOCK_DEAL, VALUER_KEYS


def test_deploy_value_mark_sell() -> None:
    usdc = load_partial("MockUSDC").deploy()
    deal = boa.load_partial(MOCK_DEAL).deploy()
    remit = boa.env.generate_address("remit")
    setup = deploy_liquidation(deal, usdc, valuer_keys=VALUER_KEYS, surplus_recipient=remit)
    assert setup.quorum == 2 and setup.liquidation.surplus_recipient() == remit
    lid = loan_id("X-1")
    leaves = [status_leaf(lid, 100 * UNIT, 120), status_leaf(loan_id("X-2"), 5 * UNIT, 0)]
    deal.finalize_root(merkle_root(leaves))
    setup.value(lid, 130 * UNIT)
    setup.mark(lid, 100 * UNIT, 120, merkle_proof(leaves, 0), merkle_root(leaves))
    buyer = boa.env.generate_address("buyer")
    setup.admit(buyer)
    usdc.mint(buyer, 10**9 * UNIT)
    with boa.env.prank(buyer):
        usdc.approve(setup.liquidation.address, 2**256 - 1)
    assert setup.sell(lid, buyer) == 130 * UNIT
    assert deal.take(setup.liquidation.address) == 100 * UNIT
    assert setup.liquidation.surplus_held() == 30 * UNIT


def test_bad_quorum() -> None:
    with pytest.raises(ChainError, match="quorum 4"):
        deploy_liquidation("0x" + "11" * 20, "0x" + "22" * 20, valuer_keys=[1, 2, 3], quorum=4)

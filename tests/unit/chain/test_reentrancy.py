"""A settlement token that re-enters on transfer cannot re-enter the deal or a token."""

from __future__ import annotations

import boa
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector

from trancheflow.chain.compile import load_partial
from trancheflow.chain.deploy import deploy_deal

from .conftest import UNIT, World, make_roles, standard_config


def _evil_world() -> World:
    evil = load_partial("ReentrantToken").deploy()
    roles = make_roles()
    cfg = standard_config(roles, reserve_target=0)  # excess spread to the residual
    d = deploy_deal(cfg, settlement=evil, issuer=roles["issuer"], owner=roles["owner"])
    return World(d, roles, cfg)


def test_reentry_into_claim_during_payout_fails() -> None:
    w = _evil_world()
    w.run()
    w.run()
    tok = w.tokens[0]
    owed = tok.claimable(w.issuer)
    w.usdc.arm(tok.address, selector("claim()"))
    paid = w.claim(tok, w.issuer)
    assert paid == owed
    assert w.usdc.attempts() == 1 and w.usdc.successes() == 0
    assert tok.claimable(w.issuer) == 0


def test_reentry_into_deal_during_fee_and_residual_claims_fails() -> None:
    w = _evil_world()
    w.run()
    w.run()
    owed = w.deal.fee_state(0)[2]
    w.usdc.arm(w.deal.address, selector("claim_fee(uint256)") + encode(["uint256"], [0]))
    assert w.deal.claim_fee(0) == owed
    assert w.usdc.successes() == 0 and w.usdc.attempts() == 1
    res = w.deal.residual_owed()
    w.usdc.arm(w.deal.address, selector("claim_residual()"))
    assert w.deal.claim_residual() == res
    assert w.usdc.successes() == 0 and w.usdc.attempts() == 2


def test_reentry_during_report_deposit_fails() -> None:
    w = _evil_world()
    w.run()
    assert w.deal.residual_owed() > 0
    w.usdc.arm(w.deal.address, selector("claim_residual()"))
    r = w.report()
    w.submit(r)  # transferFrom re-enters claim_residual: blocked by the lock
    assert w.usdc.attempts() == 1 and w.usdc.successes() == 0
    assert w.deal.residual_owed() > 0
    w.finalize(r)
    assert w.deal.period() == 2


def test_reentry_into_finalize_during_veto_refund_fails() -> None:
    w = _evil_world()
    r = w.report()
    w.submit(r)
    call = selector("finalize((uint256,uint256,uint256,uint256,uint256,uint256,uint256))")
    w.usdc.arm(
        w.deal.address,
        call
        + encode(["(uint256,uint256,uint256,uint256,uint256,uint256,uint256)"], [r.period_input()]),
    )
    with boa.env.prank(w.guardian):
        w.deal.veto()
    assert w.usdc.successes() == 0 and w.deal.period() == 0
    assert UNIT > 0

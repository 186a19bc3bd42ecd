"""Transfers settle both sides first; transferFrom; the compliance hook."""

from __future__ import annotations

import boa

from trancheflow.chain.deploy import deploy_deal

from .conftest import UNIT, World, make_roles, standard_config


def test_transfer_settles_both_sides(world: World) -> None:
    alice, bob = world.roles["alice"], world.roles["bob"]
    tok = world.tokens[0]
    world.transfer(tok, world.issuer, alice, 1_000 * UNIT)
    world.run()
    idx = tok.index()
    assert tok.account(alice)[0] == 0
    owed_before = tok.claimable(alice)
    world.transfer(tok, alice, bob, 400 * UNIT)
    assert tok.account(alice) == (idx, owed_before)
    assert tok.account(bob) == (idx, 0)
    assert tok.balanceOf(bob) == 400 * UNIT and tok.balanceOf(alice) == 600 * UNIT
    # supply is fixed
    assert tok.totalSupply() == world.config.tranches[0].original


def test_transfer_from_spends_allowance_and_settles(world: World) -> None:
    alice, bob = world.roles["alice"], world.roles["bob"]
    tok = world.tokens[1]
    world.run()
    with boa.env.prank(world.issuer):
        tok.approve(alice, 500 * UNIT)
    owed = tok.claimable(world.issuer)
    with boa.env.prank(alice):
        tok.transferFrom(world.issuer, bob, 500 * UNIT)
    assert tok.allowance(world.issuer, alice) == 0
    assert tok.account(world.issuer)[1] == owed
    with boa.env.prank(alice), boa.reverts("erc20: insufficient allowance"):
        tok.transferFrom(world.issuer, bob, 1)


def test_transfer_more_than_balance_reverts(world: World) -> None:
    tok = world.tokens[0]
    with boa.env.prank(world.roles["alice"]), boa.reverts("erc20: transfer amount exceeds balance"):
        tok.transfer(world.roles["bob"], 1)


COMPLIANCE_SRC = """
# pragma version ==0.4.3
blocked: public(HashMap[address, bool])
@external
def block(who: address):
    self.blocked[who] = True
@external
def on_transfer(sender: address, receiver: address, amount: uint256):
    assert not self.blocked[receiver], "mock: receiver blocked"
"""


def test_compliance_hook_can_restrict_transfers() -> None:
    # a fresh address: titanoboa decodes storage traces by address when it
    # builds a revert trace, and anchored tests reuse deployment addresses
    compliance = boa.loads(COMPLIANCE_SRC, override_address=boa.env.generate_address())
    roles = make_roles()
    cfg = standard_config(roles, compliance=str(compliance.address))
    d = deploy_deal(cfg, issuer=roles["issuer"], owner=roles["owner"])
    tok = d.tokens[0]
    with boa.env.prank(roles["issuer"]):
        tok.transfer(roles["alice"], UNIT)
    compliance.block(roles["bob"])
    with boa.env.prank(roles["issuer"]), boa.reverts("mock: receiver blocked"):
        tok.transfer(roles["bob"], UNIT)
    assert tok.COMPLIANCE() == compliance.address

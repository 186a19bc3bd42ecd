"""Every privileged function refuses an unauthorised caller, with its reason."""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.reports import signer_addresses

from .conftest import OUTSIDER_KEY, World


def test_owner_only_functions_refuse_others(world: World) -> None:
    stranger = boa.env.generate_address()
    deal = world.deal
    calls = [
        lambda: deal.close(stranger),
        lambda: deal.set_signer(stranger, True),
        lambda: deal.set_quorum(1),
        lambda: deal.set_servicer(stranger),
        lambda: deal.set_guardian(stranger),
        lambda: deal.transfer_ownership(stranger),
    ]
    for call in calls:
        with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
            call()


def test_close_only_once(world: World) -> None:
    with boa.env.prank(world.owner), boa.reverts("deal: already closed"):
        world.deal.close(world.issuer)


def test_submit_report_servicer_only(world: World) -> None:
    r = world.report()
    with boa.reverts("deal: caller is not the servicer"):
        world.submit(r, sender=world.issuer)


def test_veto_signer_or_guardian_only(world: World) -> None:
    r = world.report()
    world.submit(r)
    outsider = signer_addresses([OUTSIDER_KEY])[0]
    for who in (outsider, world.servicer, world.issuer):
        with boa.env.prank(who), boa.reverts("deal: caller cannot veto"):
            world.deal.veto()


def test_pay_only_from_the_tranche_token(world: World) -> None:
    with boa.env.prank(world.issuer), boa.reverts("deal: caller is not the tranche token"):
        world.deal.pay(0, world.issuer, 1)
    # token 1 cannot pay on behalf of tranche 0
    with (
        boa.env.prank(world.tokens[1].address),
        boa.reverts("deal: caller is not the tranche token"),
    ):
        world.deal.pay(0, world.issuer, 1)
    with (
        boa.env.prank(world.tokens[0].address),
        boa.reverts("deal: caller is not the tranche token"),
    ):
        world.deal.pay(7, world.issuer, 1)


@pytest.mark.parametrize("fn", ["mint_face", "distribute"])
def test_token_deal_only_functions(world: World, fn: str) -> None:
    tok = world.tokens[0]
    with boa.env.prank(world.issuer), boa.reverts("tranche: caller is not the deal"):
        if fn == "mint_face":
            tok.mint_face(world.issuer)
        else:
            tok.distribute(10**6)


def test_token_cannot_be_minted_twice(world: World) -> None:
    with boa.env.prank(world.deal.address), boa.reverts("tranche: already minted"):
        world.tokens[0].mint_face(world.issuer)


def test_token_exposes_no_mint_or_burn(world: World) -> None:
    names = {e["name"] for e in world.tokens[0].abi if e.get("type") == "function"}
    assert {"transfer", "transferFrom", "permit", "claim"} <= names
    assert not names & {"mint", "burn", "burn_from", "set_minter", "transfer_ownership"}


def test_residual_holder_transfer_only_by_holder(world: World) -> None:
    with boa.env.prank(world.issuer), boa.reverts("deal: caller is not the residual holder"):
        world.deal.set_residual_holder(world.issuer)
    new = boa.env.generate_address()
    with boa.env.prank(world.roles["residual"]):
        world.deal.set_residual_holder(new)
    assert world.deal.residual_holder() == new


def test_owner_changes_take_effect(world: World) -> None:
    new_servicer = boa.env.generate_address()
    with boa.env.prank(world.owner):
        world.deal.set_servicer(new_servicer)
        world.deal.set_quorum(3)
    assert world.deal.servicer() == new_servicer
    assert world.deal.quorum() == 3
    with boa.env.prank(world.owner), boa.reverts("deal: quorum out of range"):
        world.deal.set_quorum(4)
    with boa.env.prank(world.owner), boa.reverts("deal: quorum would exceed signers"):
        world.deal.set_signer(signer_addresses([0x5EED0001])[0], False)


def test_servicer_cannot_change_while_report_pending(world: World) -> None:
    world.submit(world.report())
    with boa.env.prank(world.owner), boa.reverts("deal: report pending"):
        world.deal.set_servicer(boa.env.generate_address())

"""Guardian pause: issuance, transfers and new reports; never claims, payouts or finalize.

PAUSE_ISSUANCE (1) stops closing and subscription sales, PAUSE_TRANSFERS (2)
tranche-token transfers, PAUSE_REPORTS (4) new servicer reports. Each
paused action reverts with its reason; claims, fee and residual payouts and
finalizing an already-submitted report still work; only the owner
unpauses; the guardian moves no funds.
"""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR

from .conftest import UNIT, WINDOW, World, make_roles, make_world, standard_config

ISSUANCE, TRANSFERS, REPORTS = 1, 2, 4


def _pause(w: World, what: int) -> None:
    with boa.env.prank(w.guardian):
        w.deal.pause(what)


def test_constants(world: World) -> None:
    d = world.deal
    assert (d.PAUSE_ISSUANCE(), d.PAUSE_TRANSFERS(), d.PAUSE_REPORTS()) == (1, 2, 4)


def test_paused_reports_revert(world: World) -> None:
    _pause(world, REPORTS)
    with boa.reverts("deal: reports paused"):
        world.submit(world.report())


def test_paused_transfers_revert_both_forms(world: World) -> None:
    tok, alice = world.tokens[0], world.roles["alice"]
    _pause(world, TRANSFERS)
    assert tok.paused() == TRANSFERS
    with boa.env.prank(world.issuer), boa.reverts("tranche: transfers paused"):
        tok.transfer(alice, UNIT)
    with boa.env.prank(world.issuer):
        tok.approve(alice, UNIT)
    with boa.env.prank(alice), boa.reverts("tranche: transfers paused"):
        tok.transferFrom(world.issuer, alice, UNIT)


def test_paused_issuance_blocks_closing() -> None:
    from trancheflow.chain.deploy import deploy_deal

    roles = make_roles()
    d = deploy_deal(standard_config(roles), owner=roles["owner"])
    with boa.env.prank(roles["guardian"]):
        d.deal.pause(ISSUANCE)
    with boa.env.prank(roles["owner"]), boa.reverts("deal: issuance paused"):
        d.deal.close(roles["issuer"])


def test_paused_issuance_blocks_subscription(world: World) -> None:
    tok, buyer = world.tokens[0], world.roles["alice"]
    now = boa.env.evm.patch.timestamp
    sub = boa.load_partial(str(CONTRACTS_DIR / "Subscription.vy")).deploy(
        tok.address, world.usdc.address, world.issuer, 10**18, now, now + 86_400
    )
    with boa.env.prank(world.issuer):
        tok.transfer(sub.address, 1_000 * UNIT)
    world.usdc.mint(buyer, 1_000 * UNIT)
    with boa.env.prank(buyer):
        world.usdc.approve(sub.address, 2**256 - 1)
    _pause(world, ISSUANCE)
    assert tok.issuance_paused()
    with boa.env.prank(buyer), boa.reverts("sub: issuance paused"):
        sub.buy(UNIT)
    with boa.env.prank(world.owner):
        world.deal.unpause(ISSUANCE)
    with boa.env.prank(buyer):
        sub.buy(UNIT)
    assert tok.balanceOf(buyer) == UNIT


def test_claims_payouts_and_finalize_work_while_everything_is_paused(world: World) -> None:
    w = world
    w.run()
    r = w.report()
    w.submit(r)
    _pause(w, ISSUANCE | TRANSFERS | REPORTS)
    assert w.deal.paused() == 7
    boa.env.time_travel(seconds=WINDOW)
    w.deal.finalize(r.period_input())  # a submitted report still finalizes
    assert w.deal.period() == 2
    before = w.usdc.balanceOf(w.issuer)
    got = w.claim(w.tokens[0], w.issuer)
    assert got > 0 and w.usdc.balanceOf(w.issuer) - before == got
    assert w.deal.claim_fee(0) > 0
    assert w.deal.claim_residual() >= 0


def test_guardian_cannot_unpause_or_move_funds(world: World) -> None:
    w = world
    w.run()
    _pause(w, TRANSFERS)
    g = w.guardian
    with boa.env.prank(g):
        with boa.reverts("ownable: caller is not the owner"):
            w.deal.unpause(TRANSFERS)
        with boa.reverts("deal: caller is not the tranche token"):
            w.deal.pay(0, g, 1)
        with boa.reverts("deal: caller is not the residual holder"):
            w.deal.set_residual_holder(g)
        assert w.tokens[0].claim() == 0  # holds nothing, gets nothing
    assert w.usdc.balanceOf(g) == 0
    with boa.env.prank(w.owner):
        w.deal.unpause(TRANSFERS)
    assert w.deal.paused() == 0 and w.tokens[0].paused() == 0
    w.transfer(w.tokens[0], w.issuer, w.roles["alice"], UNIT)


@pytest.mark.parametrize("who", ["servicer", "alice", "residual"])
def test_only_guardian_or_owner_pauses(world: World, who: str) -> None:
    with boa.env.prank(world.roles[who]), boa.reverts("deal: caller is not the guardian"):
        world.deal.pause(REPORTS)


def test_pause_bits_checked(world: World) -> None:
    with boa.env.prank(world.guardian):
        with boa.reverts("deal: unknown pause bits"):
            world.deal.pause(8)
        with boa.reverts("deal: nothing to pause"):
            world.deal.pause(0)
    with boa.env.prank(world.owner), boa.reverts("deal: unknown pause bits"):
        world.deal.unpause(16)


def test_pause_events(world: World) -> None:
    _pause(world, REPORTS)
    _pause(world, TRANSFERS)
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "Paused"][-1]
    assert (ev.by, ev.paused) == (world.guardian, REPORTS | TRANSFERS)


def test_unpaused_deal_unaffected() -> None:
    w = make_world()
    w.run()
    w.transfer(w.tokens[1], w.issuer, w.roles["bob"], 5 * UNIT)
    assert w.deal.paused() == 0

"""Claims: amounts match the mirror to the unit; twice; after a transfer; fees; residual."""

from __future__ import annotations

import boa

from trancheflow.chain.mirror import TrancheIndexMirror

from .conftest import UNIT, World


def _mirror(world: World, i: int) -> TrancheIndexMirror:
    m = TrancheIndexMirror(face=world.config.tranches[i].original)
    m.mint(world.issuer)
    return m


def test_claim_pays_the_tranche_cash(world: World) -> None:
    world.run()
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "PeriodFinalized"][-1]
    tok = world.tokens[0]
    cash = ev.interest_paid[0] + ev.principal_paid[0]
    m = _mirror(world, 0)
    m.distribute(cash)
    assert tok.claimable(world.issuer) == m.claimable(world.issuer)
    assert tok.carry() == m.carry and tok.index() == m.index
    before = world.usdc.balanceOf(world.issuer)
    paid = world.claim(tok, world.issuer)
    assert paid == m.claim(world.issuer)
    assert world.usdc.balanceOf(world.issuer) - before == paid
    assert paid <= cash <= paid + 1  # one holder: at most the carry is left


def test_claim_twice_pays_once(world: World) -> None:
    world.run()
    tok = world.tokens[1]
    first = world.claim(tok, world.issuer)
    assert first > 0
    before = world.usdc.balanceOf(world.issuer)
    assert world.claim(tok, world.issuer) == 0
    assert world.usdc.balanceOf(world.issuer) == before
    assert tok.claimable(world.issuer) == 0


def test_claim_after_transfer(world: World) -> None:
    alice, bob = world.roles["alice"], world.roles["bob"]
    tok = world.tokens[0]
    m = _mirror(world, 0)
    world.transfer(tok, world.issuer, alice, 100_000 * UNIT)
    m.transfer(world.issuer, alice, 100_000 * UNIT)
    world.run()
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "PeriodFinalized"][-1]
    m.distribute(ev.interest_paid[0] + ev.principal_paid[0])
    # alice sells everything to bob after the distribution: she keeps her accrual
    world.transfer(tok, alice, bob, 100_000 * UNIT)
    m.transfer(alice, bob, 100_000 * UNIT)
    assert tok.claimable(bob) == 0
    assert tok.claimable(alice) == m.claimable(alice) > 0
    assert world.claim(tok, alice) == m.claim(alice)
    world.run()
    ev = [e for e in world.deal.get_logs() if type(e).__name__ == "PeriodFinalized"][-1]
    m.distribute(ev.interest_paid[0] + ev.principal_paid[0])
    assert tok.claimable(alice) == 0
    for h in (bob, world.issuer):
        assert tok.claimable(h) == m.claimable(h)
        assert world.claim(tok, h) == m.claim(h)


def test_claimed_event(world: World) -> None:
    world.run()
    tok = world.tokens[0]
    paid = world.claim(tok, world.issuer)
    ev = [e for e in tok.get_logs() if type(e).__name__ == "Claimed"]
    assert ev[-1].holder == world.issuer and ev[-1].amount == paid


def test_fee_and_residual_claims(world: World) -> None:
    world.run()
    world.run()
    recipient, _rate, owed, shortfall = world.deal.fee_state(0)
    assert shortfall == 0 and owed > 0
    before = world.usdc.balanceOf(recipient)
    assert world.deal.claim_fee(0) == owed
    assert world.usdc.balanceOf(recipient) - before == owed
    assert world.deal.fee_state(0)[2] == 0
    assert world.deal.claim_fee(0) == 0
    res = world.deal.residual_owed()
    holder = world.deal.residual_holder()
    before = world.usdc.balanceOf(holder)
    assert world.deal.claim_residual() == res
    assert world.usdc.balanceOf(holder) - before == res
    assert world.deal.residual_owed() == 0
    with boa.reverts("deal: unknown fee"):
        world.deal.claim_fee(1)

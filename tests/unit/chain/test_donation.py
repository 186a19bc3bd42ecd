"""A donation of settlement tokens to the deal changes no payout (internal accounting)."""

from __future__ import annotations

import boa

from .conftest import UNIT, World


def _outcome(world: World) -> tuple[object, ...]:
    world.run()
    world.run(losses=3_000 * UNIT)
    d = world.deal
    return (
        tuple(t.claimable(world.issuer) for t in world.tokens),
        tuple(d.tranche_balance(i) for i in range(3)),
        d.fee_state(0),
        d.residual_owed(),
        d.reserve(),
    )


def test_donation_does_not_change_payouts(world: World) -> None:
    with boa.env.anchor():
        plain = _outcome(world)
    world.usdc.mint(world.deal.address, 1_234_567 * UNIT)
    donated = _outcome(world)
    assert donated == plain
    # the donation simply stays in the contract after everyone is paid (beside the
    # reserve, the carries and at most one unit of rounding dust per tranche and claim)
    for t in world.tokens:
        world.claim(t, world.issuer)
    world.deal.claim_fee(0)
    world.deal.claim_residual()
    left = world.usdc.balanceOf(world.deal.address) - 1_234_567 * UNIT
    owed = world.deal.reserve() + sum(t.carry() for t in world.tokens)
    assert 0 <= left - owed <= 2 * len(world.tokens)

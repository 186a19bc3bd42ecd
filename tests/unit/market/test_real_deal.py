"""A TrancheMarket on a REAL deployed Deal (signed reports, finalize, claims).

The pool is a holder like any other: finalize never calls it, the guardian's
transfer pause stops swaps but not the pool's claim of distributions, and after
a sync nothing the pool's tokens earned is left at the token.
"""

from __future__ import annotations

from collections.abc import Iterator

import boa
import pytest

from trancheflow.market.sandbox import deploy_market

from ..chain.conftest import UNIT, World, make_world

DEADLINE = 2**63


@pytest.fixture(scope="module")
def world_module() -> World:
    return make_world()


@pytest.fixture
def w(world_module: World) -> Iterator[World]:
    with boa.env.anchor():
        yield world_module


def test_pool_on_a_real_deal(w: World) -> None:
    tok = w.tokens[0]
    pool = deploy_market(tok.address, w.usdc.address, amp=20, fee_bps=10)
    lp = w.roles["alice"]
    w.transfer(tok, w.issuer, lp, 100_000 * UNIT)
    w.usdc.mint(lp, 200_000 * UNIT)
    with boa.env.prank(lp):
        tok.approve(pool.address, 2**256 - 1)
        w.usdc.approve(pool.address, 2**256 - 1)
        pool.add_liquidity(0, 100_000 * UNIT, 99_500 * UNIT, DEADLINE)
    p0 = pool.spot_price()
    for losses in (0, 2_000 * UNIT, 0):
        w.run(losses=losses)
    assert tok.claimable(pool.address) > 0
    # the guardian pauses transfers: swaps stop, the pool's claim does not
    with boa.env.prank(w.guardian):
        w.deal.pause(2)
    with boa.env.prank(lp), boa.reverts("tranche: transfers paused"):
        pool.sell(1_000 * UNIT, 0, DEADLINE)
    owed_at_token = int(tok.claimable(pool.address))
    with boa.env.prank(lp):
        paid = pool.claim()
    assert tok.claimable(pool.address) == 0  # nothing stranded
    released = 99_500 * UNIT - pool.reserves()[1]
    assert owed_at_token + released - 2 <= paid <= owed_at_token + released
    # a period after the pool synced: finalize is unaffected by the pool
    w.run()
    assert abs(pool.spot_price() - p0) <= p0 // 10**6  # principal is no price move

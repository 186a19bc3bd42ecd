"""Audit finding 5, token parts (issue 10).

Reproduced against the tokens of issue 7: the subscription sold ORIGINAL face
at the fixed price however much principal had been paid (a buyer paid par for
a token whose current face had halved); ``detectTransferRestriction`` said 0
(no restriction) while the deal's guardian paused transfers; and tokens could
be sent to the deal or to the token's own address, where they earn
distributions nobody can ever claim. After the fix: the price is per CURRENT
face, the pause has its own ERC-1404 code and message, and such transfers
revert with a reason and report a restriction code.
"""

from __future__ import annotations

import boa
import pytest

from trancheflow.chain.compile import CONTRACTS_DIR

from ..conftest import UNIT, World

TRANSFERS = 2
PRICE = 995 * 10**15  # 99.5% of current face


def _sale(w: World, tok: object) -> object:
    now = boa.env.evm.patch.timestamp
    sub = boa.load_partial(str(CONTRACTS_DIR / "Subscription.vy")).deploy(
        tok.address, w.usdc.address, w.issuer, PRICE, now, now + 10**8
    )
    with boa.env.prank(w.issuer):
        tok.transfer(sub.address, 100_000 * UNIT)
    return sub


def test_subscription_prices_current_face(world: World) -> None:
    w = world
    a = w.tokens[0]
    sub = _sale(w, a)
    w.run(scheduled_principal=150_000 * UNIT, prepayments=100_000 * UNIT)
    balance, face = int(w.deal.tranche_balance(0)), int(a.FACE())
    assert balance < face  # principal was paid: current face < original face
    amount = 10_000 * UNIT + 7
    expect = -(-amount * balance * PRICE // (face * 10**18))  # ceil, for the issuer
    assert sub.quote(amount) == expect
    buyer = w.roles["alice"]
    w.usdc.mint(buyer, 10**12)
    with boa.env.prank(buyer):
        w.usdc.approve(sub.address, 2**256 - 1)
        assert sub.buy(amount) == expect


def test_pause_has_a_restriction_code(world: World) -> None:
    w = world
    a = w.tokens[0]
    assert a.detectTransferRestriction(w.issuer, w.roles["alice"], UNIT) == 0
    with boa.env.prank(w.guardian):
        w.deal.pause(TRANSFERS)
    code = a.detectTransferRestriction(w.issuer, w.roles["alice"], UNIT)
    assert code != 0
    assert a.messageForTransferRestriction(code) == "tranche: transfers paused"


@pytest.mark.parametrize("where", ["deal", "token"])
def test_no_transfer_to_the_deal_or_the_token(world: World, where: str) -> None:
    w = world
    a = w.tokens[0]
    to = w.deal.address if where == "deal" else a.address
    refused = "tranche: receiver cannot hold tranche tokens"
    code = a.detectTransferRestriction(w.issuer, to, UNIT)
    assert code != 0
    assert a.messageForTransferRestriction(code) == refused
    with boa.env.prank(w.issuer), boa.reverts(refused):
        a.transfer(to, UNIT)
    with boa.env.prank(w.issuer):
        a.approve(w.roles["alice"], UNIT)
    with (
        boa.env.prank(w.roles["alice"]),
        boa.reverts("tranche: receiver cannot hold tranche tokens"),
    ):
        a.transferFrom(w.issuer, to, UNIT)

"""The subscription window at closing (Subscription.vy).

Investors buy at the price during the window; proceeds reach the issuer at
once and equal ``ceil(amount * price / 1e18)`` per purchase (rounding for the
issuer); outside the window buying reverts; after the window the unsold
tokens and the distributions they earned while unsold return to the issuer;
a buyer's distributions start at purchase (the holder mirror agrees); a
compliance rule that refuses the buyer makes the purchase revert.
"""

from __future__ import annotations

from typing import Any

import pytest

from trancheflow.chain.client import DealClient
from trancheflow.chain.subscription import cost, open_subscription, price_units
from trancheflow.errors import ChainError

from .scenario import EXAMPLE, SIGNER_KEYS, WINDOW, Scenario

UNIT = 10**6


@pytest.fixture
def world() -> tuple[Scenario, Any]:
    s = Scenario(DealClient.embedded())
    now = s.client.timestamp()
    sale = open_subscription(
        s.deal, "B", amount=10_000_000 * UNIT, price="0.995", start=now + 100, end=now + 10_000
    )
    s.ledger.tranches[1].transfer("issuer", "sale", 10_000_000 * UNIT)
    for who in (s.alice, s.bob):
        s.client.mint_mock(s.deal.record.settlement, who, 10**8 * UNIT)
    return s, sale


def test_window_price_proceeds_and_remainder(world: tuple[Scenario, Any]) -> None:
    s, sale = world
    d, c = s.deal, s.client
    with pytest.raises(ChainError, match="window not open"):
        sale.buy(1, s.alice)
    assert sale.available() == 0
    c.advance_time(100)
    assert sale.available() == 10_000_000 * UNIT
    issuer_cash = d.settlement_balance(s.issuer)
    paid = sale.buy(3_000_000 * UNIT + 1, s.alice)  # 0.995 of an odd unit rounds up
    assert paid == cost(3_000_000 * UNIT + 1, price_units("0.995")) == 2_985_000 * UNIT + 1
    assert d.settlement_balance(s.issuer) - issuer_cash == paid
    s.ledger.tranches[1].transfer("sale", "alice", 3_000_000 * UNIT + 1)
    with pytest.raises(ChainError, match="not enough tokens left"):
        sale.buy(7_000_000 * UNIT, s.bob)
    # a period finalizes while the sale still holds unsold tokens
    s.period(1)
    sale.buy(1_000_000 * UNIT, s.bob)
    s.ledger.tranches[1].transfer("sale", "bob", 1_000_000 * UNIT)
    with pytest.raises(ChainError, match="window open"):
        sale.finish()
    c.advance_time(10_000)
    with pytest.raises(ChainError, match="window closed"):
        sale.buy(1, s.bob)
    before_tokens = d.balances(s.issuer)["B"]
    before_cash = d.settlement_balance(s.issuer)
    earned = s.ledger.tranches[1].claimable("sale")
    assert earned > 0
    sale.finish()
    unsold = 10_000_000 * UNIT - (4_000_000 * UNIT + 1)
    assert d.balances(s.issuer)["B"] - before_tokens == unsold
    assert d.settlement_balance(s.issuer) - before_cash == earned
    assert d.balances(sale.address)["B"] == 0 and sale.sold() == 4_000_000 * UNIT + 1
    s.ledger.tranches[1].transfer("sale", "issuer", unsold)
    s.ledger.tranches[1].claim("sale")
    # buyers accrue from their purchase on: the mirror agrees to the unit
    s.period(2)
    assert d.claimable("B", s.alice) == s.ledger.tranches[1].claimable("alice") > 0
    assert d.claimable("B", s.bob) == s.ledger.tranches[1].claimable("bob") > 0
    with pytest.raises(ChainError, match="sub: finished"):
        sale.finish()
    names = [e.name for e in c.event_source().events(0, c.backend.latest_block(), [sale.address])]
    assert names == ["Purchased", "Purchased", "Finished"]


def test_constructor_rules() -> None:
    s = Scenario(DealClient.embedded())
    with pytest.raises(ChainError, match="empty window"):
        open_subscription(s.deal, 0, amount=0, price=1, start=10, end=10)
    with pytest.raises(ChainError, match="at most 18 decimals"):
        price_units("0.1234567890123456789")
    with pytest.raises(ChainError, match="must be > 0"):
        price_units(0)
    assert SIGNER_KEYS and WINDOW  # the scenario's oracle setup is shared


_BLOCKLIST = """
# pragma version ==0.4.3
blocked: public(HashMap[address, bool])

@external
def block(who: address):
    self.blocked[who] = True

@external
@view
def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8:
    return 1 if self.blocked[receiver] else 0

@external
@view
def detect(token: address, sender: address, receiver: address, amount: uint256) -> uint8:
    return 1 if self.blocked[receiver] else 0

@external
def on_transfer(sender: address, receiver: address, amount: uint256):
    assert not self.blocked[receiver], "test: receiver not eligible"

@external
@pure
def messageForTransferRestriction(code: uint8) -> String[64]:
    return "test: receiver not eligible"
"""


def test_compliance_refusal_blocks_the_purchase() -> None:
    import boa

    client = DealClient.embedded()
    with boa.swap_env(client.backend.env):  # type: ignore[attr-defined]
        rules = boa.loads(_BLOCKLIST)
    s_deal = client.deploy_deal(
        EXAMPLE,
        signers=[client.accounts[5]],
        compliance=str(rules.address),
    )
    me, alice, bob = client.accounts[:3]
    now = client.timestamp()
    sale = open_subscription(s_deal, "A", amount=1_000 * UNIT, price=1, start=now, end=now + 99)
    client.mint_mock(s_deal.record.settlement, alice, 10**4 * UNIT)
    client.mint_mock(s_deal.record.settlement, bob, 10**4 * UNIT)
    with boa.swap_env(client.backend.env):  # type: ignore[attr-defined]
        rules.block(bob)
    before = s_deal.settlement_balance(me)
    with pytest.raises(ChainError, match=r"not eligible|restrict"):
        sale.buy(10 * UNIT, bob)
    assert s_deal.balances(bob)["A"] == 0 and s_deal.settlement_balance(me) == before
    sale.buy(10 * UNIT, alice)
    assert s_deal.balances(alice)["A"] == 10 * UNIT
    assert s_deal.settlement_balance(me) - before == 10 * UNIT

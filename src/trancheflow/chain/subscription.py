"""The subscription sale at closing (``contracts/Subscription.vy``) through the client.

:func:`open_subscription` deploys a sale of one tranche of a deployed deal at
a fixed price per unit of CURRENT face (token units are original face; a
token of a tranche that repaid principal costs ``price * factor``) for a
window and stocks it with the issuer's tokens;
:class:`SubscriptionSale` lets investors buy (approve + ``buy``) and anyone
finish it after the window (unsold tokens and what they earned back to the
issuer). Prices are decimals of face (``0.995`` = 99.5 %), converted to the
contract's ``x 10**18`` scale exactly; costs round up, in the issuer's favour.

Examples
--------
>>> price_units(0.995), price_units("1")
(995000000000000000, 1000000000000000000)
>>> cost(3, price_units(0.5))  # 1.5 rounds up
2
>>> cost(1_000, price_units(1), balance=600, face=1_000)  # factor 0.6
600
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trancheflow.errors import ChainError

if TYPE_CHECKING:
    from trancheflow.chain.client import DealHandle

__all__ = ["PRICE_SCALE", "SubscriptionSale", "cost", "open_subscription", "price_units"]

PRICE_SCALE = 10**18
_MAX_UINT = 2**256 - 1


def price_units(price: float | str | Decimal) -> int:
    """A price as a decimal of face -> settlement units per token unit ``x 10**18``.

    Raises
    ------
    ChainError
        When the price is not positive or has more than 18 decimals.
    """
    d = Decimal(str(price))
    scaled = d * PRICE_SCALE
    if d <= 0 or scaled != scaled.to_integral_value():
        raise ChainError(f"subscription price {price!r} must be > 0 with at most 18 decimals")
    return int(scaled)


def cost(amount: int, price: int, *, balance: int = 1, face: int = 1) -> int:
    """What ``amount`` token units cost (the contract's rule).

    ``ceil(amount * price * balance / (10**18 * face))`` with ``balance`` the
    tranche's current balance and ``face`` its original face (price per
    current face); the defaults give the factor 1 of closing.
    """
    return -(-amount * price * balance // (PRICE_SCALE * face))


@dataclass
class SubscriptionSale:
    """A deployed sale of one tranche."""

    deal: DealHandle
    address: str
    tranche: str

    def _call(self, fn: str, *args: Any) -> Any:
        return self.deal.client.backend.call("Subscription", self.address, fn, list(args))

    @property
    def price(self) -> int:
        """Settlement units per token unit ``x 10**18``."""
        return int(self._call("PRICE"))

    def quote(self, amount: int) -> int:
        """Cost of ``amount`` token units."""
        return int(self._call("quote", int(amount)))

    def available(self) -> int:
        """Token units on sale now (0 outside the window)."""
        return int(self._call("available"))

    def sold(self) -> int:
        """Token units sold."""
        return int(self._call("sold"))

    def buy(self, amount: int, buyer: str) -> int:
        """Approve the cost (if needed) and buy ``amount`` units as ``buyer``; returns the cost."""
        b = self.deal.client.backend
        price = self.quote(amount)
        token = self.deal.record.settlement
        if int(b.call("MockUSDC", token, "allowance", [buyer, self.address])) < price:
            b.transact("MockUSDC", token, "approve", [self.address, _MAX_UINT], sender=buyer)
        b.transact("Subscription", self.address, "buy", [int(amount)], sender=buyer)
        return price

    def finish(self, *, sender: str | None = None) -> None:
        """Return the unsold tokens (and what they earned) to the issuer."""
        self.deal.client.backend.transact("Subscription", self.address, "finish", [], sender=sender)


def open_subscription(
    deal: DealHandle,
    tranche: int | str,
    *,
    amount: int,
    price: float | str | Decimal,
    start: int,
    end: int,
    issuer: str | None = None,
) -> SubscriptionSale:
    """Deploy a sale of ``amount`` units of ``tranche`` and stock it from ``issuer``.

    Parameters
    ----------
    deal : DealHandle
        A deployed, closed deal.
    tranche : int or str
        The tranche on sale.
    amount : int
        Token units put on sale (moved from the issuer now).
    price : decimal
        Price as a decimal of CURRENT face (``1`` = par).
    start, end : int
        Window bounds as block timestamps (``start <= t < end``).
    issuer : str, optional
        Holder of the tokens and receiver of proceeds (default: first account).
    """
    b = deal.client.backend
    issuer = issuer or b.accounts[0]
    token = deal.token(tranche)
    name = deal.tranche_names[deal.tranche_index(tranche)]
    args = [token, deal.record.settlement, issuer, price_units(price), int(start), int(end)]
    address = str(b.deploy("Subscription", args, sender=issuer).contract_address)
    if amount > 0:
        deal.transfer(tranche, issuer, address, int(amount))
    return SubscriptionSale(deal, address, name)

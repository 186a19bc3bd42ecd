# pragma version ==0.4.3
"""
@title Subscription
@custom:contract-name Subscription
@license Apache-2.0
@notice An optional subscription window at closing for ONE tranche: during
        `[START, END)` investors buy tranche tokens at `PRICE` per unit of
        CURRENT face (issue 10: token units are original face, so a token
        of a tranche that has repaid principal is worth
        `factor = balance / FACE` of a unit; the cost of `amount` tokens is
        `amount * balance / FACE * PRICE`) with the settlement token; each purchase's proceeds go straight to
        the issuer (the sale never holds investor cash). The issuer stocks
        the sale by transferring tranche tokens to this contract. After
        `END` anyone may call `finish`: unsold tokens go back to the issuer,
        and so do any distributions the unsold tokens earned while they sat
        here (claimed from the tranche token).

        Compliance: tokens leave through the tranche token's own `transfer`,
        which settles distributions and asks the deal's transfer-restriction
        hook, so a buyer the rules refuse cannot buy (the purchase reverts
        with the token's restriction message).
@custom:security Rounding: `cost = ceil(amount * PRICE * balance /
                 (PRICE_SCALE * FACE))`, one division rounded UP, in favour
                 of the issuer: a buyer never gets current face for less
                 than the price. A zero-cost purchase (e.g. a repaid
                 tranche) is refused.
                 Re-entrancy: `buy` and `finish` are `@nonreentrant` and
                 follow checks-effects-interactions (counters before calls).
"""

from ethereum.ercs import IERC20
from snekmate.utils import math

from .interfaces import IDeal


interface ITrancheClaim:
    def claim() -> uint256: nonpayable
    def issuance_paused() -> bool: view
    def DEAL() -> address: view
    def TRANCHE_ID() -> uint256: view
    def FACE() -> uint256: view


# @dev Price scale: PRICE = 10**18 sells one token unit (original face) for
# one settlement unit (par); 995 * 10**15 is 99.5% of face.
PRICE_SCALE: public(constant(uint256)) = 10**18

# @dev The tranche token on sale.
TOKEN: public(immutable(address))
# @dev What buyers pay with (the deal's settlement token).
SETTLEMENT: public(immutable(address))
# @dev Receives the proceeds, the unsold tokens and their distributions.
ISSUER: public(immutable(address))
# @dev Settlement units per unit of CURRENT face, x PRICE_SCALE.
PRICE: public(immutable(uint256))
# @dev The token's deal, tranche position and original face (read once).
_DEAL: immutable(address)
_TRANCHE_ID: immutable(uint256)
_FACE: immutable(uint256)
# @dev Window bounds (block timestamps): open when START <= now < END.
START: public(immutable(uint256))
END: public(immutable(uint256))

# @dev Token units sold so far and settlement units raised.
sold: public(uint256)
raised: public(uint256)
# @dev Set once by `finish`.
finished: public(bool)


event Purchased:
    buyer: indexed(address)
    amount: uint256
    cost: uint256


event Finished:
    unsold: uint256
    distributions: uint256


@deploy
def __init__(
    token: address, settlement: address, issuer: address, price: uint256, start: uint256, end: uint256
):
    """
    @notice A sale of `token` for `settlement` at `price` between `start` and `end`.
    @param token The tranche token.
    @param settlement The settlement token buyers pay with.
    @param issuer Receives proceeds and, after the window, the remainder.
    @param price Settlement units per unit of current face x PRICE_SCALE (> 0).
    @param start First second of the window.
    @param end First second after the window (> start).
    """
    assert token != empty(address) and settlement != empty(address), "sub: zero token"
    assert issuer != empty(address), "sub: zero issuer"
    assert price > 0, "sub: zero price"
    assert end > start, "sub: empty window"
    TOKEN = token
    SETTLEMENT = settlement
    ISSUER = issuer
    PRICE = price
    _DEAL = staticcall ITrancheClaim(token).DEAL()
    _TRANCHE_ID = staticcall ITrancheClaim(token).TRANCHE_ID()
    _FACE = staticcall ITrancheClaim(token).FACE()
    START = start
    END = end


@external
@view
def quote(amount: uint256) -> uint256:
    """
    @notice Settlement units `amount` token units cost now: price per
            current face (rounded UP).
    @param amount Token units (original face).
    @return uint256 The cost.
    """
    return self._cost(amount)


@external
@view
def available() -> uint256:
    """
    @notice Token units on sale now (0 outside the window).
    @return uint256 Units available.
    """
    if block.timestamp < START or block.timestamp >= END or self.finished:
        return 0
    return staticcall IERC20(TOKEN).balanceOf(self)


@external
@nonreentrant
def buy(amount: uint256) -> uint256:
    """
    @notice Buys `amount` tranche token units; pulls the cost from the caller
            (who must have approved this contract) straight to the issuer.
    @param amount Token units (original face).
    @return uint256 The cost paid.
    """
    assert block.timestamp >= START, "sub: window not open"
    assert block.timestamp < END, "sub: window closed"
    assert amount > 0, "sub: zero amount"
    assert not staticcall ITrancheClaim(TOKEN).issuance_paused(), "sub: issuance paused"
    cost: uint256 = self._cost(amount)
    assert amount <= staticcall IERC20(TOKEN).balanceOf(self), "sub: not enough tokens left"
    self.sold += amount
    self.raised += cost
    assert extcall IERC20(SETTLEMENT).transferFrom(
        msg.sender, ISSUER, cost, default_return_value=True
    ), "sub: payment failed"
    assert extcall IERC20(TOKEN).transfer(msg.sender, amount, default_return_value=True), "sub: token transfer failed"
    log Purchased(buyer=msg.sender, amount=amount, cost=cost)
    return cost


@external
@nonreentrant
def finish():
    """
    @notice After the window: returns the unsold tokens to the issuer, claims
            what they earned while held here and forwards it. Anyone may
            call, once.
    """
    assert block.timestamp >= END, "sub: window open"
    assert not self.finished, "sub: finished"
    self.finished = True
    unsold: uint256 = staticcall IERC20(TOKEN).balanceOf(self)
    if unsold > 0:
        assert extcall IERC20(TOKEN).transfer(ISSUER, unsold, default_return_value=True), "sub: token transfer failed"
    earned: uint256 = extcall ITrancheClaim(TOKEN).claim()
    if earned > 0:
        assert extcall IERC20(SETTLEMENT).transfer(ISSUER, earned, default_return_value=True), "sub: transfer failed"
    log Finished(unsold=unsold, distributions=earned)


@internal
@view
def _cost(amount: uint256) -> uint256:
    """
    @notice ceil(amount * PRICE * balance / (PRICE_SCALE * FACE)), with
            balance the tranche's current balance: price per CURRENT face,
            one division rounded UP (in favour of the issuer).
    @param amount Token units (original face).
    @return uint256 Settlement units.
    """
    balance: uint256 = staticcall IDeal(_DEAL).tranche_balance(_TRANCHE_ID)
    cost: uint256 = math._mul_div(amount * PRICE, balance, _FACE * PRICE_SCALE, True)
    assert cost > 0, "sub: zero cost"
    return cost

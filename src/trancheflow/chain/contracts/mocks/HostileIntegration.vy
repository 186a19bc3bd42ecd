# pragma version ==0.4.3
"""
@title HostileIntegration (TEST ONLY)
@custom:contract-name HostileIntegration
@license Apache-2.0
@notice Stands in for a first-loss fund AND a liquidation contract that
        misbehaves in a chosen way, to test the deal's isolation layer:
        MODE_OK pays honestly (cover and proceeds from its own balance),
        MODE_REVERT reverts, MODE_OOG burns all the gas it is given,
        MODE_GARBAGE answers with bytes that are not one word (or claims
        to pay without paying), MODE_REENTER calls back into the deal.
"""

from ethereum.ercs import IERC20

interface IDealReentry:
    def claim_residual() -> uint256: nonpayable

MODE_OK: constant(uint256) = 0
MODE_REVERT: constant(uint256) = 1
MODE_OOG: constant(uint256) = 2
MODE_GARBAGE: constant(uint256) = 3
MODE_REENTER: constant(uint256) = 4
MODE_LIE: constant(uint256) = 5

TOKEN: immutable(address)
deal: public(address)
mode: public(uint256)
premiums: public(uint256)
held: public(uint256)
burn: uint256


@deploy
def __init__(token: address):
    """
    @notice A hostile integration paying in `token`.
    @param token The settlement token.
    """
    TOKEN = token


@external
def configure(deal: address, mode: uint256, held: uint256):
    """
    @notice Sets the deal, the misbehaviour and the proceeds it holds.
    @param deal The deal it answers.
    @param mode One of MODE_*.
    @param held Auction proceeds it pretends to hold (paid from its balance).
    """
    self.deal = deal
    self.mode = mode
    self.held = held


@external
@view
def recoveries_held() -> uint256:
    """
    @notice Proceeds held (MODE_REVERT: reverts).
    @return uint256 Units.
    """
    assert self.mode != MODE_REVERT, "hostile: revert"
    return self.held


@external
@raw_return
def cover(amount: uint256) -> Bytes[32]:
    """
    @notice First-loss cover, misbehaving per `mode`.
    @param amount Requested units.
    @return Bytes[32] The ABI word of the units paid (or claimed), or 3
            garbage bytes in MODE_GARBAGE.
    """
    self._misbehave()
    if self.mode == MODE_GARBAGE:
        return b"\x01\x02\x03"
    if self.mode == MODE_LIE:
        return abi_encode(amount)  # claims to pay, pays nothing
    assert extcall IERC20(TOKEN).transfer(msg.sender, amount, default_return_value=True)
    return abi_encode(amount)


@external
def pay_premium(amount: uint256):
    """
    @notice Premium credit, misbehaving per `mode`.
    @param amount Units.
    """
    self._misbehave()
    self.premiums += amount


@external
@raw_return
def take_recoveries() -> Bytes[32]:
    """
    @notice Hands over the proceeds held, misbehaving per `mode`.
    @return Bytes[32] The ABI word of the units handed over (MODE_LIE: one
            more than sent; MODE_GARBAGE: 3 bytes after paying).
    """
    self._misbehave()
    amount: uint256 = self.held
    self.held = 0
    if amount > 0:
        assert extcall IERC20(TOKEN).transfer(msg.sender, amount, default_return_value=True)
    if self.mode == MODE_GARBAGE:
        return b"\x01\x02\x03"
    if self.mode == MODE_LIE:
        return abi_encode(amount + 1)
    return abi_encode(amount)


@internal
def _misbehave():
    """
    @notice Acts out the mode (garbage and lies are answered by the caller).
    """
    m: uint256 = self.mode
    if m == MODE_REVERT:
        raise "hostile: revert"
    if m == MODE_OOG:
        for i: uint256 in range(10**9):
            self.burn = i
    if m == MODE_REENTER:
        extcall IDealReentry(self.deal).claim_residual()

# pragma version ==0.4.3
"""
@title MockMarketDeal (TEST ONLY)
@custom:contract-name MockMarketDeal
@license Apache-2.0
@notice A stand-in deal for market tests: it holds settlement cash, lets the
        test set a tranche's current balance (principal, losses, write-off)
        and forwards the deal-only calls to the tranche token it deployed
        (the test deploys the TrancheToken with this contract as sender).
"""

from ethereum.ercs import IERC20

interface IToken:
    def mint_face(to: address): nonpayable
    def distribute(cash: uint256): nonpayable
    def set_config(paused: uint256, compliance: address): nonpayable

SETTLEMENT: public(immutable(address))
token: public(HashMap[uint256, address])
tranche_balance: public(HashMap[uint256, uint256])
# coupon at 1e9 (high bits) | accrual flag (bit 0)
_params: HashMap[uint256, uint256]
_original: HashMap[uint256, uint256]


@deploy
def __init__(settlement: address):
    """
    @notice A mock deal paying in `settlement`.
    @param settlement The settlement token.
    """
    SETTLEMENT = settlement


@external
def attach(tranche_id: uint256, token: address, balance: uint256, to: address):
    """
    @notice Records tranche `tranche_id`'s token, its balance, and mints its face to `to`.
    @param tranche_id The tranche.
    @param token The TrancheToken (deployed with this contract as sender).
    @param balance Current balance (the original face).
    @param to The issuer.
    """
    self.token[tranche_id] = token
    self.tranche_balance[tranche_id] = balance
    self._original[tranche_id] = balance
    extcall IToken(token).mint_face(to)


@external
def period(tranche_id: uint256, new_balance: uint256, cash: uint256):
    """
    @notice A finalized period: the balance moves to `new_balance` and `cash` is distributed.
    @param tranche_id The tranche.
    @param new_balance The tranche's balance after the period.
    @param cash Interest + principal paid to holders (the deal must hold it).
    """
    self.tranche_balance[tranche_id] = new_balance
    if cash != 0:
        extcall IToken(self.token[tranche_id]).distribute(cash)


@external
def set_config(tranche_id: uint256, paused: uint256, compliance: address):
    """
    @notice Forwards pause bits and the compliance hook to the token.
    @param tranche_id The tranche.
    @param paused Pause bits.
    @param compliance The hook.
    """
    extcall IToken(self.token[tranche_id]).set_config(paused, compliance)


@external
def pay(tranche_id: uint256, holder: address, amount: uint256):
    """
    @notice Pays a holder's claim (caller must be the tranche's token).
    @param tranche_id The tranche.
    @param holder The holder.
    @param amount Units.
    """
    assert msg.sender == self.token[tranche_id], "mock deal: caller is not the token"
    assert extcall IERC20(SETTLEMENT).transfer(holder, amount)


@external
def set_coupon(tranche_id: uint256, coupon: uint256, accrual: bool):
    """
    @notice Sets tranche `tranche_id`'s coupon (at 1e9) and accrual flag.
    @param tranche_id The tranche.
    @param coupon Annual coupon at 1e9.
    @param accrual Whether it is an accrual (Z) tranche.
    """
    self._params[tranche_id] = (coupon << 1) | convert(accrual, uint256)


@external
@view
def tranche_params(tranche_id: uint256) -> (uint256, uint256, bool):
    """
    @notice Original balance, coupon at 1e9, accrual flag (as Deal.tranche_params).
    @param tranche_id The tranche.
    @return uint256 Original balance.
    @return uint256 Coupon.
    @return bool Accrual.
    """
    w: uint256 = self._params[tranche_id]
    return self._original[tranche_id], w >> 1, w & 1 == 1

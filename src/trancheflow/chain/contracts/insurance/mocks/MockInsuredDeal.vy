# pragma version ==0.4.3
"""
@title MockInsuredDeal
@custom:contract-name MockInsuredDeal
@license Apache-2.0
@notice Test double of the deal as the insurance fund sees it: a settable
        period and pending-loss flag, and pass-through calls to the fund.
"""

from ethereum.ercs import IERC20

period: public(uint256)
loss_pending: public(bool)


interface IFund:
    def cover(amount: uint256) -> uint256: nonpayable
    def pay_premium(amount: uint256): nonpayable


@external
def set_state(period_: uint256, loss_pending_: bool):
    """
    @notice Sets what the fund reads.
    @param period_ Last finalized period.
    @param loss_pending_ Whether a loss awaits finalization.
    """
    self.period = period_
    self.loss_pending = loss_pending_


@external
def cover(fund: address, amount: uint256) -> uint256:
    """
    @notice Asks `fund` for cover.
    @param fund The fund.
    @param amount Units.
    @return uint256 Units paid.
    """
    return extcall IFund(fund).cover(amount)


@external
def premium(fund: address, token: address, amount: uint256):
    """
    @notice Transfers a premium to `fund` and credits it (as the deal does).
    @param fund The fund.
    @param token The settlement token.
    @param amount Units.
    """
    extcall IERC20(token).transfer(fund, amount)
    extcall IFund(fund).pay_premium(amount)

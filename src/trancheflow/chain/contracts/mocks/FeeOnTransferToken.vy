# pragma version ==0.4.3
"""
@title FeeOnTransferToken (TEST ONLY, lossy)
@custom:contract-name FeeOnTransferToken
@license Apache-2.0
@notice A token that burns 1% of every transferFrom, so the receiver gets
        less than `amount`. Used to show the deal refuses a report whose
        deposited cash differs from the reported cash.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.tokens import erc20

implements: IERC20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.transfer,
    erc20.approve,
)


@deploy
def __init__():
    """
    @notice A 6-decimal lossy token.
    """
    ownable.__init__()
    erc20.__init__("Lossy Token", "LOSSY", 6, "Lossy Token", "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints `amount` to `to`; anyone may call (test token).
    @param to The receiver.
    @param amount Units.
    """
    erc20._mint(to, amount)


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` from `owner`, of which 1% (rounded down) is burnt.
    @param owner The payer.
    @param to The receiver.
    @param amount Units debited from `owner`.
    @return bool True.
    """
    erc20._spend_allowance(owner, msg.sender, amount)
    fee: uint256 = amount // 100  # rounds down
    erc20._transfer(owner, to, amount - fee)
    if fee > 0:
        erc20._burn(owner, fee)
    return True

# pragma version ==0.4.3
"""
@title MockUSDC (TEST ONLY)
@custom:contract-name MockUSDC
@license Apache-2.0
@notice A 6-decimal settlement token for tests and benchmarks: snekmate's
        ERC-20 with an UNRESTRICTED `mint`. Never deploy it to a real network.
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
    erc20.transferFrom,
    erc20.approve,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
)


@deploy
def __init__():
    """
    @notice A mock "USD Coin" with 6 decimals.
    """
    ownable.__init__()
    erc20.__init__("Mock USD Coin", "mUSDC", 6, "Mock USD Coin", "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints `amount` to `to`; anyone may call (test token).
    @param to The receiver.
    @param amount Units (6 decimals).
    """
    erc20._mint(to, amount)

# pragma version ==0.4.3
"""
@title MockRestrictedToken
@custom:contract-name MockRestrictedToken
@license Apache-2.0
@notice Test double of a tranche token: a plain ERC-20 that calls the
        compliance hook before every mint and transfer and counts its
        holders on 0 <-> non-0 transitions, as TrancheToken does.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.tokens import erc20

from .. import ITransferHook

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.balanceOf,
    erc20.totalSupply,
    erc20.allowance,
    erc20.approve,
    erc20.decimals,
)

HOOK: public(immutable(address))
# @dev Addresses with a non-zero balance (Compliance reads it).
holder_count: public(uint256)


@deploy
def __init__(hook: address):
    """
    @notice A token whose transfers ask `hook`.
    @param hook The Compliance contract.
    """
    ownable.__init__()
    erc20.__init__("Restricted", "RST", 6, "Restricted", "1")
    HOOK = hook


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints (anyone, test double), through the hook.
    @param to Receiver.
    @param amount Units.
    """
    extcall ITransferHook(HOOK).on_transfer(empty(address), to, amount)
    if amount != 0 and erc20.balanceOf[to] == 0:
        self.holder_count += 1
    erc20._mint(to, amount)


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer through the hook.
    @param to Receiver.
    @param amount Units.
    @return bool True.
    """
    extcall ITransferHook(HOOK).on_transfer(msg.sender, to, amount)
    if amount != 0 and msg.sender != to:
        joins: bool = erc20.balanceOf[to] == 0
        leaves: bool = erc20.balanceOf[msg.sender] == amount
        if joins and not leaves:
            self.holder_count += 1
        elif leaves and not joins:
            self.holder_count -= 1
    erc20._transfer(msg.sender, to, amount)
    return True

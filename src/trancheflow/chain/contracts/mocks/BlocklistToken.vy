# pragma version ==0.4.3
"""
@title BlocklistToken (TEST ONLY)
@custom:contract-name BlocklistToken
@license Apache-2.0
@notice A 6-decimal settlement token with a USDC-style blocklist: a
        blocklisted address can neither send nor receive (Circle's USDC
        `blacklist` behaves this way). Unrestricted `mint` and `blocklist`:
        tests only, never deploy it to a real network.
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
    erc20.approve,
)

blocked: public(HashMap[address, bool])


@deploy
def __init__():
    """
    @notice A mock "USD Coin" with a blocklist, 6 decimals.
    """
    ownable.__init__()
    erc20.__init__("Blocklist USD Coin", "bUSDC", 6, "Blocklist USD Coin", "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints `amount` to `to`; anyone may call (test token).
    @param to The receiver.
    @param amount Units.
    """
    erc20._mint(to, amount)


@external
def blocklist(account: address, on: bool):
    """
    @notice Blocks (or unblocks) `account` from sending and receiving.
    @param account The account.
    @param on True to block.
    """
    self.blocked[account] = on


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer, refused when either side is blocklisted.
    @param to The receiver.
    @param amount Units.
    @return bool True.
    """
    self._check(msg.sender, to)
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom, refused when a party is blocklisted.
    @param owner The payer.
    @param to The receiver.
    @param amount Units.
    @return bool True.
    """
    self._check(owner, to)
    self._check(msg.sender, to)
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@internal
@view
def _check(sender: address, receiver: address):
    """
    @notice Reverts when `sender` or `receiver` is blocklisted.
    @param sender The sender.
    @param receiver The receiver.
    """
    assert not self.blocked[sender] and not self.blocked[receiver], "Blacklistable: account is blacklisted"

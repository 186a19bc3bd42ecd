# pragma version ==0.4.3
"""
@title ReentrantToken (TEST ONLY, malicious)
@custom:contract-name ReentrantToken
@license Apache-2.0
@notice A settlement token that, once armed, calls back into a target with
        arbitrary calldata from inside `transfer`/`transferFrom` before moving
        the funds. It records whether the re-entrant call succeeded, so tests
        can assert that every re-entry into the deal or a tranche token
        fails while the outer call completes normally.
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

target: public(address)
payload: public(Bytes[1024])
armed: public(bool)
attempts: public(uint256)
successes: public(uint256)


@deploy
def __init__():
    """
    @notice A 6-decimal malicious token.
    """
    ownable.__init__()
    erc20.__init__("Reentrant Token", "REENT", 6, "Reentrant Token", "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints `amount` to `to`; anyone may call (test token).
    @param to The receiver.
    @param amount Units.
    """
    erc20._mint(to, amount)


@external
def arm(target: address, payload: Bytes[1024]):
    """
    @notice Arms the callback: the next transfers call `target` with `payload`.
    @param target The contract to re-enter.
    @param payload The calldata of the re-entrant call.
    """
    self.target = target
    self.payload = payload
    self.armed = True


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer that first attempts the armed re-entry.
    @param to The receiver.
    @param amount Units.
    @return bool True.
    """
    self._reenter()
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom that first attempts the armed re-entry.
    @param owner The payer.
    @param to The receiver.
    @param amount Units.
    @return bool True.
    """
    self._reenter()
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@internal
def _reenter():
    """
    @notice Performs the armed call once per transfer, swallowing a revert.
    """
    if self.armed:
        self.armed = False
        self.attempts += 1
        ok: bool = raw_call(self.target, self.payload, revert_on_failure=False)
        if ok:
            self.successes += 1
        self.armed = True

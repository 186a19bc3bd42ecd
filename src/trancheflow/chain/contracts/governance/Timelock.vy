# pragma version ==0.4.3
"""
@title Timelock
@custom:contract-name Timelock
@license Apache-2.0
@notice The owner of every trancheflow parameter setter. A thin deployment
        of snekmate's `timelock_controller` (unchanged): operations are
        scheduled by a PROPOSER, wait at least `get_minimum_delay` seconds
        and are then executed by an EXECUTOR; a CANCELLER may drop a pending
        operation. trancheflow deploys it with the deal's Safe multisig as
        the only proposer, canceller and executor and no admin, so the
        timelock administers itself (role changes and delay updates are
        themselves timelocked operations).
@custom:security No function is added here; the security notes of
                 snekmate's module apply (self-administration, the
                 deployer's admin role revoked in the constructor).
"""

from snekmate.auth import access_control
from snekmate.governance import timelock_controller

initializes: access_control
initializes: timelock_controller[access_control := access_control]

exports: timelock_controller.__interface__


@deploy
@payable
def __init__(
    minimum_delay_: uint256,
    proposers_: DynArray[address, 255],
    executors_: DynArray[address, 255],
    admin_: address,
):
    """
    @notice Deploys the timelock.
    @param minimum_delay_ Minimum delay (seconds) of every operation.
    @param proposers_ Accounts granted the proposer and canceller roles.
    @param executors_ Accounts granted the executor role.
    @param admin_ Optional bootstrap admin (the zero address for none).
    """
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)

# pragma version ==0.4.3
"""
@title MockGoverned
@custom:contract-name MockGoverned
@license Apache-2.0
@notice Test double of a governed contract: one owner-only setter behind
        snekmate's two-step ownership, as the deal's parameter setters are.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

value: public(uint256)


event ValueSet:
    value: uint256


@deploy
def __init__():
    """
    @notice The deployer is the first owner.
    """
    ownable.__init__()
    ownable_2step.__init__()


@external
def set_value(value_: uint256):
    """
    @notice Owner-only setter.
    @param value_ The new value.
    """
    ownable._check_owner()
    self.value = value_
    log ValueSet(value=value_)

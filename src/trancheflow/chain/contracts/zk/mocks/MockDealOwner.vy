# pragma version ~=0.4.3
"""
@title Mock deal for registry tests
@notice Exposes the two views EligibilityRegistry reads: owner() and closed().
"""

owner: public(address)
closed: public(bool)


@deploy
def __init__():
    """
    @notice The deployer owns the mock; it starts open (not closed).
    """
    self.owner = msg.sender


@external
def set_closed(is_closed: bool):
    """
    @notice Mark the mock deal closed or open.
    @param is_closed New closed flag.
    """
    self.closed = is_closed

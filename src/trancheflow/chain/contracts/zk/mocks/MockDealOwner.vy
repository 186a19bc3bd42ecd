# pragma version ~=0.4.3
"""
@title Mock deal for registry tests
@notice Exposes the views EligibilityRegistry reads: owner(), closed() and TAPE_ROOT().
"""

owner: public(address)
closed: public(bool)
TAPE_ROOT: public(bytes32)


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


@external
def set_tape_root(root: bytes32):
    """
    @notice Set the keccak tape root the mock reports.
    @param root New root.
    """
    self.TAPE_ROOT = root

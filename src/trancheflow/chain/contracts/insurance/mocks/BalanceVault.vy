# pragma version ==0.4.3
"""
@title BalanceVault
@custom:contract-name BalanceVault
@license Apache-2.0
@notice Reference vault for the inflation-attack tests: snekmate's
        `erc4626` module unchanged (prices from `balanceOf`), with a chosen
        decimals offset. Not used by trancheflow itself.
"""

from ethereum.ercs import IERC20
from snekmate.extensions import erc4626

initializes: erc4626

exports: erc4626.__interface__


@deploy
def __init__(asset_: address, decimals_offset_: uint8):
    """
    @notice A vault over `asset_`.
    @param asset_ The underlying token.
    @param decimals_offset_ The virtual-share decimals offset.
    """
    erc4626.__init__("Ref vault", "RV", IERC20(asset_), decimals_offset_, "Ref vault", "1")

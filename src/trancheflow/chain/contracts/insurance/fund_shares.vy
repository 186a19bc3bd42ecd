# pragma version ==0.4.3
"""
@title Share price of the insurance fund (a module of InsuranceFund.vy)
@custom:contract-name fund_shares
@license Apache-2.0
@notice Tracked assets and the ERC-4626 conversions and previews of
        `InsuranceFund.vy`. Accounting is INTERNAL: `_total_assets` is
        deposits + premiums - withdrawals - cover, never `balanceOf`, so a
        donation moves neither the price nor any payout. The conversions
        are snekmate's virtual-share formula (the one in
        `snekmate.extensions.erc4626`, which prices from `balanceOf` and so
        cannot be reused as is):
          shares = assets * (supply + 10**OFFSET) / (total_assets + 1)
          assets = shares * (total_assets + 1) / (supply + 10**OFFSET)
        Previews round as EIP-4626 requires (deposit/redeem DOWN,
        mint/withdraw UP: always in favour of the fund).
"""

from snekmate.tokens import erc20
from snekmate.utils import math

uses: erc20

# @dev Decimals offset of the shares (virtual shares 10**OFFSET).
DECIMALS_OFFSET: public(immutable(uint8))
_VIRTUAL_SHARES: immutable(uint256)

_total_assets: uint256


@deploy
def __init__(decimals_offset_: uint8):
    """
    @notice Sets the decimals offset.
    @param decimals_offset_ Share decimals above the asset's (<= 18).
    """
    assert decimals_offset_ <= 18, "fund: decimals offset above 18"
    DECIMALS_OFFSET = decimals_offset_
    _VIRTUAL_SHARES = 10 ** convert(decimals_offset_, uint256)


@external
@view
def totalAssets() -> uint256:
    """
    @notice Tracked assets (internal accounting; donations excluded).
    @return uint256 Units.
    """
    return self._total_assets


@external
@view
def convertToShares(assets: uint256) -> uint256:
    """
    @notice Shares for `assets`, rounded DOWN.
    @param assets Units.
    @return uint256 Shares.
    """
    return self._to_shares(assets, False)


@external
@view
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice Assets for `shares`, rounded DOWN.
    @param shares Shares.
    @return uint256 Units.
    """
    return self._to_assets(shares, False)


@external
@view
def maxDeposit(owner: address) -> uint256:
    """
    @notice No deposit limit.
    @param owner Ignored.
    @return uint256 max_value(uint256).
    """
    return max_value(uint256)


@external
@view
def maxMint(owner: address) -> uint256:
    """
    @notice No mint limit.
    @param owner Ignored.
    @return uint256 max_value(uint256).
    """
    return max_value(uint256)


@external
@view
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares `deposit(assets)` mints, rounded DOWN (favours the fund).
    @param assets Units.
    @return uint256 Shares.
    """
    return self._to_shares(assets, False)


@external
@view
def previewMint(shares: uint256) -> uint256:
    """
    @notice Assets `mint(shares)` takes, rounded UP (favours the fund).
    @param shares Shares.
    @return uint256 Units.
    """
    return self._to_assets(shares, True)


@external
@view
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burned by `withdraw(assets)`, rounded UP (favours the
            fund); `withdraw` never burns more (see InsuranceFund).
    @param assets Units.
    @return uint256 Shares.
    """
    return self._to_shares(assets, True)


@external
@view
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice Assets paid by `redeem(shares)`, rounded DOWN (favours the
            fund); `redeem` never pays less (see InsuranceFund).
    @param shares Shares.
    @return uint256 Units.
    """
    return self._to_assets(shares, False)


@internal
@view
def _to_shares(assets: uint256, roundup: bool) -> uint256:
    """
    @notice assets * (supply + 10**OFFSET) / (total_assets + 1).
    @param assets Units.
    @param roundup Rounding direction (the caller states whom it favours).
    @return uint256 Shares.
    """
    return math._mul_div(assets, erc20.totalSupply + _VIRTUAL_SHARES, self._total_assets + 1, roundup)


@internal
@view
def _to_assets(shares: uint256, roundup: bool) -> uint256:
    """
    @notice shares * (total_assets + 1) / (supply + 10**OFFSET).
    @param shares Shares.
    @param roundup Rounding direction (the caller states whom it favours).
    @return uint256 Units.
    """
    return self._to_assets_at(shares, erc20.totalSupply, roundup)


@internal
@view
def _to_assets_at(shares: uint256, supply: uint256, roundup: bool) -> uint256:
    """
    @notice shares * (total_assets + 1) / (supply + 10**OFFSET) at a given
            supply (a supply after a pending burn).
    @param shares Shares.
    @param supply Share supply to price at.
    @param roundup Rounding direction (the caller states whom it favours).
    @return uint256 Units.
    """
    return math._mul_div(shares, self._total_assets + 1, supply + _VIRTUAL_SHARES, roundup)


@internal
@view
def _keep(cap: uint256, locked: uint256) -> uint256:
    """
    @notice Shares of a request of `locked` shares capped at `cap` assets to
            keep so that, after burning the rest, the kept ones are worth at
            most `cap`: k = cap * (S - locked + V) / (A + 1 - cap), rounded
            DOWN (favours the other underwriters). Then
            k * (A + 1) <= cap * (S - (locked - k) + V). Returns `locked`
            (no burn) when the request is worth no more than `cap`, or
            when it holds every share: no other underwriter could receive
            the gain, and burning would only strand it with the virtual
            shares (and shrink the supply the decimals offset protects).
    @param cap The request's cap (assets).
    @param locked The request's shares.
    @return uint256 Shares to keep (<= locked).
    """
    if locked == erc20.totalSupply or self._to_assets(locked, False) <= cap:
        return locked
    # here locked's value > cap and that value <= A + 1, so A + 1 - cap > 0
    return math._mul_div(cap, erc20.totalSupply - locked + _VIRTUAL_SHARES, self._total_assets + 1 - cap, False)

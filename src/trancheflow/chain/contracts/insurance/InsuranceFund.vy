# pragma version ==0.4.3
"""
@title InsuranceFund
@custom:contract-name InsuranceFund
@license Apache-2.0
@notice First-loss capital of a trancheflow deal, as an ERC-4626 vault over
        the settlement token. Underwriters deposit and receive shares; the
        deal pays a premium into the fund (share price rises) and pulls
        cover for realized losses (share price falls) before the junior
        tranche is written down, up to the fund's assets and a per-period
        cap.

        Accounting is INTERNAL: `totalAssets()` is the tracked
        `_total_assets` (deposits + premiums - withdrawals - cover), never
        `balanceOf(self)`. A donation of settlement tokens therefore moves
        neither the share price nor any payout; the owner may `skim` the
        untracked surplus. Conversions use snekmate's virtual-share formula
        (the one in `snekmate.extensions.erc4626`, reused here because that
        module prices from `balanceOf` and cannot be overridden):
          shares = assets * (supply + 10**OFFSET) / (total_assets + 1)
          assets = shares * (total_assets + 1) / (supply + 10**OFFSET)
        With internal accounting the empty-vault donation ("inflation")
        attack has no lever at all; the decimals offset additionally bounds
        the rounding loss of a first depositor against a premium-inflated
        price.

        Withdrawals: `request_redeem(shares)` escrows the shares in the fund
        (they keep bearing premiums and losses); after `COOLDOWN` seconds
        `redeem`/`withdraw` pay them out at the price of that moment. Both
        revert while the deal has a reported-but-not-finalized loss, so an
        underwriter cannot leave ahead of a loss it can already see.
@custom:security Rounding favours the fund in every conversion (stated at
                 each). `cover` and `pay_premium` are callable only by the
                 deal, set once by the owner. Every state-changing function
                 shares one non-reentrancy lock.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.tokens import erc20
from snekmate.utils import math

from . import IInsuredDeal

implements: IERC20
implements: IERC4626

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: erc20[ownable := ownable]

exports: (
    erc20.totalSupply,
    erc20.balanceOf,
    erc20.transfer,
    erc20.transferFrom,
    erc20.approve,
    erc20.allowance,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

asset: public(immutable(address))
# @dev Decimals offset of the shares (virtual shares 10**OFFSET).
DECIMALS_OFFSET: public(immutable(uint8))
# @dev Seconds between a redemption request and its payout.
COOLDOWN: public(immutable(uint256))
_VIRTUAL_SHARES: immutable(uint256)

deal: public(address)
cap_per_period: public(uint256)
_total_assets: uint256
# @dev Cover already paid, keyed by the deal's last finalized period at the call.
covered: public(HashMap[uint256, uint256])


struct Request:
    shares: uint256
    unlock: uint256


requests: public(HashMap[address, Request])


event WithdrawRequested:
    owner: indexed(address)
    shares: uint256
    unlock: uint256


event WithdrawRequestCancelled:
    owner: indexed(address)
    shares: uint256


event Covered:
    period: indexed(uint256)
    requested: uint256
    paid: uint256
    total_assets: uint256


event PremiumPaid:
    amount: uint256
    total_assets: uint256


event DealSet:
    deal: indexed(address)


event CapSet:
    cap_per_period: uint256


event Skimmed:
    receiver: indexed(address)
    amount: uint256


@deploy
def __init__(
    asset_: address,
    decimals_offset_: uint8,
    cooldown_: uint256,
    cap_per_period_: uint256,
    name_: String[25],
    symbol_: String[5],
):
    """
    @notice The deployer is the first owner (hand it to the timelock).
    @param asset_ The settlement token.
    @param decimals_offset_ Share decimals above the asset's (<= 18).
    @param cooldown_ Seconds from `request_redeem` to payout.
    @param cap_per_period_ Maximum cover per deal period (units).
    @param name_ Share token name.
    @param symbol_ Share token symbol.
    """
    assert asset_ != empty(address), "fund: zero asset"
    assert decimals_offset_ <= 18, "fund: decimals offset above 18"
    asset = asset_
    DECIMALS_OFFSET = decimals_offset_
    COOLDOWN = cooldown_
    _VIRTUAL_SHARES = 10 ** convert(decimals_offset_, uint256)
    ownable.__init__()
    ownable_2step.__init__()
    erc20.__init__(
        name_, symbol_, staticcall IERC20Detailed(asset_).decimals() + decimals_offset_, name_, "1"
    )
    self.cap_per_period = cap_per_period_
    log CapSet(cap_per_period=cap_per_period_)


# ------------------------------------------------------------------ owner
@external
def set_deal(deal_: address):
    """
    @notice Binds the fund to its deal, once. Owner only.
    @param deal_ The deal (the only caller of `cover` and `pay_premium`).
    """
    ownable._check_owner()
    assert self.deal == empty(address), "fund: deal already set"
    assert deal_ != empty(address), "fund: zero deal"
    self.deal = deal_
    log DealSet(deal=deal_)


@external
def set_cap_per_period(cap: uint256):
    """
    @notice Sets the maximum cover per deal period. Owner (governance) only.
    @param cap Units.
    """
    ownable._check_owner()
    self.cap_per_period = cap
    log CapSet(cap_per_period=cap)


@external
@nonreentrant
def skim(receiver: address) -> uint256:
    """
    @notice Sends tokens held above the tracked assets (donations) to
            `receiver`. Owner only; never touches underwriters' assets.
    @param receiver Where the surplus goes.
    @return uint256 Units sent.
    """
    ownable._check_owner()
    surplus: uint256 = staticcall IERC20(asset).balanceOf(self) - self._total_assets
    if surplus > 0:
        assert extcall IERC20(asset).transfer(receiver, surplus, default_return_value=True), "fund: transfer failed"
    log Skimmed(receiver=receiver, amount=surplus)
    return surplus


# ------------------------------------------------------------------ deal
@external
@nonreentrant
def cover(amount: uint256) -> uint256:
    """
    @notice Pays the deal up to `amount` toward a realized loss, limited
            by the tracked assets and what is left of this period's cap.
            Deal only.
    @param amount Loss the deal asks the fund to absorb (units).
    @return uint256 Units paid (transferred to the deal).
    """
    assert msg.sender == self.deal and msg.sender != empty(address), "fund: caller is not the deal"
    period: uint256 = staticcall IInsuredDeal(msg.sender).period()
    used: uint256 = self.covered[period]
    room: uint256 = 0
    if self.cap_per_period > used:
        room = self.cap_per_period - used
    paid: uint256 = min(min(amount, self._total_assets), room)
    if paid > 0:
        self.covered[period] = used + paid
        self._total_assets -= paid
        assert extcall IERC20(asset).transfer(msg.sender, paid, default_return_value=True), "fund: transfer failed"
    log Covered(period=period, requested=amount, paid=paid, total_assets=self._total_assets)
    return paid


@external
@nonreentrant
def pay_premium(amount: uint256):
    """
    @notice The deal has just transferred `amount` of premium to the fund
            and credits it to the underwriters (the share price rises).
            Deal only. The fund checks it holds the tracked assets plus
            `amount`, so a premium never credits tokens it does not hold.
    @dev Push, not pull: the deal then needs no allowance to the fund.
         A donation sitting in the fund could satisfy the check, but only
         the deal calls this, always right after its transfer.
    @param amount Units.
    """
    assert msg.sender == self.deal and msg.sender != empty(address), "fund: caller is not the deal"
    if amount == 0:
        return
    assert staticcall IERC20(asset).balanceOf(self) >= self._total_assets + amount, "fund: premium not received"
    self._total_assets += amount
    log PremiumPaid(amount=amount, total_assets=self._total_assets)


# ------------------------------------------------------------------ ERC-4626
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
@nonreentrant
def deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Deposits `assets` for `receiver`; shares rounded DOWN.
    @param assets Units pulled from the caller.
    @param receiver Receives the shares.
    @return uint256 Shares minted.
    """
    shares: uint256 = self._to_shares(assets, False)
    assert shares > 0, "fund: zero shares"
    self._deposit(receiver, assets, shares)
    return shares


@external
@nonreentrant
def mint(shares: uint256, receiver: address) -> uint256:
    """
    @notice Mints exactly `shares` to `receiver`; assets rounded UP.
    @param shares Shares to mint.
    @param receiver Receives the shares.
    @return uint256 Units pulled from the caller.
    """
    assets: uint256 = self._to_assets(shares, True)
    assert shares > 0, "fund: zero shares"
    self._deposit(receiver, assets, shares)
    return assets


@external
@view
def maxWithdraw(owner: address) -> uint256:
    """
    @notice Assets `owner` can withdraw now: its matured request's value
            (rounded DOWN), 0 while a loss is pending or before the cooldown.
    @param owner The underwriter.
    @return uint256 Units.
    """
    return self._to_assets(self._redeemable(owner), False)


@external
@view
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now (its matured request), 0 while
            a loss is pending or before the cooldown.
    @param owner The underwriter.
    @return uint256 Shares.
    """
    return self._redeemable(owner)


@external
@view
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burned by `withdraw(assets)`, rounded UP (favours the fund).
    @param assets Units.
    @return uint256 Shares.
    """
    return self._to_shares(assets, True)


@external
@view
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice Assets paid by `redeem(shares)`, rounded DOWN (favours the fund).
    @param shares Shares.
    @return uint256 Units.
    """
    return self._to_assets(shares, False)


@external
@nonreentrant
def request_redeem(shares: uint256):
    """
    @notice Escrows `shares` of the caller for redemption after COOLDOWN
            (adding to an open request restarts its cooldown).
    @param shares Shares to escrow.
    """
    assert shares > 0, "fund: zero shares"
    erc20._transfer(msg.sender, self, shares)
    req: Request = self.requests[msg.sender]
    req.shares += shares
    req.unlock = block.timestamp + COOLDOWN
    self.requests[msg.sender] = req
    log WithdrawRequested(owner=msg.sender, shares=req.shares, unlock=req.unlock)


@external
@nonreentrant
def cancel_request():
    """
    @notice Returns the caller's escrowed shares.
    """
    shares: uint256 = self.requests[msg.sender].shares
    assert shares > 0, "fund: no request"
    self.requests[msg.sender] = empty(Request)
    erc20._transfer(self, msg.sender, shares)
    log WithdrawRequestCancelled(owner=msg.sender, shares=shares)


@external
@nonreentrant
def withdraw(assets: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Pays `assets` to `receiver` from `owner`'s matured request;
            shares burned rounded UP.
    @param assets Units.
    @param receiver Receives the assets.
    @param owner The underwriter (the caller, or one that approved it).
    @return uint256 Shares burned.
    """
    shares: uint256 = self._to_shares(assets, True)
    self._withdraw(receiver, owner, assets, shares)
    return shares


@external
@nonreentrant
def redeem(shares: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Redeems `shares` of `owner`'s matured request; assets rounded DOWN.
    @param shares Shares.
    @param receiver Receives the assets.
    @param owner The underwriter (the caller, or one that approved it).
    @return uint256 Units paid.
    """
    assets: uint256 = self._to_assets(shares, False)
    self._withdraw(receiver, owner, assets, shares)
    return assets


# ------------------------------------------------------------------ views
@external
@view
def surplus() -> uint256:
    """
    @notice Tokens held above the tracked assets (donations).
    @return uint256 Units.
    """
    return staticcall IERC20(asset).balanceOf(self) - self._total_assets


@external
@view
def withdrawals_blocked() -> bool:
    """
    @notice Whether the deal has a reported-but-not-finalized loss.
    @return bool The block.
    """
    return self._blocked()


@external
@view
def cover_room() -> uint256:
    """
    @notice What `cover` could pay now: min(tracked assets, cap left this period).
    @return uint256 Units.
    """
    used: uint256 = 0
    if self.deal != empty(address):
        used = self.covered[staticcall IInsuredDeal(self.deal).period()]
    room: uint256 = 0
    if self.cap_per_period > used:
        room = self.cap_per_period - used
    return min(room, self._total_assets)


# ------------------------------------------------------------------ internal
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
    return math._mul_div(shares, self._total_assets + 1, erc20.totalSupply + _VIRTUAL_SHARES, roundup)


@internal
@view
def _blocked() -> bool:
    """
    @notice Withdrawals wait while the deal has a pending loss.
    @return bool The block.
    """
    d: address = self.deal
    return d != empty(address) and staticcall IInsuredDeal(d).loss_pending()


@internal
@view
def _redeemable(owner: address) -> uint256:
    """
    @notice Shares of `owner`'s request that may be redeemed now.
    @param owner The underwriter.
    @return uint256 Shares.
    """
    req: Request = self.requests[owner]
    if req.shares == 0 or block.timestamp < req.unlock or self._blocked():
        return 0
    return req.shares


@internal
def _pull(sender: address, amount: uint256):
    """
    @notice transferFrom `sender`, checking the fund's balance rose by `amount`.
    @param sender Payer.
    @param amount Units.
    """
    before: uint256 = staticcall IERC20(asset).balanceOf(self)
    assert extcall IERC20(asset).transferFrom(sender, self, amount, default_return_value=True), "fund: transferFrom failed"
    assert staticcall IERC20(asset).balanceOf(self) - before == amount, "fund: received amount differs"


@internal
def _deposit(receiver: address, assets: uint256, shares: uint256):
    """
    @notice Pulls `assets` from the caller, then mints `shares` to `receiver`.
    @param receiver Share receiver.
    @param assets Units.
    @param shares Shares.
    """
    assert assets > 0, "fund: zero assets"
    self._pull(msg.sender, assets)
    self._total_assets += assets
    erc20._mint(receiver, shares)
    log IERC4626.Deposit(sender=msg.sender, owner=receiver, assets=assets, shares=shares)


@internal
def _withdraw(receiver: address, owner: address, assets: uint256, shares: uint256):
    """
    @notice Burns `shares` from `owner`'s matured request and pays `assets`.
    @param receiver Asset receiver.
    @param owner The underwriter.
    @param assets Units.
    @param shares Shares.
    """
    assert not self._blocked(), "fund: loss pending, withdrawals blocked"
    req: Request = self.requests[owner]
    assert req.shares > 0, "fund: no withdrawal request"
    assert block.timestamp >= req.unlock, "fund: cooldown not over"
    assert shares > 0 and shares <= req.shares, "fund: shares exceed the request"
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    req.shares -= shares
    self.requests[owner] = req
    erc20._burn(self, shares)
    self._total_assets -= assets
    assert extcall IERC20(asset).transfer(receiver, assets, default_return_value=True), "fund: transfer failed"
    log IERC4626.Withdraw(sender=msg.sender, receiver=receiver, owner=owner, assets=assets, shares=shares)

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

        Accounting is INTERNAL (module `fund_shares`: tracked assets,
        virtual-share conversions and previews): a donation moves neither
        the share price nor any payout; the owner may `skim` it.

        Withdrawals (issue 10, audit finding 2): `request_redeem(shares)`
        LOCKS shares in the owner's balance (not transferable). A request
        stops earning: its shares are worth at most their value at the
        request (`Request.assets`); whatever they gained since (premiums) is
        forfeited to the other underwriters when the request is touched, by
        burning just enough of its shares (`_settled`). They keep bearing
        losses. After `COOLDOWN` the request may be redeemed for
        `REDEEM_WINDOW` seconds, then it expires (cancel and request again).
        `redeem`/`withdraw` burn from `owner` (allowance when the caller is
        not the owner), as EIP-4626 says. Both revert while the deal has a
        reported-but-not-finalized loss, so an underwriter cannot leave
        ahead of a loss it can already see.
@custom:security Rounding favours the fund in every conversion (stated at
                 each). `cover`/`pay_premium`: the deal only (set once).
                 One non-reentrancy lock on every state change.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.tokens import erc20
from snekmate.utils import math

from . import IInsuredDeal
from . import fund_shares

implements: IERC20
implements: IERC4626

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: erc20[ownable := ownable]
initializes: fund_shares[erc20 := erc20]

exports: (
    erc20.totalSupply,
    erc20.balanceOf,
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
    fund_shares.DECIMALS_OFFSET,
    fund_shares.totalAssets,
    fund_shares.convertToShares,
    fund_shares.convertToAssets,
    fund_shares.maxDeposit,
    fund_shares.maxMint,
    fund_shares.previewDeposit,
    fund_shares.previewMint,
    fund_shares.previewWithdraw,
    fund_shares.previewRedeem,
)

asset: public(immutable(address))
# @dev Seconds from a redemption request to its payout; then seconds the
# matured request may be redeemed before it expires.
COOLDOWN: public(immutable(uint256))
REDEEM_WINDOW: public(immutable(uint256))

deal: public(address)
cap_per_period: public(uint256)
# @dev Cover already paid, keyed by the deal's last finalized period at the call.
covered: public(HashMap[uint256, uint256])


struct Request:
    shares: uint256  # locked in the owner's balance
    unlock: uint256  # redeemable from here until unlock + REDEEM_WINDOW
    assets: uint256  # cap: the shares' value at the request (rounded DOWN)


requests: public(HashMap[address, Request])


event WithdrawRequested:
    owner: indexed(address)
    shares: uint256
    unlock: uint256


event WithdrawRequestCancelled:
    owner: indexed(address)
    shares: uint256


event RequestGainForfeited:
    owner: indexed(address)
    shares_burned: uint256


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
    redeem_window_: uint256,
    cap_per_period_: uint256,
    name_: String[25],
    symbol_: String[5],
):
    """
    @notice The deployer is the first owner (hand it to the timelock).
    @param asset_ The settlement token.
    @param decimals_offset_ Share decimals above the asset's (<= 18).
    @param cooldown_ Seconds from `request_redeem` to payout.
    @param redeem_window_ Seconds a matured request stays redeemable (> 0).
    @param cap_per_period_ Maximum cover per deal period (units).
    @param name_ Share token name.
    @param symbol_ Share token symbol.
    """
    assert asset_ != empty(address), "fund: zero asset"
    assert redeem_window_ > 0, "fund: zero redeem window"
    asset = asset_
    COOLDOWN = cooldown_
    REDEEM_WINDOW = redeem_window_
    fund_shares.__init__(decimals_offset_)
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
    @notice Sends donations (tokens above the tracked assets). Owner only.
    @param receiver Where the surplus goes.
    @return uint256 Units sent.
    """
    ownable._check_owner()
    surplus: uint256 = staticcall IERC20(asset).balanceOf(self) - fund_shares._total_assets
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
    paid: uint256 = min(min(amount, fund_shares._total_assets), room)
    if paid > 0:
        self.covered[period] = used + paid
        fund_shares._total_assets -= paid
        assert extcall IERC20(asset).transfer(msg.sender, paid, default_return_value=True), "fund: transfer failed"
    log Covered(period=period, requested=amount, paid=paid, total_assets=fund_shares._total_assets)
    return paid


@external
@nonreentrant
def pay_premium(amount: uint256):
    """
    @notice The deal has just transferred `amount` of premium to the fund
            and credits it to the underwriters (the share price rises).
            Deal only. The fund checks it holds the tracked assets plus
            `amount`, so a premium never credits tokens it does not hold.
    @dev Push, not pull: the deal needs no allowance to the fund (only the
         deal calls this, right after its transfer).
    @param amount Units.
    """
    assert msg.sender == self.deal and msg.sender != empty(address), "fund: caller is not the deal"
    if amount == 0:
        return
    assert staticcall IERC20(asset).balanceOf(self) >= fund_shares._total_assets + amount, "fund: premium not received"
    fund_shares._total_assets += amount
    log PremiumPaid(amount=amount, total_assets=fund_shares._total_assets)


# ------------------------------------------------------------------ ERC-4626
@external
@nonreentrant
def deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Deposits `assets` for `receiver`; shares rounded DOWN.
    @param assets Units pulled from the caller.
    @param receiver Receives the shares.
    @return uint256 Shares minted.
    """
    shares: uint256 = fund_shares._to_shares(assets, False)
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
    assets: uint256 = fund_shares._to_assets(shares, True)
    assert shares > 0, "fund: zero shares"
    self._deposit(receiver, assets, shares)
    return assets


@external
@view
def maxWithdraw(owner: address) -> uint256:
    """
    @notice Assets `owner` can withdraw now: its live request's value after
            the forfeit (rounded DOWN); 0 while a loss is pending, before
            the cooldown or after the request expired.
    @param owner The underwriter.
    @return uint256 Units.
    """
    req: Request = empty(Request)
    burn: uint256 = 0
    req, burn = self._settled(owner)
    if not self._live(req):
        return 0
    return fund_shares._to_assets_at(req.shares, erc20.totalSupply - burn, False)


@external
@view
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now: its live request after the
            forfeit; 0 while a loss is pending, before the cooldown or after
            the request expired.
    @param owner The underwriter.
    @return uint256 Shares.
    """
    req: Request = empty(Request)
    burn: uint256 = 0
    req, burn = self._settled(owner)
    if not self._live(req):
        return 0
    return req.shares


@external
@nonreentrant
def request_redeem(shares: uint256):
    """
    @notice Locks `shares` more of the caller's shares for redemption after
            COOLDOWN (restarts the cooldown of an open request). From now
            on they are worth at most their value now.
    @custom:security The cap is the value now rounded DOWN (favours the
                     fund); an open request is settled first, so gains of
                     the old part never carry over into the new cap.
    @param shares Shares to lock.
    """
    assert shares > 0, "fund: zero shares"
    req: Request = self._settle(msg.sender)
    assert erc20.balanceOf[msg.sender] >= req.shares + shares, "fund: shares exceed the free balance"
    req.assets += fund_shares._to_assets(shares, False)
    req.shares += shares
    req.unlock = block.timestamp + COOLDOWN
    self.requests[msg.sender] = req
    log WithdrawRequested(owner=msg.sender, shares=req.shares, unlock=req.unlock)


@external
@nonreentrant
def cancel_request():
    """
    @notice Unlocks the caller's requested shares, less those forfeited
            for gains made while requested.
    """
    req: Request = self._settle(msg.sender)
    assert req.shares > 0, "fund: no request"
    self.requests[msg.sender] = empty(Request)
    log WithdrawRequestCancelled(owner=msg.sender, shares=req.shares)


@external
@nonreentrant
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer of the caller's FREE (not requested) shares.
    @param to Receiver.
    @param amount Shares.
    @return bool True.
    """
    self._check_free(msg.sender, amount)
    erc20._transfer(msg.sender, to, amount)
    return True


@external
@nonreentrant
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom of `owner`'s FREE shares; spends allowance.
    @param owner From.
    @param to Receiver.
    @param amount Shares.
    @return bool True.
    """
    self._check_free(owner, amount)
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@external
@nonreentrant
def withdraw(assets: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Pays `assets` to `receiver` from `owner`'s live request,
            burning shares (rounded UP) from `owner`. The request's forfeit
            is burned first, so the price can only be higher than
            `previewWithdraw` saw: never more shares than it said.
    @param assets Units.
    @param receiver Receives the assets.
    @param owner The underwriter (the caller, or one that approved it).
    @return uint256 Shares burned.
    """
    req: Request = self._settle(owner)
    shares: uint256 = fund_shares._to_shares(assets, True)
    self._withdraw(receiver, owner, assets, shares, req)
    return shares


@external
@nonreentrant
def redeem(shares: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Burns `shares` of `owner`'s live request from `owner` and pays
            their value (rounded DOWN); after the forfeit burn, so never
            less than `previewRedeem` said.
    @param shares Shares.
    @param receiver Receives the assets.
    @param owner The underwriter (the caller, or one that approved it).
    @return uint256 Units paid.
    """
    req: Request = self._settle(owner)
    assets: uint256 = fund_shares._to_assets(shares, False)
    self._withdraw(receiver, owner, assets, shares, req)
    return assets


# ------------------------------------------------------------------ views
@external
@view
def surplus() -> uint256:
    """
    @notice Tokens held above the tracked assets (donations).
    @return uint256 Units.
    """
    return staticcall IERC20(asset).balanceOf(self) - fund_shares._total_assets


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
    return min(room, fund_shares._total_assets)


# ------------------------------------------------------------------ internal
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
def _settled(owner: address) -> (Request, uint256):
    """
    @notice `owner`'s request after the forfeit, and the shares it burns.
    @dev Kept shares: `fund_shares._keep` (rounded DOWN, favours the other
         underwriters); worth at most the cap after the burn.
    @param owner The underwriter.
    @return Request The request (shares reduced by the burn).
    @return uint256 Shares to burn.
    """
    req: Request = self.requests[owner]
    if req.shares == 0:
        return req, 0
    keep: uint256 = fund_shares._keep(req.assets, req.shares)
    burn: uint256 = req.shares - keep
    req.shares = keep
    return req, burn


@internal
def _settle(owner: address) -> Request:
    """
    @notice Applies `_settled`: burns the forfeit from `owner` (every other
            share's price rises) and stores the request.
    @param owner The underwriter.
    @return Request The settled request.
    """
    req: Request = empty(Request)
    burn: uint256 = 0
    req, burn = self._settled(owner)
    if burn > 0:
        erc20._burn(owner, burn)
        self.requests[owner] = req
        log RequestGainForfeited(owner=owner, shares_burned=burn)
    return req


@internal
@view
def _live(req: Request) -> bool:
    """
    @notice Whether a request may be redeemed now: matured, not expired,
            no pending loss.
    @param req The request.
    @return bool Redeemable.
    """
    t: uint256 = block.timestamp
    return req.shares > 0 and t >= req.unlock and t < req.unlock + REDEEM_WINDOW and not self._blocked()


@internal
@view
def _check_free(owner: address, amount: uint256):
    """
    @notice Reverts unless `owner` holds `amount` shares beyond its request.
    @param owner The holder.
    @param amount Shares.
    """
    assert erc20.balanceOf[owner] >= self.requests[owner].shares + amount, "fund: shares locked by a redemption request"


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
    fund_shares._total_assets += assets
    erc20._mint(receiver, shares)
    log IERC4626.Deposit(sender=msg.sender, owner=receiver, assets=assets, shares=shares)


@internal
def _withdraw(receiver: address, owner: address, assets: uint256, shares: uint256, req: Request):
    """
    @notice Burns `shares` of `owner`'s settled live request from `owner`
            and pays `assets`; the cap shrinks pro rata (rounded UP, so the
            remaining cap rounds DOWN, favouring the fund).
    @param receiver Asset receiver.
    @param owner The underwriter.
    @param assets Units.
    @param shares Shares.
    @param req The request, settled.
    """
    assert not self._blocked(), "fund: loss pending, withdrawals blocked"
    assert req.shares > 0, "fund: no withdrawal request"
    assert block.timestamp >= req.unlock, "fund: cooldown not over"
    assert block.timestamp < req.unlock + REDEEM_WINDOW, "fund: request expired"
    assert shares > 0 and shares <= req.shares, "fund: shares exceed the request"
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    req.assets -= min(req.assets, math._mul_div(req.assets, shares, req.shares, True))
    req.shares -= shares
    if req.shares == 0:
        req = empty(Request)
    self.requests[owner] = req
    erc20._burn(owner, shares)
    fund_shares._total_assets -= assets
    assert extcall IERC20(asset).transfer(receiver, assets, default_return_value=True), "fund: transfer failed"
    log IERC4626.Withdraw(sender=msg.sender, receiver=receiver, owner=owner, assets=assets, shares=shares)

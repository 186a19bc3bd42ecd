# pragma version ==0.4.3
"""
@title TrancheToken
@custom:contract-name TrancheToken
@license Apache-2.0
@notice One ERC-20 (with EIP-2612 permit) per tranche of a trancheflow deal.
        Tokens are denominated in ORIGINAL face: one token unit per
        settlement-token unit of the tranche's original balance. Supply is
        minted once, by the deal, at closing, and never changes afterwards
        (there is no burn). The current face of a holding is
        `tokens * factor() / FACTOR_SCALE`.

        Distributions (interest + principal) accrue through a cumulative
        per-token index (docs/waterfall.md, "Distribution to holders"):
        `credited += cash; index = floor(credited * INDEX_SCALE / FACE)`;
        what the index does not cover yet,
        `carry = credited - floor(index * FACE / INDEX_SCALE)`, is covered by
        a later distribution. A holder's claimable amount is
        `owed + floor(tokens * (index - index_at_last_settlement) / INDEX_SCALE)`.
        Nothing loops over holders: `transfer`/`transferFrom` settle both
        sides first, `claim` settles the caller and asks the deal to pay.

        Who pays: the DEAL holds all cash. `claim` zeroes the caller's owed
        amount (checks-effects-interactions) and then calls `Deal.pay`, which
        transfers the settlement token from the deal to the holder. The token
        never holds settlement tokens.

        Compliance hook (issue 7): when `COMPLIANCE()` (set by the deal,
        i.e. by governance) is not the zero address, every transfer calls its
        `on_transfer(sender, receiver, amount)` before balances move; it
        reverts with the ERC-1404 message on a restriction. The closing
        mint to the issuer does not ask the hook (issue 10: a hook whose
        rules do not know the new tokens yet must not stop closing;
        `DealClient.deploy_deal(compliance=...)` then works and the owner
        configures the tokens' rules before the issuer sells). `detectTransferRestriction` / `messageForTransferRestriction`
        expose ERC-1404 on the token. No rules live here; `claim` never
        asks the hook, so accrued distributions are always payable.
        The token counts its own holders (`holder_count`, updated on
        0 <-> non-0 balance transitions, no loop), so a hook attached,
        replaced or detached on a live deal reads an exact count (issue 10).

        Pause (issue 7): the deal's guardian may pause transfers (and
        issuance, which the subscription sale reads through
        `issuance_paused`); the deal pushes the bits here with
        `set_config`. `claim` is never paused.
@custom:security Rounding always favours the deal: index increments and
                 holder accruals round DOWN. The index is recomputed from the
                 cumulative cash, so the uncovered part is carried (never
                 lost) and never counted twice; the fraction below one unit dropped by
                 a holder's settlement stays in the deal as dust (at most one
                 unit per settlement).
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from snekmate.auth import ownable
from snekmate.tokens import erc20

from .interfaces import ICompliance
from .interfaces import IDeal
from .interfaces import ITrancheToken

implements: IERC20
implements: IERC20Detailed
implements: ITrancheToken

initializes: ownable
initializes: erc20[ownable := ownable]

# @dev ERC-20 reads, approvals and EIP-2612 permit are snekmate's, unchanged.
# `transfer`/`transferFrom` are redefined below (settlement + compliance);
# `mint`, `burn`, `burn_from`, `set_minter` and ownership changes are NOT
# exported: supply is fixed after closing and only the deal ever minted.
exports: (
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.approve,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
)

# @dev Fixed-point scale of the holder index (docs/waterfall.md).
INDEX_SCALE: public(constant(uint256)) = 10**27
# @dev Scale of `factor()`: 10**18 == 1.0 (factor = balance / original).
FACTOR_SCALE: public(constant(uint256)) = 10**18

# @dev Bit layout of both packed words below: high 128 bits | low 128 bits.
# Width justification (uint128 max = 3.4e38):
#  - index: per-token cumulative cash times 1e27. A tranche pays at most its
#    (accreted) balance in principal plus coupons on it, i.e. a few times its
#    face over its life; uint128 allows 3.4e11 units of cash per unit of face,
#    so overflow would need a deal paying 340 billion times its face.
#  - owed, credited: settlement-token units; 3.4e38 units is 3.4e32 USDC,
#    far beyond any supply (credited <= a few times FACE, like the index).
# Every packed write asserts the field fits, so an impossible overflow
# reverts instead of corrupting the neighbour field.
_MASK128: constant(uint256) = 2**128 - 1

# @dev The deal that deployed this token (its minter, payer and data source).
DEAL: public(immutable(address))
# @dev Position of this tranche in the deal's seniority order.
TRANCHE_ID: public(immutable(uint256))
# @dev Original face in settlement-token units == the whole token supply.
FACE: public(immutable(uint256))
# @dev Pause bits as in Deal.vy (1 issuance, 2 transfers).
_PAUSE_ISSUANCE: constant(uint256) = 1
_PAUSE_TRANSFERS: constant(uint256) = 2
_MASK160: constant(uint256) = 2**160 - 1
# @dev ERC-1404 codes of the token's own restrictions, above the compliance
# hook's codes (0..11): the deal's transfer pause, and a receiver that could
# never claim (the deal or this token: their distributions would be stranded).
TRANSFERS_PAUSED: public(constant(uint8)) = 16
RECEIVER_CANNOT_HOLD: public(constant(uint8)) = 17

# @dev holder count (bits 168..255) | pause bits (160..167) |
# transfer-restriction hook (low 160; zero address = no check). One word, so
# a transfer reads all three with one SLOAD and a 0 <-> non-0 balance
# transition rewrites a slot already warm (issue 10: the count lives here,
# not in the hook, so hooks can be attached, replaced, detached).
_config: uint256
_COUNT_SHIFT: constant(uint256) = 168
_COUNT_ONE: constant(uint256) = 2**168
_PAUSE_MASK: constant(uint256) = 255

# @dev index (high 128) | credited = cumulative cash distributed (low 128).
_dist: uint256
# @dev Per holder: index_at_last_settlement (high 128) | owed (low 128).
# One slot per holder, written only when the index moved since the last
# settlement, so a holder already settled costs a single SLOAD.
_accounts: HashMap[address, uint256]


event Claimed:
    holder: indexed(address)
    amount: uint256


event Recovered:
    holder: indexed(address)
    to: indexed(address)
    tokens: uint256
    owed: uint256


interface IRecovery:
    def owner() -> address: view
    def frozen(token: address, account: address) -> bool: view
    def on_recovery(sender: address, receiver: address, amount: uint256): nonpayable


@deploy
def __init__(
    name_: String[25],
    symbol_: String[5],
    decimals_: uint8,
    tranche_id_: uint256,
    face_: uint256,
    compliance_: address,
):
    """
    @notice Deployed by the Deal (from a blueprint) once per tranche;
            `msg.sender` becomes the immutable DEAL.
    @param name_ Token name; also the EIP-712 domain name used by `permit`.
    @param symbol_ Token symbol (at most 5 characters).
    @param decimals_ Decimals of the settlement token (face is in its units).
    @param tranche_id_ Seniority position of the tranche (0 = most senior).
    @param face_ Original face in settlement-token units (> 0).
    @param compliance_ Transfer-restriction hook, or the zero address.
    """
    assert face_ > 0, "tranche: zero face"
    assert face_ <= _MASK128, "tranche: face exceeds 128 bits"
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")
    DEAL = msg.sender
    TRANCHE_ID = tranche_id_
    FACE = face_
    self._config = convert(compliance_, uint256)


# ----------------------------------------------------------------- deal only
@external
def mint_face(to: address):
    """
    @notice Mints the whole original face to `to`. Called once by the deal
            at closing; the supply never changes afterwards. Not asked of
            the compliance hook (the issuer is the deal's own party).
    @param to The issuer receiving the tranche at closing.
    """
    assert msg.sender == DEAL, "tranche: caller is not the deal"
    assert erc20.totalSupply == 0, "tranche: already minted"
    assert (self._config >> 160) & _PAUSE_ISSUANCE == 0, "tranche: issuance paused"
    self._settle(to, self._dist >> 128)
    erc20._mint(to, FACE)
    self._config |= _COUNT_ONE  # the issuer: 0 -> 1 holder


@external
def set_config(paused: uint256, compliance: address):
    """
    @notice The deal sets the pause bits (guardian/owner decisions) and the
            compliance hook (governance). Deal only.
    @param paused Pause bits (1 issuance, 2 transfers; < 256).
    @param compliance The transfer-restriction hook, or 0.
    """
    assert msg.sender == DEAL, "tranche: caller is not the deal"
    assert paused <= _PAUSE_MASK, "tranche: pause bits exceed 8"
    self._config = (self._config >> _COUNT_SHIFT << _COUNT_SHIFT) | (paused << 160) | convert(compliance, uint256)


@external
def distribute(cash: uint256):
    """
    @notice Adds a period's tranche cash to the holder index.
    @dev credited += cash; index = floor(credited * INDEX_SCALE / FACE),
         rounded DOWN (favours the deal). Recomputing the index from the
         cumulative cash keeps floor(index * FACE / INDEX_SCALE) <= credited
         at all times, so holders can never be owed more than was credited;
         the uncovered remainder (`carry()`) is covered by later cash.
    @param cash Interest plus principal paid to the tranche this period.
    """
    assert msg.sender == DEAL, "tranche: caller is not the deal"
    credited: uint256 = (self._dist & _MASK128) + cash
    assert credited <= _MASK128, "tranche: credited exceeds 128 bits"
    index: uint256 = credited * INDEX_SCALE // FACE
    assert index <= _MASK128, "tranche: index exceeds 128 bits"
    self._dist = (index << 128) | credited


# ----------------------------------------------------------------- holders
@external
@nonreentrant
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer that first settles both sides' accrued
            distributions at the current index (so the claim follows the
            tokens only from now on) and asks the compliance hook.
    @param to The receiver.
    @param amount Token units (original face) to move.
    @return bool True (reverts on failure).
    """
    self._check_compliance(self._config, msg.sender, to, amount)
    index: uint256 = self._dist >> 128
    self._settle(msg.sender, index)
    self._settle(to, index)
    self._move(msg.sender, to, amount)
    return True


@external
@nonreentrant
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom with the same settlement and compliance
            steps as `transfer`; spends the caller's allowance.
    @param owner The holder the tokens move from.
    @param to The receiver.
    @param amount Token units (original face) to move.
    @return bool True (reverts on failure).
    """
    self._check_compliance(self._config, owner, to, amount)
    erc20._spend_allowance(owner, msg.sender, amount)
    index: uint256 = self._dist >> 128
    self._settle(owner, index)
    self._settle(to, index)
    self._move(owner, to, amount)
    return True


@external
@nonreentrant
def claim() -> uint256:
    """
    @notice Pays the caller everything owed to it so far; the deal transfers
            the settlement token. Owed is zeroed before the external call.
    @return uint256 The amount paid (0 is allowed and pays nothing).
    """
    self._settle(msg.sender, self._dist >> 128)
    acct: uint256 = self._accounts[msg.sender]
    amount: uint256 = acct & _MASK128
    if amount == 0:
        return 0
    self._accounts[msg.sender] = acct ^ amount  # clears the low (owed) field
    extcall IDeal(DEAL).pay(TRANCHE_ID, msg.sender, amount)
    log Claimed(holder=msg.sender, amount=amount)
    return amount


@external
@nonreentrant
def recover(holder: address, to: address) -> (uint256, uint256):
    """
    @notice Governance-approved recovery of a FROZEN holder: moves its
            accrued-but-unclaimed distributions and then all its tokens to
            `to`. Callable only by the compliance hook's owner (the
            governance timelock, which also sets the freeze).
    @dev Settles both sides at the current index, moves the holder's owed
         amount to `to`'s record (no cash moves; `to` claims it), then asks
         `Compliance.on_recovery` (bypasses the holder's freeze only; `to`
         must pass the receiver checks; holder count kept) and moves the
         tokens. Not blocked by the transfer pause (a governance action).
    @param holder The frozen holder.
    @param to The recovery address.
    @return uint256 Token units moved.
    @return uint256 Owed settlement-token units moved.
    """
    hook: address = convert(self._config & _MASK160, address)
    assert hook != empty(address), "tranche: no compliance hook"
    assert to != DEAL and to != self, "tranche: receiver cannot hold tranche tokens"
    assert msg.sender == staticcall IRecovery(hook).owner(), "tranche: caller is not governance"
    assert staticcall IRecovery(hook).frozen(self, holder), "tranche: holder not frozen"
    index: uint256 = self._dist >> 128
    self._settle(holder, index)
    self._settle(to, index)
    acct: uint256 = self._accounts[holder]
    owed: uint256 = acct & _MASK128
    if owed != 0:
        self._accounts[holder] = acct ^ owed
        dest: uint256 = self._accounts[to]
        assert (dest & _MASK128) + owed <= _MASK128, "tranche: owed exceeds 128 bits"
        self._accounts[to] = dest + owed
    tokens: uint256 = erc20.balanceOf[holder]
    extcall IRecovery(hook).on_recovery(holder, to, tokens)
    self._move(holder, to, tokens)
    log Recovered(holder=holder, to=to, tokens=tokens, owed=owed)
    return tokens, owed


# ----------------------------------------------------------------- views
@external
@view
def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice ERC-1404: 0 when a transfer of `amount` from `sender` to
            `receiver` would pass, else the first failing code: the deal's
            transfer pause (TRANSFERS_PAUSED), a receiver that can never
            claim (RECEIVER_CANNOT_HOLD: the deal, this token), then the
            compliance hook's code.
    @param sender From.
    @param receiver To.
    @param amount Token units.
    @return uint8 The restriction code.
    """
    cfg: uint256 = self._config
    if (cfg >> 160) & _PAUSE_TRANSFERS != 0:
        return TRANSFERS_PAUSED
    if receiver == DEAL or receiver == self:
        return RECEIVER_CANNOT_HOLD
    hook: address = convert(cfg & _MASK160, address)
    if hook == empty(address):
        return 0
    return staticcall ICompliance(hook).detect(self, sender, receiver, amount)


@external
@view
def messageForTransferRestriction(code: uint8) -> String[64]:
    """
    @notice ERC-1404 text of restriction `code` (the token's own codes,
            else the compliance hook's).
    @param code The code.
    @return String[64] The message.
    """
    if code == TRANSFERS_PAUSED:
        return "tranche: transfers paused"
    if code == RECEIVER_CANNOT_HOLD:
        return "tranche: receiver cannot hold tranche tokens"
    hook: address = convert(self._config & _MASK160, address)
    if code == 0 or hook == empty(address):
        return "no restriction"
    return staticcall ICompliance(hook).messageForTransferRestriction(code)


@external
@view
def COMPLIANCE() -> address:
    """
    @notice The transfer-restriction hook (0 = none); the deal's owner
            (governance) may replace it through `Deal.set_compliance`.
    @return address The hook.
    """
    return convert(self._config & _MASK160, address)


@external
@view
def paused() -> uint256:
    """
    @notice Pause bits pushed by the deal (1 issuance, 2 transfers).
    @return uint256 The bits.
    """
    return (self._config >> 160) & _PAUSE_MASK


@external
@view
def holder_count() -> uint256:
    """
    @notice Addresses with a non-zero balance (the compliance max-holders
            rule reads it); kept on 0 <-> non-0 transitions, no loop.
    @return uint256 The count.
    """
    return self._config >> _COUNT_SHIFT


@external
@view
def issuance_paused() -> bool:
    """
    @notice Whether the deal's guardian paused issuance (subscription
            sales read this).
    @return bool The pause.
    """
    return (self._config >> 160) & _PAUSE_ISSUANCE != 0


@external
@view
def claimable(holder: address) -> uint256:
    """
    @notice What `claim` would pay `holder` now.
    @dev owed + floor(tokens * (index - last) / INDEX_SCALE), rounded DOWN.
    @param holder The holder.
    @return uint256 Settlement-token units.
    """
    acct: uint256 = self._accounts[holder]
    index: uint256 = self._dist >> 128
    return (acct & _MASK128) + erc20.balanceOf[holder] * (index - (acct >> 128)) // INDEX_SCALE


@external
@view
def index() -> uint256:
    """
    @notice Cumulative distribution per token unit, scaled by INDEX_SCALE.
    @return uint256 The index.
    """
    return self._dist >> 128


@external
@view
def carry() -> uint256:
    """
    @notice Cash credited but not yet covered by the index (covered by a
            later distribution): credited - floor(index * FACE / INDEX_SCALE),
            the division rounded DOWN.
    @return uint256 Settlement-token units (< FACE / INDEX_SCALE + 1).
    """
    dist: uint256 = self._dist
    return (dist & _MASK128) - (dist >> 128) * FACE // INDEX_SCALE


@external
@view
def credited() -> uint256:
    """
    @notice Cumulative cash the deal has credited to this tranche's holders.
    @return uint256 Settlement-token units.
    """
    return self._dist & _MASK128


@external
@view
def account(holder: address) -> (uint256, uint256):
    """
    @notice The holder's stored settlement record.
    @param holder The holder.
    @return uint256 Index at the last settlement.
    @return uint256 Owed amount recorded at that settlement.
    """
    acct: uint256 = self._accounts[holder]
    return acct >> 128, acct & _MASK128


@external
@view
def factor() -> uint256:
    """
    @notice Current balance / original face, read from the deal.
    @dev floor(balance * FACTOR_SCALE / FACE), rounded DOWN.
    @return uint256 The factor scaled by FACTOR_SCALE (10**18 == 1.0).
    """
    return staticcall IDeal(DEAL).tranche_balance(TRANCHE_ID) * FACTOR_SCALE // FACE


@external
@view
def current_face(holder: address) -> uint256:
    """
    @notice The holder's share of the tranche's current balance.
    @dev floor(tokens * balance / FACE), rounded DOWN.
    @param holder The holder.
    @return uint256 Settlement-token units of current face.
    """
    return erc20.balanceOf[holder] * staticcall IDeal(DEAL).tranche_balance(TRANCHE_ID) // FACE


# ----------------------------------------------------------------- internal
@internal
def _settle(holder: address, index: uint256):
    """
    @notice Brings `holder`'s record to `index` (no event: an indexer
            recomputes settlements from Transfer events and the index): accrues
            floor(tokens * (index - last) / INDEX_SCALE) (rounded DOWN; the
            fraction stays in the deal as dust) into owed. No write when the
            record is already at `index`.
    @param holder The holder.
    @param index The current index.
    """
    acct: uint256 = self._accounts[holder]
    last: uint256 = acct >> 128
    if last == index:
        return
    owed: uint256 = (acct & _MASK128) + erc20.balanceOf[holder] * (index - last) // INDEX_SCALE
    assert owed <= _MASK128, "tranche: owed exceeds 128 bits"
    self._accounts[holder] = (index << 128) | owed


@internal
def _move(sender: address, receiver: address, amount: uint256):
    """
    @notice erc20 transfer that keeps `holder_count`: +1 when the receiver
            had no tokens, -1 when the sender moves its whole balance
            (both or neither: unchanged). Reverts (in erc20) on a balance
            below `amount`.
    @param sender From.
    @param receiver To.
    @param amount Token units.
    """
    if amount != 0 and sender != receiver:
        joins: bool = erc20.balanceOf[receiver] == 0
        leaves: bool = erc20.balanceOf[sender] == amount
        if joins and not leaves:
            self._config += _COUNT_ONE
        elif leaves and not joins:
            self._config -= _COUNT_ONE
    erc20._transfer(sender, receiver, amount)


@internal
def _check_compliance(cfg: uint256, sender: address, receiver: address, amount: uint256):
    """
    @notice Refuses a transfer while transfers are paused or to a receiver
            that could never claim (the deal, this token: issue 10), then
            asks the compliance hook (if any) BEFORE balances move; it
            reverts with the ERC-1404 message on a restriction.
    @param cfg The `_config` word.
    @param sender Tokens move from here (zero address = mint).
    @param receiver Tokens move to here.
    @param amount Token units.
    """
    assert (cfg >> 160) & _PAUSE_TRANSFERS == 0, "tranche: transfers paused"
    assert receiver != DEAL and receiver != self, "tranche: receiver cannot hold tranche tokens"
    hook: address = convert(cfg & _MASK160, address)
    if hook != empty(address):
        extcall ICompliance(hook).on_transfer(sender, receiver, amount)

# pragma version ==0.4.3
"""
@title Compliance
@custom:contract-name Compliance
@license Apache-2.0
@notice Transfer restrictions for trancheflow tranche tokens (ERC-1404
        style): an identity registry and per-tranche rules.

        Identity registry (maintained by REGISTRARS): investor ->
        jurisdiction (ISO 3166-1 numeric, 0 = unregistered), investor-class
        bitmask (CLASS_ACCREDITED, CLASS_QIB, CLASS_RETAIL, ...), expiry
        timestamp. An identity is valid while `block.timestamp < expiry`;
        expiry needs no transaction.

        Per-tranche rules (keyed by the tranche token's address; set by the
        OWNER, i.e. the timelock): allowed jurisdictions, allowed classes,
        maximum number of holders (0 = no limit), minimum holding, lock-up
        timestamp (no transfer out before it, except from the mint), frozen
        addresses. A rule key may also be any other contract that sells
        restricted assets (the liquidation auction asks `check_investor`).

        Policy (stated): the RECEIVER must hold a valid identity that the
        rules admit; the SENDER need not (an investor whose KYC lapsed may
        still sell to an eligible buyer), but must not be frozen or locked
        up. Claims of already-accrued distributions never pass through this
        contract (a claim is not a transfer), so they are never blocked.

        Holder count (issue 10): kept by the TOKEN itself
        (`holder_count()`, updated on 0 <-> non-0 balance transitions, no
        loop) and read here, so this contract can be attached to, replaced
        on or detached from a live deal with the max-holders rule exact:
        the token calls `on_transfer` BEFORE balances move and the check
        compares the token's current count.

        The GUARDIAN (or the owner) may pause all transfers; only the owner
        (governance) unpauses.
@custom:security `on_transfer` is callable only by a configured token and
                 re-checks the restriction, so a token cannot skip a rule.
                 It keeps no per-transfer state, so a token calling it
                 through a failure-tolerant path cannot desynchronise it.
"""

from ethereum.ercs import IERC20

from . import IHolderCount
from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from ..interfaces import ICompliance

# @dev Issue 12: a zero-knowledge credential registry (zk/CredentialRegistry.vy).
interface ICredentials:
    def eligible_until(key: address, holder: address) -> uint256: view

implements: ICompliance

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

# ------------------------------------------------------------------ codes
SUCCESS: public(constant(uint8)) = 0
TRANSFERS_PAUSED: public(constant(uint8)) = 1
SENDER_FROZEN: public(constant(uint8)) = 2
RECEIVER_FROZEN: public(constant(uint8)) = 3
RECEIVER_NOT_REGISTERED: public(constant(uint8)) = 4
RECEIVER_IDENTITY_EXPIRED: public(constant(uint8)) = 5
RECEIVER_JURISDICTION_NOT_ALLOWED: public(constant(uint8)) = 6
RECEIVER_CLASS_NOT_ALLOWED: public(constant(uint8)) = 7
SENDER_LOCKED_UP: public(constant(uint8)) = 8
MAX_HOLDERS_REACHED: public(constant(uint8)) = 9
BELOW_MINIMUM_HOLDING: public(constant(uint8)) = 10
UNKNOWN_TRANCHE: public(constant(uint8)) = 11

# ------------------------------------------------------------------ classes
CLASS_ACCREDITED: public(constant(uint8)) = 1
CLASS_QIB: public(constant(uint8)) = 2
CLASS_RETAIL: public(constant(uint8)) = 4
CLASS_NON_US: public(constant(uint8)) = 8


struct Identity:
    jurisdiction: uint16
    classes: uint8
    expiry: uint64


struct Rules:
    configured: bool
    allowed_classes: uint8
    max_holders: uint256
    min_holding: uint256
    lockup_until: uint256


identity: public(HashMap[address, Identity])
rules: public(HashMap[address, Rules])
jurisdiction_allowed: public(HashMap[address, HashMap[uint16, bool]])
frozen: public(HashMap[address, HashMap[address, bool]])
is_registrar: public(HashMap[address, bool])
guardian: public(address)
paused: public(bool)
# @dev Registered trading venues per rule key (issue 11: a TrancheMarket pool).
# A venue is exempt from the minimum-holding rule on its own side only (a pool
# must be able to sell down to zero); every other check applies to it.
is_venue: public(HashMap[address, HashMap[address, bool]])
# @dev Issue 12: where a receiver with no clear-text identity may instead be
# proven eligible by a ZK credential (zero address = none).
credentials: public(address)


event IdentitySet:
    investor: indexed(address)
    jurisdiction: uint16
    classes: uint8
    expiry: uint64
    registrar: indexed(address)


event IdentityRevoked:
    investor: indexed(address)
    registrar: indexed(address)


event RulesSet:
    token: indexed(address)
    allowed_classes: uint8
    max_holders: uint256
    min_holding: uint256
    lockup_until: uint256


event JurisdictionSet:
    token: indexed(address)
    jurisdiction: uint16
    allowed: bool


event FrozenSet:
    token: indexed(address)
    account: indexed(address)
    frozen: bool


event VenueSet:
    token: indexed(address)
    venue: indexed(address)
    active: bool


event RegistrarSet:
    registrar: indexed(address)
    active: bool


event CredentialsSet:
    registry: indexed(address)


event GuardianSet:
    guardian: indexed(address)


event Paused:
    by: indexed(address)


event Unpaused:
    by: indexed(address)


@deploy
def __init__(registrar: address, guardian: address):
    """
    @notice The deployer is the first owner (hand it to the timelock with
            the two-step `transfer_ownership` / `accept_ownership`).
    @param registrar First identity registrar (or the zero address).
    @param guardian May pause transfers (or the zero address).
    """
    ownable.__init__()
    ownable_2step.__init__()
    if registrar != empty(address):
        self.is_registrar[registrar] = True
        log RegistrarSet(registrar=registrar, active=True)
    self.guardian = guardian
    log GuardianSet(guardian=guardian)


# ------------------------------------------------------------------ owner
@external
def set_registrar(registrar: address, active: bool):
    """
    @notice Adds or removes an identity registrar. Owner only.
    @param registrar The registrar.
    @param active True to add, False to remove.
    """
    ownable._check_owner()
    assert registrar != empty(address), "compliance: zero registrar"
    self.is_registrar[registrar] = active
    log RegistrarSet(registrar=registrar, active=active)


@external
def set_guardian(guardian: address):
    """
    @notice Replaces the guardian (zero address: none). Owner only.
    @param guardian The new guardian.
    """
    ownable._check_owner()
    self.guardian = guardian
    log GuardianSet(guardian=guardian)


@external
def set_rules(
    token: address, allowed_classes: uint8, max_holders: uint256, min_holding: uint256, lockup_until: uint256
):
    """
    @notice Sets the rules of tranche `token` (configuring it on first
            use; a live token with holders is fine, its count lives in the
            token). Owner only.
    @param token The tranche token (or another rule key, e.g. an auction).
    @param allowed_classes Bitmask of admitted investor classes (non-zero).
    @param max_holders Maximum holders with a non-zero balance (0 = no limit).
    @param min_holding Minimum non-zero balance a holder may keep.
    @param lockup_until No transfers out (other than the mint) before this
           timestamp.
    """
    ownable._check_owner()
    assert token != empty(address), "compliance: zero token"
    assert allowed_classes != 0, "compliance: no investor class allowed"
    self.rules[token] = Rules(
        configured=True,
        allowed_classes=allowed_classes,
        max_holders=max_holders,
        min_holding=min_holding,
        lockup_until=lockup_until,
    )
    log RulesSet(
        token=token,
        allowed_classes=allowed_classes,
        max_holders=max_holders,
        min_holding=min_holding,
        lockup_until=lockup_until,
    )


@external
def set_jurisdiction(token: address, jurisdiction: uint16, allowed: bool):
    """
    @notice Admits or excludes a jurisdiction for tranche `token`. Owner only.
    @param token The rule key.
    @param jurisdiction ISO 3166-1 numeric code (non-zero).
    @param allowed Whether residents may receive the token.
    """
    ownable._check_owner()
    assert jurisdiction != 0, "compliance: zero jurisdiction"
    self.jurisdiction_allowed[token][jurisdiction] = allowed
    log JurisdictionSet(token=token, jurisdiction=jurisdiction, allowed=allowed)


@external
def set_frozen(token: address, account: address, frozen_: bool):
    """
    @notice Freezes or unfreezes `account` for tranche `token` (no transfer
            in or out; its claims stay payable). Owner only.
    @param token The rule key.
    @param account The account.
    @param frozen_ True to freeze.
    """
    ownable._check_owner()
    self.frozen[token][account] = frozen_
    log FrozenSet(token=token, account=account, frozen=frozen_)


@external
def set_venue(token: address, venue: address, active: bool):
    """
    @notice Registers or removes a trading venue for tranche `token` (it must
            also hold a valid identity to receive tokens). Owner only.
    @param token The rule key.
    @param venue The venue (e.g. the tranche's TrancheMarket pool).
    @param active True to register.
    """
    ownable._check_owner()
    self.is_venue[token][venue] = active
    log VenueSet(token=token, venue=venue, active=active)


@external
def set_credentials(registry: address):
    """
    @notice Attaches (or, with the zero address, detaches) a ZK credential
            registry: a receiver with no clear-text identity passes the
            receiver-side checks while the registry records it eligible for
            the rule key (jurisdiction and class proven in zero knowledge
            against the registry's rule for that key). Owner only.
    @param registry The CredentialRegistry (or the zero address).
    """
    ownable._check_owner()
    self.credentials = registry
    log CredentialsSet(registry=registry)


@external
def pause():
    """
    @notice Pauses every restricted transfer. Guardian or owner.
    """
    assert msg.sender == self.guardian or msg.sender == ownable.owner, "compliance: caller cannot pause"
    self.paused = True
    log Paused(by=msg.sender)


@external
def unpause():
    """
    @notice Lifts the pause. Owner (governance) only.
    """
    ownable._check_owner()
    self.paused = False
    log Unpaused(by=msg.sender)


# ------------------------------------------------------------------ registrar
@external
def register(investor: address, jurisdiction: uint16, classes: uint8, expiry: uint64):
    """
    @notice Records or updates an investor's identity. Registrar only.
    @param investor The investor's address.
    @param jurisdiction ISO 3166-1 numeric code (non-zero).
    @param classes Investor-class bitmask (non-zero).
    @param expiry The identity is valid while block.timestamp < expiry.
    """
    assert self.is_registrar[msg.sender], "compliance: caller is not a registrar"
    assert investor != empty(address), "compliance: zero investor"
    assert jurisdiction != 0, "compliance: zero jurisdiction"
    assert classes != 0, "compliance: no investor class"
    assert convert(expiry, uint256) > block.timestamp, "compliance: expiry in the past"
    self.identity[investor] = Identity(jurisdiction=jurisdiction, classes=classes, expiry=expiry)
    log IdentitySet(
        investor=investor, jurisdiction=jurisdiction, classes=classes, expiry=expiry, registrar=msg.sender
    )


@external
def revoke(investor: address):
    """
    @notice Deletes an investor's identity. Registrar only.
    @param investor The investor.
    """
    assert self.is_registrar[msg.sender], "compliance: caller is not a registrar"
    self.identity[investor] = empty(Identity)
    log IdentityRevoked(investor=investor, registrar=msg.sender)


# ------------------------------------------------------------------ hooks
@external
@view
def detectTransferRestriction(sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice ERC-1404 check of a transfer of the CALLING token (msg.sender).
    @param sender Tokens move from here (zero address = mint).
    @param receiver Tokens move to here.
    @param amount Token units.
    @return uint8 0 when allowed, else a restriction code.
    """
    return self._detect(msg.sender, sender, receiver, amount)


@external
@view
def detect(token: address, sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice The restriction code of a transfer of `token` (for wallets and
            UIs, which are not the token).
    @param token The tranche token.
    @param sender Tokens move from here (zero address = mint).
    @param receiver Tokens move to here.
    @param amount Token units.
    @return uint8 0 when allowed, else a restriction code.
    """
    return self._detect(token, sender, receiver, amount)


@external
@view
def check_investor(key: address, investor: address) -> uint8:
    """
    @notice Whether `investor` may receive assets governed by rule key
            `key` (the receiver-side checks only: pause, frozen, identity,
            jurisdiction, class).
    @param key The rule key (a tranche token or an auction).
    @param investor The prospective receiver.
    @return uint8 0 when eligible, else a restriction code.
    """
    if not self.rules[key].configured:
        return UNKNOWN_TRANCHE
    if self.paused:
        return TRANSFERS_PAUSED
    return self._receiver_code(key, investor, self.rules[key].allowed_classes)


@external
def on_transfer(sender: address, receiver: address, amount: uint256):
    """
    @notice Called by a configured token BEFORE it moves `amount` from
            `sender` to `receiver` (sender zero = mint). Reverts unless the
            transfer is allowed (the token keeps the holder count).
    @param sender Tokens move from here (zero address = mint).
    @param receiver Tokens move to here.
    @param amount Token units.
    """
    token: address = msg.sender
    assert self.rules[token].configured, "compliance: caller is not a configured token"
    code: uint8 = self._detect(token, sender, receiver, amount)
    assert code == SUCCESS, self._message(code)


@external
def on_recovery(sender: address, receiver: address, amount: uint256):
    """
    @notice Called by a configured token BEFORE a governance-approved
            recovery moves a FROZEN `sender`'s whole balance `amount` to
            `receiver` (the token checks the caller is this contract's
            owner). Only the sender's freeze is bypassed: the receiver must
            pass the receiver-side checks. The sender always leaves, so no
            holder limit can be exceeded (the token keeps the count).
    @param sender The frozen holder.
    @param receiver The recovery address.
    @param amount The sender's whole balance.
    """
    token: address = msg.sender
    assert self.rules[token].configured, "compliance: caller is not a configured token"
    assert self.frozen[token][sender], "compliance: sender not frozen"
    code: uint8 = self._receiver_code(token, receiver, self.rules[token].allowed_classes)
    assert code == SUCCESS, self._message(code)


@external
@view
def holder_count(token: address) -> uint256:
    """
    @notice Holders of tranche `token`, as the token counts them.
    @param token The tranche token.
    @return uint256 Addresses with a non-zero balance.
    """
    return staticcall IHolderCount(token).holder_count()


@external
@pure
def messageForTransferRestriction(code: uint8) -> String[64]:
    """
    @notice ERC-1404 human-readable text of restriction `code`.
    @param code The code.
    @return String[64] The message.
    """
    return self._message(code)


@external
@view
def is_valid(investor: address) -> bool:
    """
    @notice Whether `investor` has a registered, unexpired identity.
    @param investor The investor.
    @return bool Validity at this block's timestamp.
    """
    idn: Identity = self.identity[investor]
    return idn.jurisdiction != 0 and convert(idn.expiry, uint256) > block.timestamp


# ------------------------------------------------------------------ internal
@internal
@view
def _receiver_code(key: address, receiver: address, allowed_classes: uint8) -> uint8:
    """
    @notice Receiver-side checks: frozen, registered, unexpired, jurisdiction, class.
    @param key The rule key.
    @param receiver The receiver.
    @param allowed_classes The rule's class mask.
    @return uint8 The first failing code, or SUCCESS.
    """
    if self.frozen[key][receiver]:
        return RECEIVER_FROZEN
    idn: Identity = self.identity[receiver]
    if idn.jurisdiction == 0:
        return self._credential_code(key, receiver)
    if convert(idn.expiry, uint256) <= block.timestamp:
        return RECEIVER_IDENTITY_EXPIRED
    if not self.jurisdiction_allowed[key][idn.jurisdiction]:
        return RECEIVER_JURISDICTION_NOT_ALLOWED
    if idn.classes & allowed_classes == 0:
        return RECEIVER_CLASS_NOT_ALLOWED
    return SUCCESS


@internal
@view
def _credential_code(key: address, receiver: address) -> uint8:
    """
    @notice The code of a receiver with no clear-text identity: SUCCESS while
            the credential registry records it eligible for `key`.
    @param key The rule key.
    @param receiver The receiver.
    @return uint8 SUCCESS, RECEIVER_IDENTITY_EXPIRED or RECEIVER_NOT_REGISTERED.
    """
    if self.credentials == empty(address):
        return RECEIVER_NOT_REGISTERED
    until: uint256 = staticcall ICredentials(self.credentials).eligible_until(key, receiver)
    if until == 0:
        return RECEIVER_NOT_REGISTERED
    if until <= block.timestamp:
        return RECEIVER_IDENTITY_EXPIRED
    return SUCCESS


@internal
@view
def _detect(token: address, sender: address, receiver: address, amount: uint256) -> uint8:
    """
    @notice The restriction code, checks in the order of the code numbers.
    @param token The rule key (the tranche token).
    @param sender From (zero = mint).
    @param receiver To.
    @param amount Units.
    @return uint8 The first failing code, or SUCCESS.
    """
    r: Rules = self.rules[token]
    if not r.configured:
        return UNKNOWN_TRANCHE
    if self.paused:
        return TRANSFERS_PAUSED
    minting: bool = sender == empty(address)
    if not minting and self.frozen[token][sender]:
        return SENDER_FROZEN
    code: uint8 = self._receiver_code(token, receiver, r.allowed_classes)
    if code != SUCCESS:
        return code
    if not minting and block.timestamp < r.lockup_until:
        return SENDER_LOCKED_UP
    if amount == 0 or sender == receiver:
        return SUCCESS
    bal_r: uint256 = staticcall IERC20(token).balanceOf(receiver)
    bal_s: uint256 = 0
    if not minting:
        bal_s = staticcall IERC20(token).balanceOf(sender)
    if r.max_holders != 0 and bal_r == 0:
        # a new holder, unless the sender leaves in the same transfer
        leaving: bool = not minting and bal_s == amount
        if not leaving and staticcall IHolderCount(token).holder_count() >= r.max_holders:
            return MAX_HOLDERS_REACHED
    if bal_r + amount < r.min_holding and not self.is_venue[token][receiver]:
        return BELOW_MINIMUM_HOLDING
    if not minting and bal_s > amount and bal_s - amount < r.min_holding and not self.is_venue[token][sender]:
        return BELOW_MINIMUM_HOLDING
    return SUCCESS


@internal
@pure
def _message(code: uint8) -> String[64]:
    """
    @notice Text of restriction `code`.
    @param code The code.
    @return String[64] The message.
    """
    if code == SUCCESS:
        return "no restriction"
    if code == TRANSFERS_PAUSED:
        return "compliance: transfers paused"
    if code == SENDER_FROZEN:
        return "compliance: sender frozen"
    if code == RECEIVER_FROZEN:
        return "compliance: receiver frozen"
    if code == RECEIVER_NOT_REGISTERED:
        return "compliance: receiver not registered"
    if code == RECEIVER_IDENTITY_EXPIRED:
        return "compliance: receiver identity expired"
    if code == RECEIVER_JURISDICTION_NOT_ALLOWED:
        return "compliance: receiver jurisdiction not allowed"
    if code == RECEIVER_CLASS_NOT_ALLOWED:
        return "compliance: receiver investor class not allowed"
    if code == SENDER_LOCKED_UP:
        return "compliance: sender in lock-up"
    if code == MAX_HOLDERS_REACHED:
        return "compliance: maximum number of holders reached"
    if code == BELOW_MINIMUM_HOLDING:
        return "compliance: balance below minimum holding"
    if code == UNKNOWN_TRANCHE:
        return "compliance: token has no rules"
    return "compliance: unknown restriction code"

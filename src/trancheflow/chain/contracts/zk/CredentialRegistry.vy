# pragma version ~=0.4.3
"""
@title Investor credential registry (zero-knowledge)
@notice Bound to one Compliance contract, whose owner (the deal's governance /
        compliance owner) registers KYC providers' Baby Jubjub public keys and
        each tranche's credential rule (allowed jurisdictions, allowed
        investor-class mask; the same rule key Compliance uses, the tranche
        token's address). A holder proves with a Groth16 proof
        (investor_credential.circom) that a registered provider signed a
        credential of theirs whose jurisdiction and class the rule admits and
        whose expiry is at or after `valid_until`; the registry records the
        holder eligible for that tranche until `valid_until`. Compliance asks
        `eligible_until` for a receiver with no clear-text identity. The
        jurisdiction, the classes and the exact expiry never reach the chain.
@dev Circuit public inputs: [holder | valid_until << 160, kyc_ax, kyc_ay,
     rule_word0, rule_word1]. rule_word0 packs 25 ISO 3166-1 numeric codes, 10 bits each;
     rule_word1 packs 24 more (bits 0-239) and the class mask (bits 240-247).
     The holder is a public input, so a proof cannot be replayed for another
     address; the key and rule come from storage, so a proof under another
     key or rule does not verify. A recorded eligibility lapses at
     `valid_until` (no transaction), when its provider's key is revoked, and
     when the tranche's rule changes (its version moves).
     Nothing here loops over holders; nothing here can stop a claim or a
     period finalizing (Compliance only reads `eligible_until` for transfers).
"""

interface IVerifier:
    def verify(proof: uint256[8], inputs: uint256[5]) -> bool: view


interface IOwned:
    def owner() -> address: view


struct KycKey:
    ax: uint256
    ay: uint256
    active: bool


struct CredentialRule:
    word0: uint256
    word1: uint256
    version: uint256


#: Scalar field of BN254 = Baby Jubjub's base field.
P: constant(uint256) = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Baby Jubjub (EIP-2494): a x^2 + y^2 = 1 + d x^2 y^2.
BJJ_A: constant(uint256) = 168700
BJJ_D: constant(uint256) = 168696
MAX_JURISDICTIONS: constant(uint256) = 49

COMPLIANCE: public(immutable(address))
VERIFIER: public(immutable(address))

kyc_keys: public(HashMap[uint256, KycKey])
rules: public(HashMap[address, CredentialRule])
#: Per rule key and holder, one storage word (one SSTORE per proof):
#: valid_until (bits 0-63) | key_id (bits 64-159) | rule version (bits 160-255).
eligibility: public(HashMap[address, HashMap[address, uint256]])
#: Longest eligibility one proof may record, seconds from now (0 = no cap).
max_validity: public(uint256)


event KycKeySet:
    key_id: indexed(uint256)
    ax: uint256
    ay: uint256


event KycKeyRevoked:
    key_id: indexed(uint256)


event CredentialRuleSet:
    token: indexed(address)
    word0: uint256
    word1: uint256
    version: uint256


event MaxValiditySet:
    seconds: uint256


event EligibilityProven:
    token: indexed(address)
    holder: indexed(address)
    key_id: indexed(uint256)
    valid_until: uint256


event EligibilityRevoked:
    token: indexed(address)
    holder: indexed(address)


@deploy
def __init__(compliance: address, verifier: address, max_validity: uint256):
    """
    @param compliance The Compliance contract whose owner administers this registry.
    @param verifier The generated Groth16 verifier of investor_credential.circom.
    @param max_validity Longest eligibility one proof may record, seconds (0 = no cap).
    """
    assert compliance != empty(address) and verifier != empty(address), "credential: zero address"
    COMPLIANCE = compliance
    VERIFIER = verifier
    self.max_validity = max_validity


@internal
@view
def _check_owner():
    assert msg.sender == staticcall IOwned(COMPLIANCE).owner(), "credential: caller is not the compliance owner"


@internal
@pure
def _on_curve(x: uint256, y: uint256) -> bool:
    """
    @notice Whether (x, y) is a Baby Jubjub point with canonical coordinates.
    """
    if x >= P or y >= P:
        return False
    x2: uint256 = uint256_mulmod(x, x, P)
    y2: uint256 = uint256_mulmod(y, y, P)
    lhs: uint256 = uint256_addmod(uint256_mulmod(BJJ_A, x2, P), y2, P)
    rhs: uint256 = uint256_addmod(1, uint256_mulmod(uint256_mulmod(BJJ_D, x2, P), y2, P), P)
    return lhs == rhs


@external
def set_kyc_key(key_id: uint256, ax: uint256, ay: uint256):
    """
    @notice Registers KYC provider key `key_id` (ids are never reused). Compliance owner only.
    @param key_id A new id.
    @param ax The provider's public key, x.
    @param ay The provider's public key, y.
    """
    self._check_owner()
    assert self.kyc_keys[key_id].ax == 0 and self.kyc_keys[key_id].ay == 0, "credential: key id in use"
    assert self._on_curve(ax, ay), "credential: key is not a Baby Jubjub point"
    assert ax != 0, "credential: identity point is not a key"
    self.kyc_keys[key_id] = KycKey(ax=ax, ay=ay, active=True)
    log KycKeySet(key_id=key_id, ax=ax, ay=ay)


@external
def revoke_kyc_key(key_id: uint256):
    """
    @notice Revokes a provider key: every eligibility proven under it lapses. Compliance owner only.
    @param key_id The key.
    """
    self._check_owner()
    assert self.kyc_keys[key_id].active, "credential: unknown or revoked KYC key"
    self.kyc_keys[key_id].active = False
    log KycKeyRevoked(key_id=key_id)


@external
def set_rule(token: address, jurisdictions: DynArray[uint16, MAX_JURISDICTIONS], classes: uint8):
    """
    @notice Sets tranche `token`'s credential rule; eligibilities proven under an
            earlier rule lapse. Compliance owner only.
    @param token The rule key (the tranche token, as in Compliance).
    @param jurisdictions Allowed ISO 3166-1 numeric codes (1..999), at most 49.
    @param classes Allowed investor-class bitmask (non-zero).
    """
    self._check_owner()
    assert token != empty(address), "credential: zero token"
    assert len(jurisdictions) != 0, "credential: no jurisdiction allowed"
    assert classes != 0, "credential: no investor class allowed"
    w0: uint256 = 0
    w1: uint256 = 0
    i: uint256 = 0
    for code: uint16 in jurisdictions:
        assert code != 0 and code < 1000, "credential: jurisdiction not an ISO numeric code"
        if i < 25:
            w0 |= convert(code, uint256) << (10 * i)
        else:
            w1 |= convert(code, uint256) << (10 * (i - 25))
        i += 1
    w1 |= convert(classes, uint256) << 240
    version: uint256 = self.rules[token].version + 1
    self.rules[token] = CredentialRule(word0=w0, word1=w1, version=version)
    log CredentialRuleSet(token=token, word0=w0, word1=w1, version=version)


@external
def set_max_validity(seconds: uint256):
    """
    @notice Caps how far ahead one proof may record eligibility (0 = no cap). Compliance owner only.
    @param seconds The cap.
    """
    self._check_owner()
    self.max_validity = seconds
    log MaxValiditySet(seconds=seconds)


@external
def revoke(token: address, holder: address):
    """
    @notice Clears `holder`'s recorded eligibility for `token`. Compliance owner only.
    @param token The rule key.
    @param holder The holder.
    """
    self._check_owner()
    self.eligibility[token][holder] = 0
    log EligibilityRevoked(token=token, holder=holder)


@external
def prove_eligibility(holder: address, token: address, key_id: uint256, valid_until: uint256, proof: uint256[8]):
    """
    @notice Verifies a credential proof and records `holder` eligible for `token`
            until `valid_until`. Anyone may submit (the proof is bound to `holder`).
    @dev Reverts: "credential: no rule for this tranche", "credential: unknown or
         revoked KYC key", "credential: expired (valid_until not in the future)",
         "credential: valid_until out of range" (>= 2^64),
         "credential: valid_until beyond the maximum validity", "credential: proof
         does not verify"
         (a wrong proof, another holder's proof, another key's or rule's).
    @param holder The investor the credential names.
    @param token The rule key.
    @param key_id The registered provider key that signed the credential.
    @param valid_until Chosen by the prover, at most the credential's expiry.
    @param proof Groth16 proof words (A, B imaginary first, C).
    """
    assert holder != empty(address), "credential: zero holder"
    rule: CredentialRule = self.rules[token]
    assert rule.version != 0, "credential: no rule for this tranche"
    key: KycKey = self.kyc_keys[key_id]
    assert key.active, "credential: unknown or revoked KYC key"
    assert valid_until > block.timestamp, "credential: expired (valid_until not in the future)"
    assert valid_until < 2**64, "credential: valid_until out of range"
    assert key_id < 2**96 and rule.version < 2**96, "credential: key id or rule version too large"
    cap: uint256 = self.max_validity
    if cap != 0:
        assert valid_until <= block.timestamp + cap, "credential: valid_until beyond the maximum validity"
    # One public input binds holder and valid_until (160 + 64 bits, below the field modulus).
    bound: uint256 = convert(holder, uint256) | (valid_until << 160)
    inputs: uint256[5] = [bound, key.ax, key.ay, rule.word0, rule.word1]
    assert staticcall IVerifier(VERIFIER).verify(proof, inputs), "credential: proof does not verify"
    self.eligibility[token][holder] = valid_until | (key_id << 64) | (rule.version << 160)
    log EligibilityProven(token=token, holder=holder, key_id=key_id, valid_until=valid_until)


@external
@view
def eligible_until(token: address, holder: address) -> uint256:
    """
    @notice Until when `holder` is proven eligible for `token` (0 = not, or lapsed
            by a key revocation or a rule change). Compliance compares it with
            block.timestamp.
    @param token The rule key.
    @param holder The holder.
    @return uint256 The recorded valid_until, or 0.
    """
    word: uint256 = self.eligibility[token][holder]
    until: uint256 = word & (2**64 - 1)
    if until == 0 or (word >> 160) != self.rules[token].version:
        return 0
    if not self.kyc_keys[(word >> 64) & (2**96 - 1)].active:
        return 0
    return until

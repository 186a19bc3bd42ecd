# pragma version ==0.4.3
"""
@title Liquidation
@custom:contract-name Liquidation
@license Apache-2.0
@notice Property-value oracle and descending-price (Dutch) auction of
        defaulted mortgage notes of one trancheflow deal.

        1. Property values: an appraisal report (loan id, value, as-of
           timestamp) attested by M-of-N registered signers with EIP-712
           (domain "trancheflow Liquidation", version "1", this chain and
           contract), signers strictly ascending; newer than the stored one.
        2. Marking: anyone (a keeper) proves a loan's servicer data against
           the deal's LATEST finalized loan-level root (`latest_loan_root`):
           leaf = keccak256(keccak256(abi_encode(loan_id, balance,
           days_delinquent))), sorted-pair proof. The
           loan is marked when it is 90+ days delinquent, or when balance /
           property value exceeds the LTV threshold, on an appraisal at most
           `max_appraisal_age` seconds old. When governance has set an
           eligibility registry (`set_eligibility`), the loan must also be
           proven in the deal's committed Poseidon pool there
           (`EligibilityRegistry.proven_key`, keyed by this same loan id):
           the Groth16 proof showed it is a committed loan meeting the deal's
           criteria without revealing its attributes.
        3. Auction: the price falls linearly from the property value to
           FLOOR_BPS of it over AUCTION_DURATION seconds; the first eligible
           buyer (Compliance `check_investor(self, buyer) == 0`) pays the
           current price. Up to the note's balance (at marking) the
           proceeds are held for the deal (`take_recoveries`, recoveries of
           the next period's waterfall); the excess is the BORROWER's
           surplus, held here per loan until the servicer's remittance
           account (`surplus_recipient`, set by governance) pulls it with
           `claim_surplus` to remit it to the borrower (docs/waterfall.md).
           A live auction whose loan the latest root shows no longer
           liquidatable (cured, or re-appraised under the LTV threshold)
           is cancelled by anyone with `unmark`.
        4. Unsold: after the auction ends anyone may `expire` it; the loan
           then falls back to the servicer's reported recovery, expected
           RECOVERY_LAG seconds later.
@custom:security Internal accounting: `recoveries_held` counts auction
                 proceeds up to the note balances only and `surplus_held`
                 the rest; a donation never becomes either. The deal calls
                 `take_recoveries` through a call that tolerates failure: a
                 revert here undoes this side entirely. The price rounds
                 DOWN (buyers pay at most the linear price; floor reachable).
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator
from snekmate.utils import merkle_proof_verification as merkle

from . import ILiquidatedDeal

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: eip712_domain_separator

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    eip712_domain_separator.eip712Domain,
)


interface ICheckInvestor:
    def check_investor(key: address, investor: address) -> uint8: view


interface IEligibility:
    def proven_key(loan_id: bytes32) -> bool: view


MAX_SIGNERS: constant(uint256) = 16
RATE_SCALE: public(constant(uint256)) = 10**9
BPS: constant(uint256) = 10_000
DELINQUENT_DAYS: public(constant(uint256)) = 90
# @dev Appraisal age bound at deployment (governance may change it):
# 180 days, an illustrative default, not a regulatory figure.
DEFAULT_MAX_APPRAISAL_AGE: public(constant(uint256)) = 180 * 86_400

_VALUE_TYPEHASH: constant(bytes32) = keccak256(
    "PropertyValue(bytes32 loanId,uint256 value,uint256 asOf)"
)
VALUE_TYPE_HASH: public(constant(bytes32)) = _VALUE_TYPEHASH

STATUS_NONE: public(constant(uint8)) = 0
STATUS_AUCTION: public(constant(uint8)) = 1
STATUS_SOLD: public(constant(uint8)) = 2
STATUS_UNSOLD: public(constant(uint8)) = 3

DEAL: public(immutable(address))
SETTLEMENT: public(immutable(address))
COMPLIANCE: public(immutable(address))
AUCTION_DURATION: public(immutable(uint256))
FLOOR_BPS: public(immutable(uint256))
RECOVERY_LAG: public(immutable(uint256))


struct Auction:
    status: uint8
    balance: uint256
    start: uint256
    start_price: uint256
    floor_price: uint256
    buyer: address
    proceeds: uint256  # the price paid
    surplus: uint256  # proceeds above the note balance still held for the borrower


is_signer: public(HashMap[address, bool])
signer_count: public(uint256)
quorum: public(uint256)
ltv_threshold: public(uint256)
collateral_value: public(HashMap[bytes32, uint256])
value_as_of: public(HashMap[bytes32, uint256])
auctions: public(HashMap[bytes32, Auction])
recoveries_held: public(uint256)
surplus_held: public(uint256)
max_appraisal_age: public(uint256)
surplus_recipient: public(address)
# @dev The deal's EligibilityRegistry (0 = none: marking needs no ZK proof).
eligibility: public(address)


event PropertyValued:
    loan_id: indexed(bytes32)
    value: uint256
    as_of: uint256


event LoanMarked:
    loan_id: indexed(bytes32)
    balance: uint256
    days_delinquent: uint256
    ltv: uint256
    start_price: uint256
    floor_price: uint256
    keeper: indexed(address)


event NoteSold:
    loan_id: indexed(bytes32)
    buyer: indexed(address)
    price: uint256


event AuctionCancelled:
    loan_id: indexed(bytes32)
    days_delinquent: uint256
    keeper: indexed(address)


event AuctionExpired:
    loan_id: indexed(bytes32)
    servicer_recovery_after: uint256


event RecoveriesReleased:
    amount: uint256


event SurplusHeld:
    loan_id: indexed(bytes32)
    amount: uint256


event SurplusRemitted:
    loan_id: indexed(bytes32)
    to: indexed(address)
    amount: uint256


event MaxAppraisalAgeSet:
    age: uint256


event SurplusRecipientSet:
    recipient: indexed(address)


event EligibilitySet:
    registry: indexed(address)


event SignerSet:
    signer: indexed(address)
    active: bool


event QuorumSet:
    quorum: uint256


event LtvThresholdSet:
    threshold: uint256


@deploy
def __init__(
    deal_: address,
    settlement_: address,
    compliance_: address,
    signers_: DynArray[address, MAX_SIGNERS],
    quorum_: uint256,
    ltv_threshold_: uint256,
    auction_duration_: uint256,
    floor_bps_: uint256,
    recovery_lag_: uint256,
):
    """
    @notice Liquidation for one deal. The deployer is the first owner.
    @param deal_ The deal (source of known loan-level roots; receives recoveries).
    @param settlement_ The settlement token buyers pay in.
    @param compliance_ The Compliance contract (rule key: this contract).
    @param signers_ Property-value signers (distinct, non-zero).
    @param quorum_ M of M-of-N.
    @param ltv_threshold_ Balance / value above which a loan is marked (RATE_SCALE).
    @param auction_duration_ Seconds from start price to floor price (> 0).
    @param floor_bps_ Floor as basis points of the start price (<= 10,000).
    @param recovery_lag_ Seconds after an unsold auction before the
           servicer's reported recovery is expected.
    """
    assert deal_ != empty(address) and settlement_ != empty(address), "liquidation: zero address"
    assert compliance_ != empty(address), "liquidation: zero compliance"
    assert quorum_ > 0 and quorum_ <= len(signers_), "liquidation: quorum out of range"
    assert auction_duration_ > 0, "liquidation: zero auction duration"
    assert floor_bps_ <= BPS, "liquidation: floor above 100%"
    ownable.__init__()
    ownable_2step.__init__()
    eip712_domain_separator.__init__("trancheflow Liquidation", "1")
    DEAL = deal_
    SETTLEMENT = settlement_
    COMPLIANCE = compliance_
    AUCTION_DURATION = auction_duration_
    FLOOR_BPS = floor_bps_
    RECOVERY_LAG = recovery_lag_
    for s: address in signers_:
        assert s != empty(address), "liquidation: zero signer"
        assert not self.is_signer[s], "liquidation: duplicate signer"
        self.is_signer[s] = True
        log SignerSet(signer=s, active=True)
    self.signer_count = len(signers_)
    self.quorum = quorum_
    self.ltv_threshold = ltv_threshold_
    log LtvThresholdSet(threshold=ltv_threshold_)
    self.max_appraisal_age = DEFAULT_MAX_APPRAISAL_AGE
    log MaxAppraisalAgeSet(age=DEFAULT_MAX_APPRAISAL_AGE)


# ------------------------------------------------------------------ owner
@external
def set_signer(signer: address, active: bool):
    """
    @notice Adds or removes a property-value signer. Owner (governance) only.
    @param signer The signer.
    @param active True to add.
    """
    ownable._check_owner()
    assert signer != empty(address), "liquidation: zero signer"
    if active != self.is_signer[signer]:
        self.is_signer[signer] = active
        if active:
            self.signer_count += 1
        else:
            self.signer_count -= 1
            assert self.quorum <= self.signer_count, "liquidation: quorum would exceed signers"
    log SignerSet(signer=signer, active=active)


@external
def set_quorum(quorum_: uint256):
    """
    @notice Sets M. Owner (governance) only.
    @param quorum_ 1 <= quorum <= signer_count.
    """
    ownable._check_owner()
    assert quorum_ > 0 and quorum_ <= self.signer_count, "liquidation: quorum out of range"
    self.quorum = quorum_
    log QuorumSet(quorum=quorum_)


@external
def set_ltv_threshold(threshold: uint256):
    """
    @notice Sets the LTV above which a loan is marked. Owner (governance) only.
    @param threshold At RATE_SCALE (e.g. 1.0e9 = 100%).
    """
    ownable._check_owner()
    assert threshold > 0, "liquidation: zero threshold"
    self.ltv_threshold = threshold
    log LtvThresholdSet(threshold=threshold)


@external
def set_max_appraisal_age(age: uint256):
    """
    @notice Sets how old (seconds before the mark) an appraisal may be.
            Owner (governance) only.
    @param age Seconds (> 0).
    """
    ownable._check_owner()
    assert age > 0, "liquidation: zero appraisal age"
    self.max_appraisal_age = age
    log MaxAppraisalAgeSet(age=age)


@external
def set_surplus_recipient(recipient: address):
    """
    @notice Sets the servicer's remittance account that pulls borrower
            surplus (0 = none yet: surplus stays held). Owner only.
    @param recipient The account.
    """
    ownable._check_owner()
    self.surplus_recipient = recipient
    log SurplusRecipientSet(recipient=recipient)


@external
def set_eligibility(registry: address):
    """
    @notice Sets the deal's EligibilityRegistry: from then on a loan can be
            marked only once it is proven in the committed Poseidon pool
            there. 0 turns the requirement off. Owner only.
    @custom:security Liveness: an unproven loan cannot be marked until
                     anyone submits its proof (the issuer's batch job proves
                     every loan); governance can turn the requirement off.
    @param registry The registry (0 = none).
    """
    ownable._check_owner()
    self.eligibility = registry
    log EligibilitySet(registry=registry)


# ------------------------------------------------------------------ oracle
@external
def report_value(
    loan_id: bytes32, amount: uint256, as_of: uint256, signatures: DynArray[Bytes[65], MAX_SIGNERS]
):
    """
    @notice Records a property value attested by at least `quorum` signers.
            Anyone may relay it; `as_of` must be newer than the stored value
            and not in the future (replay protection).
    @param loan_id The loan.
    @param amount Property value (settlement-token units).
    @param as_of Appraisal timestamp.
    @param signatures Signatures over `value_digest(...)`, ascending signer order.
    """
    assert as_of > self.value_as_of[loan_id], "liquidation: stale property value"
    assert as_of <= block.timestamp, "liquidation: property value from the future"
    self._check_signatures(self._value_digest(loan_id, amount, as_of), signatures)
    self.collateral_value[loan_id] = amount
    self.value_as_of[loan_id] = as_of
    log PropertyValued(loan_id=loan_id, value=amount, as_of=as_of)


# ------------------------------------------------------------------ keeper
@external
def mark(
    loan_id: bytes32,
    balance: uint256,
    days_delinquent: uint256,
    proof: DynArray[bytes32, 255],
    root: bytes32,
):
    """
    @notice Starts the auction of a loan proven 90+ days delinquent, or
            with LTV above the threshold, in the deal's latest finalized
            loan-level root, on a fresh appraisal.
    @custom:security Stale data (audit finding 3): an older root or an old
                     appraisal could force a since-cured loan into auction.
    @param loan_id The loan.
    @param balance Its balance in that period's servicer data.
    @param days_delinquent Its days delinquent in that data.
    @param proof Merkle proof of the leaf under `root`.
    @param root The deal's `latest_loan_root()` (a stale one fails clearly).
    """
    assert self.auctions[loan_id].status == STATUS_NONE, "liquidation: loan already marked"
    if self.eligibility != empty(address):
        assert staticcall IEligibility(self.eligibility).proven_key(loan_id), "liquidation: loan not proven in the committed pool"
    self._check_latest(loan_id, balance, days_delinquent, proof, root)
    value: uint256 = self.collateral_value[loan_id]
    assert value > 0, "liquidation: no property value"
    assert block.timestamp - self.value_as_of[loan_id] <= self.max_appraisal_age, "liquidation: property value too old"
    ltv: uint256 = balance * RATE_SCALE // value  # rounds down
    over: bool = balance * RATE_SCALE > self.ltv_threshold * value
    assert days_delinquent >= DELINQUENT_DAYS or over, "liquidation: loan not liquidatable"
    floor_price: uint256 = value * FLOOR_BPS // BPS  # rounds down
    self.auctions[loan_id] = Auction(
        status=STATUS_AUCTION,
        balance=balance,
        start=block.timestamp,
        start_price=value,
        floor_price=floor_price,
        buyer=empty(address),
        proceeds=0,
        surplus=0,
    )
    log LoanMarked(
        loan_id=loan_id,
        balance=balance,
        days_delinquent=days_delinquent,
        ltv=ltv,
        start_price=value,
        floor_price=floor_price,
        keeper=msg.sender,
    )


@external
def unmark(
    loan_id: bytes32,
    balance: uint256,
    days_delinquent: uint256,
    proof: DynArray[bytes32, 255],
    root: bytes32,
):
    """
    @notice Cancels a live, unsold auction when the deal's latest loan-level
            root and a fresh appraisal (as for `mark`) show the loan is no
            longer liquidatable: under 90 days delinquent and LTV at most
            the threshold. Anyone (e.g. the servicer or the borrower's keeper).
    @custom:security Audit finding 3: a loan cured after its mark cannot
                     then be bought at the floor.
    @param loan_id The loan.
    @param balance Its balance in the latest servicer data.
    @param days_delinquent Its days delinquent there.
    @param proof Merkle proof under `root`.
    @param root The deal's `latest_loan_root()`.
    """
    assert self.auctions[loan_id].status == STATUS_AUCTION, "liquidation: no live auction"
    self._check_latest(loan_id, balance, days_delinquent, proof, root)
    assert block.timestamp - self.value_as_of[loan_id] <= self.max_appraisal_age, "liquidation: property value too old"
    over: bool = balance * RATE_SCALE > self.ltv_threshold * self.collateral_value[loan_id]
    assert days_delinquent < DELINQUENT_DAYS and not over, "liquidation: loan still liquidatable"
    self.auctions[loan_id] = empty(Auction)
    log AuctionCancelled(loan_id=loan_id, days_delinquent=days_delinquent, keeper=msg.sender)


# ------------------------------------------------------------------ auction
@external
@nonreentrant
def bid(loan_id: bytes32, max_price: uint256) -> uint256:
    """
    @notice Buys the note at the current price (at most `max_price`). The
            caller must be an eligible investor under this contract's
            compliance rules. The deal gets at most the note's balance;
            the rest is held as the borrower's surplus.
    @custom:security Audit finding 3: proceeds above the note balance would
                     lower the pool balance below the real collateral.
    @param loan_id The loan.
    @param max_price Slippage bound.
    @return uint256 The price paid.
    """
    a: Auction = self.auctions[loan_id]
    assert a.status == STATUS_AUCTION, "liquidation: no live auction"
    assert block.timestamp < a.start + AUCTION_DURATION, "liquidation: auction ended"
    code: uint8 = staticcall ICheckInvestor(COMPLIANCE).check_investor(self, msg.sender)
    assert code == 0, "liquidation: buyer not eligible"
    price: uint256 = self._price(a)
    assert price <= max_price, "liquidation: price above max_price"
    to_deal: uint256 = min(price, a.balance)
    a.status = STATUS_SOLD
    a.buyer = msg.sender
    a.proceeds = price
    a.surplus = price - to_deal
    self.auctions[loan_id] = a
    self.recoveries_held += to_deal
    if a.surplus > 0:
        self.surplus_held += a.surplus
        log SurplusHeld(loan_id=loan_id, amount=a.surplus)
    before: uint256 = staticcall IERC20(SETTLEMENT).balanceOf(self)
    assert extcall IERC20(SETTLEMENT).transferFrom(msg.sender, self, price, default_return_value=True), "liquidation: transferFrom failed"
    assert staticcall IERC20(SETTLEMENT).balanceOf(self) - before == price, "liquidation: received amount differs"
    log NoteSold(loan_id=loan_id, buyer=msg.sender, price=price)
    return price


@external
def expire(loan_id: bytes32):
    """
    @notice Ends an unsold auction; the loan falls back to the servicer's
            reported recovery after RECOVERY_LAG. Anyone.
    @param loan_id The loan.
    """
    a: Auction = self.auctions[loan_id]
    assert a.status == STATUS_AUCTION, "liquidation: no live auction"
    assert block.timestamp >= a.start + AUCTION_DURATION, "liquidation: auction still running"
    self.auctions[loan_id].status = STATUS_UNSOLD
    log AuctionExpired(loan_id=loan_id, servicer_recovery_after=block.timestamp + RECOVERY_LAG)


@external
@nonreentrant
def take_recoveries() -> uint256:
    """
    @notice Transfers the held auction proceeds to the deal, to enter the
            next period's waterfall as recoveries. Deal only.
    @return uint256 Units transferred.
    """
    assert msg.sender == DEAL, "liquidation: caller is not the deal"
    amount: uint256 = self.recoveries_held
    if amount > 0:
        self.recoveries_held = 0
        assert extcall IERC20(SETTLEMENT).transfer(DEAL, amount, default_return_value=True), "liquidation: transfer failed"
    log RecoveriesReleased(amount=amount)
    return amount


@external
@nonreentrant
def claim_surplus(loan_id: bytes32) -> uint256:
    """
    @notice Pays a sold loan's borrower surplus to the servicer's
            remittance account, which remits it to the borrower. Pull:
            callable only by `surplus_recipient`.
    @param loan_id The loan.
    @return uint256 Units paid.
    """
    assert msg.sender == self.surplus_recipient and msg.sender != empty(address), "liquidation: caller is not the surplus recipient"
    amount: uint256 = self.auctions[loan_id].surplus
    assert amount > 0, "liquidation: no surplus"
    self.auctions[loan_id].surplus = 0
    self.surplus_held -= amount
    assert extcall IERC20(SETTLEMENT).transfer(msg.sender, amount, default_return_value=True), "liquidation: transfer failed"
    log SurplusRemitted(loan_id=loan_id, to=msg.sender, amount=amount)
    return amount


# ------------------------------------------------------------------ views
@external
@view
def price(loan_id: bytes32) -> uint256:
    """
    @notice Current auction price of `loan_id` (0 when no live auction).
    @param loan_id The loan.
    @return uint256 Units.
    """
    a: Auction = self.auctions[loan_id]
    if a.status != STATUS_AUCTION:
        return 0
    return self._price(a)


@external
@view
def value_digest(loan_id: bytes32, amount: uint256, as_of: uint256) -> bytes32:
    """
    @notice The EIP-712 digest signers sign for a property value.
    @param loan_id The loan.
    @param amount Property value (units).
    @param as_of Appraisal timestamp.
    @return bytes32 The digest.
    """
    return self._value_digest(loan_id, amount, as_of)


# ------------------------------------------------------------------ internal
@internal
@view
def _check_latest(
    loan_id: bytes32, balance: uint256, days_delinquent: uint256, proof: DynArray[bytes32, 255], root: bytes32
):
    """
    @notice Reverts unless `root` is the deal's latest finalized loan-level
            root and `proof` proves the loan's leaf under it.
    @param loan_id The loan.
    @param balance Its balance.
    @param days_delinquent Its days delinquent.
    @param proof Sorted-pair Merkle proof.
    @param root The claimed root.
    """
    latest: bytes32 = staticcall ILiquidatedDeal(DEAL).latest_loan_root()
    assert root == latest and root != empty(bytes32), "liquidation: not the latest finalized loan root"
    leaf: bytes32 = keccak256(keccak256(abi_encode(loan_id, balance, days_delinquent)))
    assert merkle._verify(proof, root, leaf), "liquidation: loan data not proven"



@internal
@view
def _price(a: Auction) -> uint256:
    """
    @notice start - (start - floor) * elapsed / duration, the subtracted
            term rounded DOWN; the floor once the duration has passed.
    @param a The auction.
    @return uint256 Units.
    """
    elapsed: uint256 = min(block.timestamp - a.start, AUCTION_DURATION)
    return a.start_price - (a.start_price - a.floor_price) * elapsed // AUCTION_DURATION


@internal
@view
def _value_digest(loan_id: bytes32, amount: uint256, as_of: uint256) -> bytes32:
    """
    @notice EIP-712 digest of PropertyValue(loanId, value, asOf).
    @param loan_id The loan.
    @param amount Units.
    @param as_of Timestamp.
    @return bytes32 The digest.
    """
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(_VALUE_TYPEHASH, loan_id, amount, as_of))
    )


@internal
@view
def _check_signatures(digest: bytes32, signatures: DynArray[Bytes[65], MAX_SIGNERS]):
    """
    @notice Reverts unless >= quorum distinct registered signers signed
            `digest`, in strictly ascending signer order.
    @param digest The digest.
    @param signatures The signatures.
    """
    last: uint256 = 0
    count: uint256 = 0
    for sig: Bytes[65] in signatures:
        signer: address = ecdsa._recover_sig(digest, sig)
        assert self.is_signer[signer], "liquidation: signature from a non-signer"
        as_int: uint256 = convert(signer, uint256)
        assert as_int > last, "liquidation: signers not strictly ascending"
        last = as_int
        count += 1
    assert count >= self.quorum, "liquidation: quorum not met"

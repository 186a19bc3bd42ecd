# pragma version ==0.4.3
"""
@title Deal
@custom:contract-name Deal
@license Apache-2.0
@notice The on-chain execution of a trancheflow deal: holds the settlement
        token, the deal parameters, the keccak hash of the canonical deal
        spec and the loan-tape Merkle root; accepts one servicer report per
        period attested by M-of-N oracle signers (EIP-712), keeps it open for
        a dispute window, then runs the waterfall of docs/waterfall.md to the
        unit and credits each tranche token's holder index.

        Cash flow: the servicer's report pulls exactly the reported cash
        (interest + scheduled principal + prepayments + recoveries) with
        `transferFrom`. After finalization the cash is owed to, and stays in
        this contract until claimed by: tranche holders (through the tranche
        tokens, which call `pay`), fee recipients (`claim_fee`), the residual
        holder (`claim_residual`), or the reserve fund (internal). All of it
        is INTERNAL accounting; `balanceOf(self)` is read only to check that
        a deposit arrived in full, never to compute a payout, so a donation
        of settlement tokens changes nothing.

        Residual: held by a single `residual_holder` address with a claimable
        balance (`residual_owed`), transferable by its current holder via
        `set_residual_holder`. A period's residual is every unit the waterfall
        leaves (excess interest, reserve release, principal left over after
        every tranche is retired, and all rounding remainders).
@custom:security Every division rounds DOWN (stated at each one); what a
                 rounding leaves behind stays in the available cash and
                 ends in the residual, so nothing is created or lost.
                 All state-changing external functions share one
                 non-reentrancy lock (transient storage).
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator
from snekmate.utils import merkle_proof_verification as merkle

from .interfaces import IDeal
from .interfaces import ITrancheToken

implements: IDeal

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: eip712_domain_separator

# @dev Two-step ownership (snekmate ownable_2step): the owner (in production
# the governance timelock) proposes, the new owner accepts.
exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    eip712_domain_separator.eip712Domain,
)


interface IInsuranceFund:
    def cover(amount: uint256) -> uint256: nonpayable
    def pay_premium(amount: uint256): nonpayable


interface ILiquidation:
    def take_recoveries() -> uint256: nonpayable
    def recoveries_held() -> uint256: view


interface ITokenConfig:
    def set_config(paused: uint256, compliance: address): nonpayable

# ------------------------------------------------------------------ constants
MAX_TRANCHES: public(constant(uint256)) = 16
MAX_FEES: constant(uint256) = 4
MAX_TRIGGERS: constant(uint256) = 8
MAX_SIGNERS: constant(uint256) = 16
# @dev Rates (coupons, fee rates, targets, thresholds) are integers at 1e9.
RATE_SCALE: public(constant(uint256)) = 10**9
# @dev 30/360 monthly accrual divisor: mdiv(x, r) = floor(x * r / (12 * RATE_SCALE)).
_MONTHLY: constant(uint256) = 12 * 10**9

# @dev Encodings shared with trancheflow.deal.params (RULE_IDS, DIRECTIONS,
# METRIC_IDS, NO_RULE), so OnchainParams pass through unchanged.
RULE_SEQUENTIAL: constant(uint8) = 0
RULE_PRO_RATA: constant(uint8) = 1
NO_RULE: constant(uint8) = 255
DIRECTION_ABOVE: constant(uint8) = 0
DIRECTION_BELOW: constant(uint8) = 1

METRIC_CUMULATIVE_LOSS_PCT: constant(uint8) = 0
METRIC_DELINQUENCY_60_PCT: constant(uint8) = 1
METRIC_OC_RATIO: constant(uint8) = 2
METRIC_IC_RATIO: constant(uint8) = 3

_MASK128: constant(uint256) = 2**128 - 1
_MASK64: constant(uint256) = 2**64 - 1
_MASK63: constant(uint256) = 2**63 - 1
_MASK160: constant(uint256) = 2**160 - 1
_COUPON_MASK: constant(uint256) = 2**127 - 1
_PENDING_FLAG: constant(uint256) = 2**255

# @dev Pause bits (guardian pauses, owner unpauses). Issuance: closing and
# subscription sales; transfers: tranche-token transfers; reports: new
# servicer reports. Claims, payouts and finalizing a submitted report are
# never pausable.
PAUSE_ISSUANCE: public(constant(uint256)) = 1
PAUSE_TRANSFERS: public(constant(uint256)) = 2
PAUSE_REPORTS: public(constant(uint256)) = 4
_PAUSE_ALL: constant(uint256) = 7
# @dev Flag bits of `_state` above the breached byte (bits 200..207):
# bit 200 an insurance fund is set, bit 201 a liquidation contract is set,
# bits 202..204 the pause bits. Kept in `_state` because submit and finalize
# read that word anyway, so a deal without fund or liquidation pays nothing.
_FLAG_FUND: constant(uint256) = 1 << 200
_FLAG_LIQ: constant(uint256) = 1 << 201
_PAUSE_SHIFT: constant(uint256) = 202

# @dev EIP-712 type of the servicer report; field order == struct Report.
_REPORT_TYPEHASH: constant(bytes32) = keccak256(
    "Report(uint256 period,uint256 interest,uint256 scheduledPrincipal,uint256 prepayments,uint256 recoveries,uint256 losses,uint256 dq30Count,uint256 dq30Balance,uint256 dq60Count,uint256 dq60Balance,uint256 dq90Count,uint256 dq90Balance,uint256 foreclosureCount,uint256 foreclosureBalance,uint256 reoCount,uint256 reoBalance,bytes32 loansRoot)"
)

# ------------------------------------------------------------------ structs
struct TrancheParams:
    name: String[25]
    symbol: String[5]
    original: uint256
    coupon: uint256
    accrual: bool


struct FeeParams:
    recipient: address
    rate: uint256


struct TriggerParams:
    metric: uint8
    direction: uint8
    threshold: uint256
    then_rule: uint8


# @dev Range governance may move a trigger threshold within, fixed at deployment.
struct ThresholdBounds:
    lower: uint256
    upper: uint256


# @dev The servicer report (EIP-712 typed data "Report"). dq90 = 90+ days.
struct Report:
    period: uint256
    interest: uint256
    scheduled_principal: uint256
    prepayments: uint256
    recoveries: uint256
    losses: uint256
    dq30_count: uint256
    dq30_balance: uint256
    dq60_count: uint256
    dq60_balance: uint256
    dq90_count: uint256
    dq90_balance: uint256
    foreclosure_count: uint256
    foreclosure_balance: uint256
    reo_count: uint256
    reo_balance: uint256
    loans_root: bytes32


# @dev What the waterfall needs from a report; its keccak is committed at
# submission and re-checked at `finalize`, which takes it as calldata.
struct PeriodInput:
    period: uint256
    interest: uint256
    scheduled_principal: uint256
    prepayments: uint256
    recoveries: uint256
    losses: uint256
    delinquent_60_plus: uint256

# ------------------------------------------------------------------ immutables
SETTLEMENT: public(immutable(address))
SPEC_HASH: public(immutable(bytes32))
TAPE_ROOT: public(immutable(bytes32))
ORIGINAL_POOL_BALANCE: public(immutable(uint256))
PRINCIPAL_RULE: public(immutable(uint8))
RESERVE_TARGET: public(immutable(uint256))
RESERVE_FLOOR: public(immutable(uint256))
OC_TARGET: public(immutable(uint256))

_N_TRANCHES: immutable(uint256)
# @dev Packed per tranche (immutables are appended to the runtime code, so
# packing keeps the deal under the EIP-170 size limit): accrual flag (bit
# 255) | coupon at RATE_SCALE (bits 128..254) | original (low 128).
_TRANCHE: immutable(uint256[MAX_TRANCHES])
_TOKEN: immutable(address[MAX_TRANCHES])

_N_FEES: immutable(uint256)
# @dev Packed per fee: rate at RATE_SCALE (high 96) | recipient (low 160).
_FEE: immutable(uint256[MAX_FEES])

_N_TRIGGERS: immutable(uint256)
# @dev Packed per trigger: upper bound (bits 128..191) | lower bound (bits
# 64..127) of its threshold | then-rule (bits 16..23) | direction (bits
# 8..15) | metric (bits 0..7).
_TRIG: immutable(uint256[MAX_TRIGGERS])

# ------------------------------------------------------------------ storage
servicer: public(address)
guardian: public(address)
residual_holder: public(address)
is_signer: public(HashMap[address, bool])
signer_count: public(uint256)
quorum: public(uint256)
closed: public(bool)
# @dev Seconds a NEW report stays vetoable (a submitted report keeps the
# window it was submitted under, stored in `_pending`).
dispute_window: public(uint256)
# @dev The tranche tokens' transfer-restriction hook (0 = none).
compliance: public(address)
# @dev Trigger thresholds, 64 bits each, four per word (trigger k in word
# k // 4 at bit 64 * (k % 4)); governance moves them within the bounds.
_trig_threshold: uint256[2]
# @dev The first-loss fund (0 = none) and its annual premium at RATE_SCALE;
# read only when the fund flag of `_state` is set.
insurance_fund: public(address)
insurance_premium_rate: public(uint256)
# @dev The liquidation contract whose auction proceeds are taken at
# finalize (0 = none), and proceeds taken but not yet applied (they
# exceeded their period's pool room; held by this deal).
liquidation: public(address)
auction_proceeds_carried: public(uint256)

# @dev Packed per tranche: interest_shortfall (high 128) | balance (low 128).
_tranche_state: uint256[MAX_TRANCHES]
# @dev Packed per fee: owed (high 128) | fee_shortfall (low 128).
_fee_state: uint256[MAX_FEES]
# @dev cumulative_loss (high 128) | pool_balance (low 128).
_pool: uint256
# @dev flags (bits 200..207, see _FLAG_*) | breached bitmap (bits 192..199) |
# period (bits 128..191) | reserve (low 128).
_state: uint256
residual_owed: public(uint256)

# @dev keccak256(abi_encode(PeriodInput)) of the report awaiting finalization.
pending_hash: public(bytes32)
# @dev flag (bit 255) | dispute window (bits 192..254) | submitted_at
# (bits 128..191) | cash (low 128).
_pending: uint256
pending_root: public(bytes32)
# @dev True while the pending report carries realized losses (the insurance
# fund blocks withdrawals meanwhile, so underwriters cannot run from a known loss).
loss_pending: public(bool)
# @dev Loan-level Merkle root -> the period whose report carried it.
root_period: public(HashMap[bytes32, uint256])

# ------------------------------------------------------------------ events
event Closed:
    issuer: indexed(address)


event ReportSubmitted:
    period: indexed(uint256)
    digest: bytes32
    inputs_hash: bytes32
    cash: uint256
    report: Report


event ReportVetoed:
    period: indexed(uint256)
    by: indexed(address)
    cash_returned: uint256


event TriggerBreached:
    trigger: indexed(uint256)
    period: uint256


event PeriodFinalized:
    period: indexed(uint256)
    pool_balance: uint256
    cumulative_loss: uint256
    reserve: uint256
    residual: uint256
    breached: uint256
    principal_rule: uint8
    fees_paid: DynArray[uint256, MAX_FEES]
    interest_paid: DynArray[uint256, MAX_TRANCHES]
    principal_paid: DynArray[uint256, MAX_TRANCHES]
    writedown: DynArray[uint256, MAX_TRANCHES]
    balance: DynArray[uint256, MAX_TRANCHES]
    # appended by issue 7 (decoders read fields by name)
    insurance_premium: uint256
    insurance_cover: uint256
    auction_proceeds: uint256


event Paid:
    tranche: indexed(uint256)
    holder: indexed(address)
    amount: uint256


event FeeClaimed:
    fee: indexed(uint256)
    recipient: indexed(address)
    amount: uint256


event ResidualClaimed:
    holder: indexed(address)
    amount: uint256


event SignerSet:
    signer: indexed(address)
    active: bool


event QuorumSet:
    quorum: uint256


event ServicerSet:
    servicer: indexed(address)


event GuardianSet:
    guardian: indexed(address)


event ResidualHolderSet:
    holder: indexed(address)


event Paused:
    by: indexed(address)
    paused: uint256


event Unpaused:
    by: indexed(address)
    paused: uint256


event DisputeWindowSet:
    dispute_window: uint256


event TriggerThresholdSet:
    trigger: indexed(uint256)
    threshold: uint256


event ComplianceSet:
    compliance: indexed(address)


event InsuranceFundSet:
    fund: indexed(address)
    premium_rate: uint256


event LiquidationSet:
    liquidation: indexed(address)


# ------------------------------------------------------------------ constructor
@deploy
def __init__(
    settlement: address,
    token_blueprint: address,
    spec_hash: bytes32,
    tape_root: bytes32,
    pool_balance: uint256,
    tranches: DynArray[TrancheParams, MAX_TRANCHES],
    fees: DynArray[FeeParams, MAX_FEES],
    principal_rule: uint8,
    reserve_target: uint256,
    reserve_floor: uint256,
    oc_target: uint256,
    triggers: DynArray[TriggerParams, MAX_TRIGGERS],
    signers: DynArray[address, MAX_SIGNERS],
    quorum: uint256,
    dispute_window: uint256,
    servicer: address,
    guardian: address,
    residual_holder: address,
    compliance: address,
    insurance_fund: address,
    premium_rate: uint256,
    liquidation: address,
    trigger_bounds: DynArray[ThresholdBounds, MAX_TRIGGERS],
):
    """
    @notice Creates the deal and deploys one TrancheToken per tranche from
            `token_blueprint` (EIP-5202). The deployer becomes the owner
            (hand it to the governance timelock with the two-step
            `transfer_ownership` / `accept_ownership`).
    @param settlement The settlement token (e.g. USDC); amounts are its units.
    @param token_blueprint Blueprint of TrancheToken.
    @param spec_hash keccak256 of the canonical JSON of the deal spec.
    @param tape_root Merkle root of the loan tape at closing.
    @param pool_balance Initial pool balance (units), > 0.
    @param tranches Non-residual tranches, most senior first.
    @param fees Fees in spec order (rate at RATE_SCALE on the pool balance).
    @param principal_rule 0 sequential, 1 pro rata.
    @param reserve_target Reserve target at RATE_SCALE of the pool balance.
    @param reserve_floor Reserve floor (units).
    @param oc_target OC target at RATE_SCALE of the pool balance.
    @param triggers Triggers in spec order.
    @param signers Oracle signers (distinct, non-zero).
    @param quorum M of the M-of-N attestation, 1 <= M <= N.
    @param dispute_window Seconds a report stays vetoable before finalizing.
    @param servicer The only address that may submit reports.
    @param guardian May veto reports during the dispute window.
    @param residual_holder Receives the residual.
    @param compliance Transfer-restriction hook for the tranche tokens (or 0).
    @param insurance_fund First-loss fund (InsuranceFund.vy) or 0 for none.
    @param premium_rate Annual premium on the pool balance at RATE_SCALE
           (docs/waterfall.md step 3b); must be 0 without a fund.
    @param liquidation Liquidation contract whose auction proceeds enter
           the waterfall as recoveries at finalize, or 0 for none.
    @param trigger_bounds Per trigger, the range governance may move its
           threshold within; empty = every threshold fixed (or one entry
           per trigger).
    """
    assert settlement != empty(address), "deal: zero settlement token"
    assert servicer != empty(address), "deal: zero servicer"
    assert guardian != empty(address), "deal: zero guardian"
    assert residual_holder != empty(address), "deal: zero residual holder"
    assert pool_balance > 0 and pool_balance <= _MASK128, "deal: pool balance out of range"
    assert len(tranches) > 0, "deal: no tranches"
    assert principal_rule == RULE_SEQUENTIAL or principal_rule == RULE_PRO_RATA, "deal: bad principal rule"
    assert quorum > 0 and quorum <= len(signers), "deal: quorum out of range"
    assert dispute_window <= _MASK63, "deal: dispute window out of range"
    assert len(trigger_bounds) == 0 or len(trigger_bounds) == len(triggers), "deal: one threshold bound per trigger"

    ownable.__init__()
    ownable_2step.__init__()
    eip712_domain_separator.__init__("trancheflow Deal", "1")

    SETTLEMENT = settlement
    SPEC_HASH = spec_hash
    TAPE_ROOT = tape_root
    ORIGINAL_POOL_BALANCE = pool_balance
    PRINCIPAL_RULE = principal_rule
    RESERVE_TARGET = reserve_target
    RESERVE_FLOOR = reserve_floor
    OC_TARGET = oc_target

    decimals: uint8 = staticcall IERC20Detailed(settlement).decimals()
    tranche: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    token: address[MAX_TRANCHES] = empty(address[MAX_TRANCHES])
    i: uint256 = 0
    for t: TrancheParams in tranches:
        assert t.original > 0 and t.original <= _MASK128, "deal: tranche original out of range"
        assert t.coupon <= RATE_SCALE, "deal: coupon above 100%"
        tranche[i] = (t.coupon << 128) | t.original
        if t.accrual:
            tranche[i] |= 1 << 255
        token[i] = create_from_blueprint(
            token_blueprint, t.name, t.symbol, decimals, i, t.original, compliance
        )
        self._tranche_state[i] = t.original
        i += 1
    _N_TRANCHES = len(tranches)
    _TRANCHE = tranche
    _TOKEN = token

    fee: uint256[MAX_FEES] = empty(uint256[MAX_FEES])
    i = 0
    for f: FeeParams in fees:
        assert f.recipient != empty(address), "deal: zero fee recipient"
        assert f.rate <= RATE_SCALE, "deal: fee rate above 100%"
        fee[i] = (f.rate << 160) | convert(f.recipient, uint256)
        i += 1
    _N_FEES = len(fees)
    _FEE = fee

    trig: uint256[MAX_TRIGGERS] = empty(uint256[MAX_TRIGGERS])
    packed: uint256[2] = empty(uint256[2])
    i = 0
    for g: TriggerParams in triggers:
        assert g.metric <= METRIC_IC_RATIO, "deal: unknown trigger metric"
        assert g.direction <= DIRECTION_BELOW, "deal: bad trigger direction"
        assert g.then_rule <= RULE_PRO_RATA or g.then_rule == NO_RULE, "deal: bad trigger rule"
        # thresholds are cross-multiplied with amounts < 2**128
        assert g.threshold <= _MASK64, "deal: trigger threshold out of range"
        lower: uint256 = g.threshold
        upper: uint256 = g.threshold
        if len(trigger_bounds) > 0:
            lower = trigger_bounds[i].lower
            upper = trigger_bounds[i].upper
            assert lower <= g.threshold and g.threshold <= upper, "deal: threshold out of bounds"
            assert upper <= _MASK64, "deal: trigger threshold out of range"
        trig[i] = (
            (upper << 128)
            | (lower << 64)
            | (convert(g.then_rule, uint256) << 16)
            | (convert(g.direction, uint256) << 8)
            | convert(g.metric, uint256)
        )
        packed[i // 4] |= g.threshold << (64 * (i % 4))
        i += 1
    _N_TRIGGERS = len(triggers)
    _TRIG = trig
    self._trig_threshold = packed

    for s: address in signers:
        assert s != empty(address), "deal: zero signer"
        assert not self.is_signer[s], "deal: duplicate signer"
        self.is_signer[s] = True
        log SignerSet(signer=s, active=True)
    self.signer_count = len(signers)
    self.quorum = quorum
    self.servicer = servicer
    self.guardian = guardian
    self.residual_holder = residual_holder
    self._pool = pool_balance
    self.dispute_window = dispute_window
    self.compliance = compliance
    flags: uint256 = 0
    self._set_fund(insurance_fund, premium_rate)
    if insurance_fund != empty(address):
        flags |= _FLAG_FUND
    if liquidation != empty(address):
        self.liquidation = liquidation
        flags |= _FLAG_LIQ
    self._state = flags


# ------------------------------------------------------------------ admin
@external
@nonreentrant
def close(issuer: address):
    """
    @notice Closing: mints every tranche's original face to `issuer`.
            Reports are accepted only after closing. Owner only, once.
    @param issuer Receives all tranche tokens.
    """
    ownable._check_owner()
    assert not self.closed, "deal: already closed"
    assert issuer != empty(address), "deal: zero issuer"
    assert (self._state >> _PAUSE_SHIFT) & PAUSE_ISSUANCE == 0, "deal: issuance paused"
    self.closed = True
    for i: uint256 in range(_N_TRANCHES, bound=MAX_TRANCHES):
        extcall ITrancheToken(_TOKEN[i]).mint_face(issuer)
    log Closed(issuer=issuer)


@external
def set_signer(signer: address, active: bool):
    """
    @notice Registers or removes an oracle signer. Owner only. The quorum
            must stay reachable (quorum <= number of signers).
    @param signer The signer.
    @param active True to register, False to remove.
    """
    ownable._check_owner()
    assert signer != empty(address), "deal: zero signer"
    if active != self.is_signer[signer]:
        self.is_signer[signer] = active
        if active:
            self.signer_count += 1
        else:
            self.signer_count -= 1
            assert self.quorum <= self.signer_count, "deal: quorum would exceed signers"
    log SignerSet(signer=signer, active=active)


@external
def set_quorum(quorum: uint256):
    """
    @notice Sets M of the M-of-N attestation. Owner only.
    @param quorum 1 <= quorum <= signer_count.
    """
    ownable._check_owner()
    assert quorum > 0 and quorum <= self.signer_count, "deal: quorum out of range"
    self.quorum = quorum
    log QuorumSet(quorum=quorum)


@external
def set_servicer(servicer: address):
    """
    @notice Replaces the servicer. Owner only; refused while a report is
            pending (its cash is returned to the servicer that sent it).
    @param servicer The new servicer.
    """
    ownable._check_owner()
    assert servicer != empty(address), "deal: zero servicer"
    self._check_idle()
    self.servicer = servicer
    log ServicerSet(servicer=servicer)


@external
def set_guardian(guardian: address):
    """
    @notice Replaces the guardian. Owner only.
    @param guardian The new guardian.
    """
    ownable._check_owner()
    assert guardian != empty(address), "deal: zero guardian"
    self.guardian = guardian
    log GuardianSet(guardian=guardian)


@external
def set_dispute_window(dispute_window: uint256):
    """
    @notice Sets the dispute window of reports submitted from now on (a
            pending report keeps its own). Owner (governance) only.
    @param dispute_window Seconds, < 2**63.
    """
    ownable._check_owner()
    assert dispute_window <= _MASK63, "deal: dispute window out of range"
    self.dispute_window = dispute_window
    log DisputeWindowSet(dispute_window=dispute_window)


@external
def set_trigger_threshold(trigger_id: uint256, threshold: uint256):
    """
    @notice Moves trigger `trigger_id`'s threshold within the bounds fixed
            at deployment (`trigger_threshold`). Owner (governance) only.
            A trigger already breached stays breached (sticky).
    @param trigger_id The trigger (spec order).
    @param threshold New threshold at RATE_SCALE.
    """
    ownable._check_owner()
    self._check_trigger(trigger_id)
    tw: uint256 = _TRIG[trigger_id]
    assert (tw >> 64) & _MASK64 <= threshold and threshold <= (tw >> 128) & _MASK64, "deal: threshold out of bounds"
    w: uint256 = trigger_id // 4
    bit: uint256 = 64 * (trigger_id % 4)
    self._trig_threshold[w] = (self._trig_threshold[w] & ~(_MASK64 << bit)) | (threshold << bit)
    log TriggerThresholdSet(trigger=trigger_id, threshold=threshold)


@external
def set_compliance(compliance: address):
    """
    @notice Replaces the tranche tokens' transfer-restriction hook (0 =
            none). Owner (governance) only. Claims are never gated.
    @param compliance The new hook.
    """
    ownable._check_owner()
    self.compliance = compliance
    self._push_token_config((self._state >> _PAUSE_SHIFT) & _PAUSE_ALL, compliance)
    log ComplianceSet(compliance=compliance)


@external
def set_insurance_fund(fund: address, premium_rate: uint256):
    """
    @notice Attaches, replaces or (fund = 0) detaches the first-loss fund
            and sets its premium rate. Owner (governance) only; refused
            while a report is pending. The fund must be bound to this deal
            (`InsuranceFund.set_deal`) before the next finalize.
    @param fund InsuranceFund bound to this deal, or 0.
    @param premium_rate Annual premium at RATE_SCALE (0 without a fund).
    """
    ownable._check_owner()
    self._check_idle()
    self._set_fund(fund, premium_rate)
    if fund == empty(address):
        self._state = self._state & ~_FLAG_FUND
    else:
        self._state = self._state | _FLAG_FUND
    log InsuranceFundSet(fund=fund, premium_rate=premium_rate)


@external
def set_liquidation(liquidation: address):
    """
    @notice Attaches, replaces or (0) detaches the liquidation contract
            whose auction proceeds enter the waterfall as recoveries.
            Proceeds already taken and not yet applied stay with the deal.
            Owner (governance) only; refused while a report is pending.
    @param liquidation Liquidation.vy deployed for this deal, or 0.
    """
    ownable._check_owner()
    self._check_idle()
    self.liquidation = liquidation
    if liquidation == empty(address):
        self._state = self._state & ~_FLAG_LIQ
    else:
        self._state = self._state | _FLAG_LIQ
    log LiquidationSet(liquidation=liquidation)


@external
def pause(what: uint256):
    """
    @notice Pauses issuance (PAUSE_ISSUANCE: closing, subscription sales),
            tranche transfers (PAUSE_TRANSFERS) and/or new reports
            (PAUSE_REPORTS). The guardian or the owner. Never pauses
            claims, fee/residual payouts or finalizing a submitted report,
            and moves no funds. Only the owner can unpause.
    @param what OR of the PAUSE_* bits to add.
    """
    assert msg.sender == self.guardian or msg.sender == ownable.owner, "deal: caller is not the guardian"
    assert what != 0, "deal: nothing to pause"
    self._check_pause_bits(what)
    st: uint256 = self._state
    paused: uint256 = ((st >> _PAUSE_SHIFT) & _PAUSE_ALL) | what
    self._state = st | (what << _PAUSE_SHIFT)
    self._push_token_config(paused, self.compliance)
    log Paused(by=msg.sender, paused=paused)


@external
def unpause(what: uint256):
    """
    @notice Lifts the PAUSE_* bits in `what`. Owner (governance) only: the
            guardian can pause but never unpause.
    @param what OR of the PAUSE_* bits to clear.
    """
    ownable._check_owner()
    self._check_pause_bits(what)
    st: uint256 = self._state & ~(what << _PAUSE_SHIFT)
    self._state = st
    paused: uint256 = (st >> _PAUSE_SHIFT) & _PAUSE_ALL
    self._push_token_config(paused, self.compliance)
    log Unpaused(by=msg.sender, paused=paused)


@external
def set_residual_holder(holder: address):
    """
    @notice Transfers the residual interest (future residual and anything
            not yet claimed). Current residual holder only.
    @param holder The new residual holder.
    """
    assert msg.sender == self.residual_holder, "deal: caller is not the residual holder"
    assert holder != empty(address), "deal: zero residual holder"
    self.residual_holder = holder
    log ResidualHolderSet(holder=holder)


# ------------------------------------------------------------------ reports
@external
@nonreentrant
def submit_report(report: Report, signatures: DynArray[Bytes[65], MAX_SIGNERS]):
    """
    @notice The servicer submits the next period's report with its cash,
            attested by at least `quorum` registered signers (EIP-712 over
            this deal and chain; signatures ordered by strictly ascending
            signer address, which rejects duplicates). Pulls exactly
            interest + scheduled principal + prepayments + recoveries with
            `transferFrom` and checks the deal's balance rose by that much.
    @param report The report (see struct Report).
    @param signatures 65-byte secp256k1 signatures over `report_digest(report)`.
    """
    assert msg.sender == self.servicer, "deal: caller is not the servicer"
    assert self.closed, "deal: not closed"
    self._check_idle()
    st: uint256 = self._state
    assert (st >> _PAUSE_SHIFT) & PAUSE_REPORTS == 0, "deal: reports paused"
    period: uint256 = (st >> 128) & _MASK64
    assert report.period == period + 1, "deal: wrong period"
    principal: uint256 = report.scheduled_principal + report.prepayments + report.recoveries
    pool: uint256 = self._pool & _MASK128
    assert principal + report.losses <= pool, "deal: principal and losses exceed pool balance"
    if st & _FLAG_LIQ != 0 and principal + report.losses > 0:
        # auction proceeds held or carried enter this period as recoveries; a
        # report without principal or losses is exempt, so proceeds above
        # the pool can never block the deal
        held: uint256 = self.auction_proceeds_carried + staticcall ILiquidation(self.liquidation).recoveries_held()
        assert principal + report.losses + held <= pool, "deal: auction proceeds exceed pool balance"
    cash: uint256 = report.interest + principal
    assert cash <= _MASK128, "deal: cash exceeds 128 bits"

    digest: bytes32 = self._report_digest(report)
    self._check_signatures(digest, signatures)

    inputs: PeriodInput = PeriodInput(
        period=report.period,
        interest=report.interest,
        scheduled_principal=report.scheduled_principal,
        prepayments=report.prepayments,
        recoveries=report.recoveries,
        losses=report.losses,
        delinquent_60_plus=report.dq60_balance
        + report.dq90_balance
        + report.foreclosure_balance
        + report.reo_balance,
    )
    inputs_hash: bytes32 = keccak256(abi_encode(inputs))
    self.pending_hash = inputs_hash
    self._pending = _PENDING_FLAG | (self.dispute_window << 192) | (block.timestamp << 128) | cash
    self.pending_root = report.loans_root
    self.root_period[report.loans_root] = report.period
    self.loss_pending = report.losses > 0

    if cash > 0:
        before: uint256 = staticcall IERC20(SETTLEMENT).balanceOf(self)
        assert extcall IERC20(SETTLEMENT).transferFrom(
            msg.sender, self, cash, default_return_value=True
        ), "deal: transferFrom failed"
        after: uint256 = staticcall IERC20(SETTLEMENT).balanceOf(self)
        assert after - before == cash, "deal: deposited cash differs from reported cash"

    log ReportSubmitted(
        period=report.period, digest=digest, inputs_hash=inputs_hash, cash=cash, report=report
    )


@external
@nonreentrant
def veto():
    """
    @notice Rejects the pending report during its dispute window; the cash
            goes back to the servicer and the period stays open for a
            corrected report. A registered signer or the guardian only.
    """
    assert msg.sender == self.guardian or self.is_signer[msg.sender], "deal: caller cannot veto"
    pending: uint256 = self._pending
    assert pending != 0, "deal: no pending report"
    assert block.timestamp < ((pending >> 128) & _MASK64) + ((pending >> 192) & _MASK63), "deal: dispute window closed"
    cash: uint256 = pending & _MASK128
    self._pending = 0
    self.pending_hash = empty(bytes32)
    self.loss_pending = False
    self.root_period[self.pending_root] = 0
    self.pending_root = empty(bytes32)
    if cash > 0:
        self._send(self.servicer, cash)
    log ReportVetoed(period=((self._state >> 128) & _MASK64) + 1, by=msg.sender, cash_returned=cash)


@external
@nonreentrant
def finalize(inputs: PeriodInput):
    """
    @notice After the dispute window anyone may finalize the pending report:
            runs the waterfall and credits the tranche indexes. `inputs` are
            the report's waterfall fields (as in ReportSubmitted); they must
            hash to the commitment stored at submission. Never paused.

            With a liquidation contract, the auction proceeds it holds are
            taken here and added to the period's recoveries, up to the
            room `pool balance - reported principal - losses`; any excess
            (a bid during the dispute window) is carried to the next period
            (docs/waterfall.md, "Liquidation (auction) proceeds").
    @param inputs The pending report's PeriodInput.
    """
    pending: uint256 = self._pending
    assert pending != 0, "deal: no pending report"
    assert block.timestamp >= ((pending >> 128) & _MASK64) + ((pending >> 192) & _MASK63), "deal: dispute window open"
    assert keccak256(abi_encode(inputs)) == self.pending_hash, "deal: inputs differ from the pending report"
    self._pending = 0
    self.pending_hash = empty(bytes32)
    self.loss_pending = False
    auction: uint256 = 0
    if self._state & _FLAG_LIQ != 0:
        auction = self._take_proceeds(inputs)
    self._run_waterfall(inputs, auction)


# ------------------------------------------------------------------ payouts
@external
@nonreentrant
def pay(tranche_id: uint256, holder: address, amount: uint256):
    """
    @notice Transfers `amount` of the settlement token to `holder` on behalf
            of tranche `tranche_id`. Only that tranche's token may call (it
            has already zeroed the holder's owed amount).
    @param tranche_id The tranche.
    @param holder The claiming holder.
    @param amount Units to pay.
    """
    assert tranche_id < _N_TRANCHES and msg.sender == _TOKEN[tranche_id], "deal: caller is not the tranche token"
    self._send(holder, amount)


@external
@nonreentrant
def claim_fee(fee_id: uint256) -> uint256:
    """
    @notice Pays fee `fee_id`'s accrued amount to its fixed recipient.
            Anyone may trigger it.
    @param fee_id The fee (spec order).
    @return uint256 Units paid.
    """
    self._check_fee(fee_id)
    state: uint256 = self._fee_state[fee_id]
    amount: uint256 = state >> 128
    if amount == 0:
        return 0
    self._fee_state[fee_id] = state & _MASK128
    recipient: address = convert(_FEE[fee_id] & _MASK160, address)
    self._send(recipient, amount)
    log FeeClaimed(fee=fee_id, recipient=recipient, amount=amount)
    return amount


@external
@nonreentrant
def claim_residual() -> uint256:
    """
    @notice Pays the accrued residual to the residual holder. Anyone may
            trigger it.
    @return uint256 Units paid.
    """
    amount: uint256 = self.residual_owed
    if amount == 0:
        return 0
    self.residual_owed = 0
    holder: address = self.residual_holder
    self._send(holder, amount)
    log ResidualClaimed(holder=holder, amount=amount)
    return amount


# ------------------------------------------------------------------ views
@external
@view
def report_digest(report: Report) -> bytes32:
    """
    @notice The EIP-712 digest signers sign for `report` on this deal/chain.
    @param report The report.
    @return bytes32 keccak256(0x1901, domainSeparator, hashStruct(report)).
    """
    return self._report_digest(report)


@external
@view
def domain_separator() -> bytes32:
    """
    @notice The EIP-712 domain separator (name "trancheflow Deal", version
            "1", this chain id, this contract).
    @return bytes32 The separator.
    """
    return eip712_domain_separator._domain_separator_v4()


@external
@view
def verify_loan(leaf: bytes32, proof: DynArray[bytes32, 255], root: bytes32) -> bool:
    """
    @notice True when `root` is the tape root or the loan-level root of a
            finalized period, and `proof` proves `leaf` under it (sorted-pair
            keccak Merkle tree, snekmate merkle_proof_verification).
    @param leaf The leaf hash.
    @param proof Sibling hashes from leaf to root.
    @param root The claimed root.
    @return bool Whether the proof holds against a known root.
    """
    if root != TAPE_ROOT:
        p: uint256 = self.root_period[root]
        if p == 0 or p > (self._state >> 128) & _MASK64:
            return False
    return merkle._verify(proof, root, leaf)


@external
@view
def pending_report() -> (bool, uint256, uint256, bytes32):
    """
    @notice The pending report, if any.
    @return bool Whether one is pending.
    @return uint256 Its submission timestamp.
    @return uint256 The cash it deposited.
    @return bytes32 Its PeriodInput commitment.
    """
    p: uint256 = self._pending
    return p != 0, (p >> 128) & _MASK64, p & _MASK128, self.pending_hash


@external
@view
def tranche_count() -> uint256:
    """
    @notice Number of non-residual tranches.
    @return uint256 The count.
    """
    return _N_TRANCHES


@external
@view
def tranche_token(tranche_id: uint256) -> address:
    """
    @notice The TrancheToken of tranche `tranche_id`.
    @param tranche_id The tranche.
    @return address The token.
    """
    self._check_tranche(tranche_id)
    return _TOKEN[tranche_id]


@external
@view
def tranche_balance(tranche_id: uint256) -> uint256:
    """
    @notice Current face of tranche `tranche_id` (units).
    @param tranche_id The tranche.
    @return uint256 The balance.
    """
    self._check_tranche(tranche_id)
    return self._tranche_state[tranche_id] & _MASK128


@external
@view
def interest_shortfall(tranche_id: uint256) -> uint256:
    """
    @notice Unpaid interest carried forward for tranche `tranche_id`.
    @param tranche_id The tranche.
    @return uint256 Units.
    """
    self._check_tranche(tranche_id)
    return self._tranche_state[tranche_id] >> 128


@external
@view
def tranche_params(tranche_id: uint256) -> (uint256, uint256, bool):
    """
    @notice Static parameters of tranche `tranche_id`.
    @param tranche_id The tranche.
    @return uint256 Original balance (units).
    @return uint256 Coupon at RATE_SCALE.
    @return bool Whether it is an accrual (Z) tranche.
    """
    self._check_tranche(tranche_id)
    tw: uint256 = _TRANCHE[tranche_id]
    return tw & _MASK128, (tw >> 128) & _COUPON_MASK, tw >> 255 == 1


@external
@view
def fee_count() -> uint256:
    """
    @notice Number of fees.
    @return uint256 The count.
    """
    return _N_FEES


@external
@view
def fee_state(fee_id: uint256) -> (address, uint256, uint256, uint256):
    """
    @notice Fee `fee_id`: recipient, rate, unclaimed amount, shortfall.
    @param fee_id The fee.
    @return address Recipient.
    @return uint256 Rate at RATE_SCALE.
    @return uint256 Accrued and unclaimed (units).
    @return uint256 Unpaid fee carried forward (units).
    """
    self._check_fee(fee_id)
    s: uint256 = self._fee_state[fee_id]
    fw: uint256 = _FEE[fee_id]
    return convert(fw & _MASK160, address), fw >> 160, s >> 128, s & _MASK128


@external
@view
def pool_balance() -> uint256:
    """
    @notice Outstanding collateral principal (units).
    @return uint256 The pool balance.
    """
    return self._pool & _MASK128


@external
@view
def cumulative_loss() -> uint256:
    """
    @notice Sum of realized losses (units).
    @return uint256 The cumulative loss.
    """
    return self._pool >> 128


@external
@view
def reserve() -> uint256:
    """
    @notice Reserve fund cash (units), held by this contract.
    @return uint256 The reserve.
    """
    return self._state & _MASK128


@external
@view
def period() -> uint256:
    """
    @notice Last period finalized (0 at closing).
    @return uint256 The period.
    """
    return (self._state >> 128) & _MASK64


@external
@view
def breached() -> uint256:
    """
    @notice Bitmap of breached (sticky) triggers, bit k = trigger k.
    @return uint256 The bitmap.
    """
    return (self._state >> 192) & 255


@external
@view
def principal_rule() -> uint8:
    """
    @notice The principal rule in force for the next period given the
            triggers breached so far (0 sequential, 1 pro rata).
    @return uint8 The rule.
    """
    return self._active_rule((self._state >> 192) & 255)


@external
@view
def DISPUTE_WINDOW() -> uint256:
    """
    @notice Seconds the pending report stays vetoable, or, when none is
            pending, the window the next report will get.
    @return uint256 Seconds.
    """
    p: uint256 = self._pending
    if p != 0:
        return (p >> 192) & _MASK63
    return self.dispute_window


@external
@view
def paused() -> uint256:
    """
    @notice The PAUSE_* bits in force.
    @return uint256 OR of PAUSE_ISSUANCE, PAUSE_TRANSFERS, PAUSE_REPORTS.
    """
    return (self._state >> _PAUSE_SHIFT) & _PAUSE_ALL


@external
@view
def trigger_threshold(trigger_id: uint256) -> (uint256, uint256, uint256):
    """
    @notice Trigger `trigger_id`'s threshold and the bounds governance may
            move it within (fixed at deployment).
    @param trigger_id The trigger (spec order).
    @return uint256 Threshold at RATE_SCALE.
    @return uint256 Lower bound.
    @return uint256 Upper bound.
    """
    self._check_trigger(trigger_id)
    tw: uint256 = _TRIG[trigger_id]
    return self._threshold(trigger_id), (tw >> 64) & _MASK64, (tw >> 128) & _MASK64






# ------------------------------------------------------------------ internal
@internal
@view
def _report_digest(report: Report) -> bytes32:
    """
    @notice EIP-712 digest of `report` for this deal and chain.
    @param report The report.
    @return bytes32 The digest.
    """
    struct_hash: bytes32 = keccak256(
        abi_encode(
            _REPORT_TYPEHASH,
            report.period,
            report.interest,
            report.scheduled_principal,
            report.prepayments,
            report.recoveries,
            report.losses,
            report.dq30_count,
            report.dq30_balance,
            report.dq60_count,
            report.dq60_balance,
            report.dq90_count,
            report.dq90_balance,
            report.foreclosure_count,
            report.foreclosure_balance,
            report.reo_count,
            report.reo_balance,
            report.loans_root,
        )
    )
    return eip712_domain_separator._hash_typed_data_v4(struct_hash)


@internal
@view
def _check_signatures(digest: bytes32, signatures: DynArray[Bytes[65], MAX_SIGNERS]):
    """
    @notice Reverts unless at least `quorum` distinct registered signers
            signed `digest`. Signatures must come in strictly ascending
            signer-address order, so a repeated signer is rejected.
    @param digest The EIP-712 digest.
    @param signatures The signatures.
    """
    last: uint256 = 0
    count: uint256 = 0
    for sig: Bytes[65] in signatures:
        signer: address = ecdsa._recover_sig(digest, sig)
        assert self.is_signer[signer], "deal: signature from a non-signer"
        as_int: uint256 = convert(signer, uint256)
        assert as_int > last, "deal: signers not strictly ascending"
        last = as_int
        count += 1
    assert count >= self.quorum, "deal: quorum not met"


@internal
@view
def _check_idle():
    """
    @notice Reverts while a report awaits finalization.
    """
    assert self._pending == 0, "deal: report pending"


@internal
@view
def _check_tranche(tranche_id: uint256):
    """
    @notice Reverts unless `tranche_id` names a tranche.
    @param tranche_id The tranche.
    """
    assert tranche_id < _N_TRANCHES, "deal: unknown tranche"


@internal
@view
def _check_fee(fee_id: uint256):
    """
    @notice Reverts unless `fee_id` names a fee.
    @param fee_id The fee.
    """
    assert fee_id < _N_FEES, "deal: unknown fee"


@internal
@view
def _check_trigger(trigger_id: uint256):
    """
    @notice Reverts unless `trigger_id` names a trigger.
    @param trigger_id The trigger.
    """
    assert trigger_id < _N_TRIGGERS, "deal: unknown trigger"


@internal
@pure
def _check_pause_bits(what: uint256):
    """
    @notice Reverts unless `what` holds only PAUSE_* bits.
    @param what The bits.
    """
    assert what & _PAUSE_ALL == what, "deal: unknown pause bits"


@internal
def _send(to: address, amount: uint256):
    """
    @notice Transfers `amount` of the settlement token to `to`.
    @param to The receiver.
    @param amount Units.
    """
    assert extcall IERC20(SETTLEMENT).transfer(to, amount, default_return_value=True), "deal: transfer failed"


@internal
def _set_fund(fund: address, premium_rate: uint256):
    """
    @notice Stores the first-loss fund (0 = none) and its premium rate.
    @param fund The fund, or 0.
    @param premium_rate Annual rate at RATE_SCALE (<= RATE_SCALE; 0 without a fund).
    """
    assert premium_rate <= RATE_SCALE, "deal: premium rate above 100%"
    assert fund != empty(address) or premium_rate == 0, "deal: premium without a fund"
    self.insurance_fund = fund
    self.insurance_premium_rate = premium_rate


@internal
def _push_token_config(paused: uint256, compliance: address):
    """
    @notice Tells every tranche token the pause bits and compliance hook
            (the tokens keep both in one word, read once per transfer).
    @param paused PAUSE_* bits.
    @param compliance The hook (or 0).
    """
    for i: uint256 in range(_N_TRANCHES, bound=MAX_TRANCHES):
        extcall ITokenConfig(_TOKEN[i]).set_config(paused, compliance)


@internal
def _take_proceeds(inp: PeriodInput) -> uint256:
    """
    @notice Takes the liquidation's held auction proceeds and returns the
            part applied as recoveries this period: min(carried + taken,
            pool balance - reported principal - losses); the rest is
            carried. The received amount is checked against the balance.
    @param inp The period's reported inputs.
    @return uint256 Auction proceeds applied (units).
    """
    before: uint256 = staticcall IERC20(SETTLEMENT).balanceOf(self)
    taken: uint256 = extcall ILiquidation(self.liquidation).take_recoveries()
    assert staticcall IERC20(SETTLEMENT).balanceOf(self) - before == taken, "deal: proceeds received differ"
    carried_before: uint256 = self.auction_proceeds_carried
    avail: uint256 = carried_before + taken
    # submission checked principal + losses <= pool, so this cannot underflow
    room: uint256 = (self._pool & _MASK128) - inp.scheduled_principal - inp.prepayments - inp.recoveries - inp.losses
    applied: uint256 = min(avail, room)
    carried: uint256 = avail - applied
    if carried != carried_before:
        self.auction_proceeds_carried = carried
    return applied


@internal
@view
def _threshold(k: uint256) -> uint256:
    """
    @notice Trigger k's current threshold (packed, four per word).
    @param k The trigger.
    @return uint256 Threshold at RATE_SCALE.
    """
    return (self._trig_threshold[k // 4] >> (64 * (k % 4))) & _MASK64


@internal
@view
def _active_rule(breached: uint256) -> uint8:
    """
    @notice The principal rule: the last breached trigger (spec order) that
            names one, else the deal's base rule.
    @param breached The breached bitmap.
    @return uint8 The rule.
    """
    rule: uint8 = PRINCIPAL_RULE
    for k: uint256 in range(_N_TRIGGERS, bound=MAX_TRIGGERS):
        r: uint8 = convert((_TRIG[k] >> 16) & 255, uint8)
        if (breached >> k) & 1 == 1 and r != NO_RULE:
            rule = r
    return rule


@internal
@pure
def _mdiv(x: uint256, rate: uint256) -> uint256:
    """
    @notice One month of 30/360 accrual: floor(x * rate / (12 * RATE_SCALE)),
            rounded DOWN (favours the payer; the remainder stays in the
            available cash and ends in the residual).
    @param x Balance (units).
    @param rate Annual rate at RATE_SCALE.
    @return uint256 Units.
    """
    return x * rate // _MONTHLY


@internal
@view
def _breaches(k: uint256, num: uint256, den: uint256) -> bool:
    """
    @notice Whether trigger `k` breaches for metric num/den (den == 0 means
            infinite), by cross-multiplication: above: num * RATE_SCALE >
            threshold * den; below: num * RATE_SCALE < threshold * den.
            An infinite metric always breaches `above`, never `below`.
    @param k The trigger.
    @param num Metric numerator.
    @param den Metric denominator (0 = infinite).
    @return bool The breach.
    """
    if den == 0:
        return (_TRIG[k] >> 8) & 255 == 0
    lhs: uint256 = num * RATE_SCALE
    rhs: uint256 = self._threshold(k) * den
    if (_TRIG[k] >> 8) & 255 == 0:  # DIRECTION_ABOVE
        return lhs > rhs
    return lhs < rhs


@internal
def _run_waterfall(inp: PeriodInput, auction: uint256):
    """
    @notice One period of docs/waterfall.md, steps 1-10, in integers
            (with step 3b insurance premium and step 5 insurance cover when
            a fund is set).
    @param inp The finalized report's waterfall inputs (bounds were checked
           at submission against the same pool balance).
    @param auction Auction proceeds added to the reported recoveries
           (0 without a liquidation contract); within the pool room.
    """
    n: uint256 = _N_TRANCHES
    pool: uint256 = self._pool
    p0: uint256 = pool & _MASK128
    cum_loss: uint256 = pool >> 128
    st: uint256 = self._state
    reserve: uint256 = st & _MASK128
    period: uint256 = ((st >> 128) & _MASK64) + 1
    breached: uint256 = (st >> 192) & 255

    # 1. collections (recoveries = reported + auction proceeds taken)
    ia: uint256 = inp.interest
    pa: uint256 = inp.scheduled_principal + inp.prepayments + inp.recoveries + auction
    p1: uint256 = p0 - pa - inp.losses
    cum_loss += inp.losses

    # 2. fees, spec order
    fees_paid: DynArray[uint256, MAX_FEES] = []
    for j: uint256 in range(_N_FEES, bound=MAX_FEES):
        fs: uint256 = self._fee_state[j]
        due: uint256 = self._mdiv(p0, _FEE[j] >> 160) + (fs & _MASK128)
        paid: uint256 = min(due, ia)
        ia -= paid
        fees_paid.append(paid)
        owed: uint256 = (fs >> 128) + paid
        assert owed <= _MASK128 and due - paid <= _MASK128, "deal: fee exceeds 128 bits"
        new_fs: uint256 = (owed << 128) | (due - paid)
        if new_fs != fs:
            self._fee_state[j] = new_fs

    # 3. interest, senior first (accrual tranches accrete while a senior is outstanding)
    bal: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    short: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    old: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    ip: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    pp: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    sum_b0: uint256 = 0
    sum_due: uint256 = 0
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        ts: uint256 = self._tranche_state[i]
        old[i] = ts
        b: uint256 = ts & _MASK128
        s: uint256 = ts >> 128
        tw: uint256 = _TRANCHE[i]
        cpn: uint256 = (tw >> 128) & _COUPON_MASK
        due: uint256 = self._mdiv(b, cpn) + self._mdiv(s, cpn) + s
        sum_due += due
        if tw >> 255 == 1 and sum_b0 > 0:
            accreted: uint256 = min(due, ia)
            ia -= accreted
            pa += accreted
            b += accreted
            s = due - accreted
        else:
            paid: uint256 = min(due, ia)
            ia -= paid
            if due > paid:
                draw: uint256 = min(due - paid, reserve)
                reserve -= draw
                paid += draw
            s = due - paid
            ip[i] = paid
        sum_b0 += ts & _MASK128
        bal[i] = b
        short[i] = s

    # 3b. insurance premium (not carried forward when unpaid)
    fund: address = empty(address)
    premium: uint256 = 0
    if st & _FLAG_FUND != 0:
        fund = self.insurance_fund
        premium = min(self._mdiv(p0, self.insurance_premium_rate), ia)
        ia -= premium

    # 4. triggers (sticky), after collections and interest, before principal
    for k: uint256 in range(_N_TRIGGERS, bound=MAX_TRIGGERS):
        if (breached >> k) & 1 == 1:
            continue
        m: uint8 = convert(_TRIG[k] & 255, uint8)
        hit: bool = False
        if m == METRIC_CUMULATIVE_LOSS_PCT:
            hit = self._breaches(k, cum_loss, ORIGINAL_POOL_BALANCE)
        elif m == METRIC_DELINQUENCY_60_PCT:
            if p1 == 0:
                hit = self._breaches(k, 0, 1)  # metric is 0 when P1 == 0
            else:
                hit = self._breaches(k, inp.delinquent_60_plus, p1)
        elif m == METRIC_OC_RATIO:
            hit = self._breaches(k, p0, sum_b0)
        else:
            hit = self._breaches(k, inp.interest, sum_due)
        if hit:
            breached |= 1 << k
            log TriggerBreached(trigger=k, period=period)
    rule: uint8 = self._active_rule(breached)

    # 5. principal distribution amount (with OC turbo)
    s_bal: uint256 = 0
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        s_bal += bal[i]
    oct: uint256 = p1 * OC_TARGET // RATE_SCALE  # rounds down
    target_bal: uint256 = 0
    if p1 > oct:
        target_bal = p1 - oct
    deficiency: uint256 = 0
    if s_bal > pa + target_bal:
        deficiency = s_bal - pa - target_bal
    turbo: uint256 = min(ia, deficiency)
    ia -= turbo
    # insurance cover: the fund pays min(loss gap, its assets, its cap left
    # this period), where the loss gap max(0, S - PA - turbo - P1) is what
    # would be written down (never the OC build-up); receipt is checked
    cover: uint256 = 0
    if fund != empty(address) and s_bal > pa + turbo + p1:
        gap: uint256 = s_bal - pa - turbo - p1
        before: uint256 = staticcall IERC20(SETTLEMENT).balanceOf(self)
        cover = extcall IInsuranceFund(fund).cover(gap)
        assert cover <= gap, "deal: cover above request"
        assert staticcall IERC20(SETTLEMENT).balanceOf(self) - before == cover, "deal: cover received differs"
    pda: uint256 = min(pa + turbo + cover, s_bal)
    leftover: uint256 = pa + turbo + cover - pda

    # 6. principal allocation
    rem: uint256 = pda
    if rule == RULE_PRO_RATA and s_bal > 0:
        for i: uint256 in range(n, bound=MAX_TRANCHES):
            share: uint256 = min(pda * bal[i] // s_bal, bal[i])  # rounds down
            pp[i] = share
            rem -= share
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        if rem == 0:
            break
        x: uint256 = min(rem, bal[i] - pp[i])
        pp[i] += x
        rem -= x
    s_after: uint256 = 0
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        bal[i] -= pp[i]
        s_after += bal[i]

    # 7. writedowns, most junior first
    wd: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    excess: uint256 = 0
    if s_after > p1:
        excess = s_after - p1
    for r: uint256 in range(n, bound=MAX_TRANCHES):
        if excess == 0:
            break
        i: uint256 = n - 1 - r
        w: uint256 = min(excess, bal[i])
        if w > 0:
            bal[i] -= w
            excess -= w
            wd[i] = w
            s_after -= w
            if bal[i] == 0:
                short[i] = 0  # interest shortfall forgiven

    # 8. reserve
    target: uint256 = 0
    if s_after > 0:
        target = max(p1 * RESERVE_TARGET // RATE_SCALE, RESERVE_FLOOR)  # rounds down
    if target > reserve:
        topup: uint256 = min(ia, target - reserve)
        ia -= topup
        reserve += topup
    release: uint256 = 0
    if reserve > target:
        release = reserve - target
        reserve = target

    # 9. residual
    residual: uint256 = ia + release + leftover

    # 10. state, distributions, event
    interest_paid: DynArray[uint256, MAX_TRANCHES] = []
    principal_paid: DynArray[uint256, MAX_TRANCHES] = []
    writedown: DynArray[uint256, MAX_TRANCHES] = []
    balance: DynArray[uint256, MAX_TRANCHES] = []
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        assert bal[i] <= _MASK128 and short[i] <= _MASK128, "deal: tranche exceeds 128 bits"
        ts: uint256 = (short[i] << 128) | bal[i]
        if ts != old[i]:
            self._tranche_state[i] = ts
        cash: uint256 = ip[i] + pp[i]
        if cash > 0:
            extcall ITrancheToken(_TOKEN[i]).distribute(cash)
        interest_paid.append(ip[i])
        principal_paid.append(pp[i])
        writedown.append(wd[i])
        balance.append(bal[i])
    assert cum_loss <= _MASK128, "deal: loss exceeds 128 bits"
    self._pool = (cum_loss << 128) | p1
    assert reserve <= _MASK128, "deal: reserve exceeds 128 bits"
    self._state = (st >> 200 << 200) | (breached << 192) | (period << 128) | reserve
    if residual > 0:
        self.residual_owed += residual
    if premium > 0:
        # push, then tell the fund (it checks that it holds the amount)
        self._send(fund, premium)
        extcall IInsuranceFund(fund).pay_premium(premium)

    log PeriodFinalized(
        period=period,
        pool_balance=p1,
        cumulative_loss=cum_loss,
        reserve=reserve,
        residual=residual,
        breached=breached,
        principal_rule=rule,
        fees_paid=fees_paid,
        interest_paid=interest_paid,
        principal_paid=principal_paid,
        writedown=writedown,
        balance=balance,
        insurance_premium=premium,
        insurance_cover=cover,
        auction_proceeds=auction,
    )

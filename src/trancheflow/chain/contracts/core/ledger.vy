# pragma version ==0.4.3
"""
@title Deal ledger (module)
@custom:contract-name ledger
@license Apache-2.0
@notice The deal's parameters (immutables, packed one word each) and its
        accounting state (tranche balances and shortfalls, fees owed, pool,
        reserve, period, breached triggers, residual and premium owed),
        with the views a holder or auditor reads. Initialized by
        `Deal.vy`; `core/waterfall.vy` and `core/admin.vy` use it.
@custom:security Internal accounting only: no payout reads the settlement
                 token balance.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

from ..interfaces import IWaterfallEngine

# ------------------------------------------------------------------ constants
MAX_TRANCHES: public(constant(uint256)) = 16
MAX_FEES: constant(uint256) = 4
MAX_TRIGGERS: constant(uint256) = 8
# @dev Rates (coupons, fee rates, targets, thresholds) are integers at 1e9.
RATE_SCALE: public(constant(uint256)) = 10**9
# @dev 30/360 monthly accrual divisor: mdiv(x, r) = floor(x * r / (12 * RATE_SCALE)).
_MONTHLY: constant(uint256) = 12 * 10**9

# @dev Encodings shared with trancheflow.deal.params.
RULE_SEQUENTIAL: constant(uint8) = 0
RULE_PRO_RATA: constant(uint8) = 1
NO_RULE: constant(uint8) = 255
DIRECTION_ABOVE: constant(uint8) = 0
DIRECTION_BELOW: constant(uint8) = 1
METRIC_CUMULATIVE_LOSS_PCT: constant(uint8) = 0
METRIC_DELINQUENCY_60_PCT: constant(uint8) = 1
METRIC_OC_RATIO: constant(uint8) = 2
METRIC_IC_RATIO: constant(uint8) = 3

MASK128: constant(uint256) = 2**128 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK160: constant(uint256) = 2**160 - 1
COUPON_MASK: constant(uint256) = 2**127 - 1

# @dev Pause bits (guardian pauses, owner unpauses).
PAUSE_ISSUANCE: public(constant(uint256)) = 1
PAUSE_TRANSFERS: public(constant(uint256)) = 2
PAUSE_REPORTS: public(constant(uint256)) = 4
PAUSE_ALL: constant(uint256) = 7
# @dev Flag bits of `_state` above the breached byte: bit 200 a fund is
# set, bit 201 a liquidation contract is set, bits 202..204 pause bits.
FLAG_FUND: constant(uint256) = 1 << 200
FLAG_LIQ: constant(uint256) = 1 << 201
PAUSE_SHIFT: constant(uint256) = 202
# @dev Bits 208..223 of `state`: tranche i has a non-zero interest shortfall.
SHORT_SHIFT: constant(uint256) = 208

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

# ------------------------------------------------------------------ immutables
SETTLEMENT: public(immutable(address))
SPEC_HASH: public(immutable(bytes32))
TAPE_ROOT: public(immutable(bytes32))
ORIGINAL_POOL_BALANCE: public(immutable(uint256))

# @dev The deal's WaterfallEngine (waterfall arithmetic and parameters).
ENGINE: public(immutable(address))
N_TRANCHES: immutable(uint256)
TOKEN: immutable(address[MAX_TRANCHES])
N_FEES: immutable(uint256)
# @dev Per fee: rate at RATE_SCALE (high 96) | recipient (low 160).
FEE: immutable(uint256[MAX_FEES])
N_TRIGGERS: immutable(uint256)

# ------------------------------------------------------------------ storage
# @dev Trigger thresholds, 64 bits each, four per word.
trig_threshold: uint256[2]
# @dev Tranche balances, two per word: tranche 2w in the low 128 bits of
# word w, tranche 2w + 1 in the high 128 (a pro-rata period writes k/2 words).
balances: uint256[MAX_TRANCHES // 2]
# @dev Interest shortfalls, two per word as `balances`; a word is read only
# when `state` bit SHORT_SHIFT + i says tranche i carries a shortfall.
shortfalls: uint256[MAX_TRANCHES // 2]
# @dev Per fee: owed (high 128) | fee_shortfall (low 128).
fees_state: uint256[MAX_FEES]
# @dev cumulative_loss (high 128) | pool_balance (low 128).
pool: uint256
# @dev shortfall bitmap (bits 208..223) | flags (200..207) | breached (192..199) |
# period (128..191) | reserve (low 128).
state: uint256
residual_owed: public(uint256)
# @dev The first-loss fund (0 = none) and its annual premium at
# RATE_SCALE; read only when FLAG_FUND is set in `state`.
insurance_fund: public(address)
insurance_premium_rate: public(uint256)
# @dev The liquidation contract (0 = none) and proceeds taken but not yet
# applied (beyond their period's pool room, or taken late), held by the deal.
liquidation: public(address)
auction_proceeds_carried: public(uint256)
# @dev Premium the waterfall paid to the fund that could not be pushed
# (held by the deal; pushed with the next premium or by `push_premium`).
premium_owed: public(uint256)


@deploy
def __init__(
    settlement: address,
    token_blueprint: address,
    engine_blueprint: address,
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
    trigger_bounds: DynArray[ThresholdBounds, MAX_TRIGGERS],
    compliance: address,
):
    """
    @notice Deploys the deal's WaterfallEngine (from `engine_blueprint`,
            which checks and keeps the waterfall parameters) and one
            TrancheToken per tranche (from `token_blueprint`, EIP-5202).
            Arguments as in `Deal.__init__`.
    """
    assert settlement != empty(address), "deal: zero settlement token"
    assert pool_balance > 0 and pool_balance <= MASK128, "deal: pool balance out of range"
    SETTLEMENT = settlement
    SPEC_HASH = spec_hash
    TAPE_ROOT = tape_root
    ORIGINAL_POOL_BALANCE = pool_balance

    decimals: uint8 = staticcall IERC20Detailed(settlement).decimals()
    rates: DynArray[uint256, MAX_FEES] = []
    for f: FeeParams in fees:
        rates.append(f.rate)
    ENGINE = create_from_blueprint(
        engine_blueprint, pool_balance, tranches, rates, principal_rule, reserve_target,
        reserve_floor, oc_target, triggers, trigger_bounds
    )
    token: address[MAX_TRANCHES] = empty(address[MAX_TRANCHES])
    i: uint256 = 0
    for t: TrancheParams in tranches:
        token[i] = create_from_blueprint(
            token_blueprint, t.name, t.symbol, decimals, i, t.original, compliance
        )
        self.balances[i // 2] |= t.original << (128 * (i % 2))
        i += 1
    N_TRANCHES = len(tranches)
    TOKEN = token

    fee: uint256[MAX_FEES] = empty(uint256[MAX_FEES])
    i = 0
    for f: FeeParams in fees:
        assert f.recipient != empty(address), "deal: zero fee recipient"
        fee[i] = (f.rate << 160) | convert(f.recipient, uint256)
        i += 1
    N_FEES = len(fees)
    FEE = fee

    packed: uint256[2] = empty(uint256[2])
    i = 0
    for g: TriggerParams in triggers:
        packed[i // 4] |= g.threshold << (64 * (i % 4))
        i += 1
    N_TRIGGERS = len(triggers)
    self.trig_threshold = packed
    self.pool = pool_balance


# ------------------------------------------------------------------ views
@external
@view
def tranche_count() -> uint256:
    """
    @notice Number of non-residual tranches.
    @return uint256 The count.
    """
    return N_TRANCHES


@external
@view
def tranche_token(tranche_id: uint256) -> address:
    """
    @notice The TrancheToken of tranche `tranche_id`.
    @param tranche_id The tranche.
    @return address The token.
    """
    self._check_tranche(tranche_id)
    return self._token(tranche_id)


@external
@view
def tranche_balance(tranche_id: uint256) -> uint256:
    """
    @notice Current face of tranche `tranche_id` (units).
    @param tranche_id The tranche.
    @return uint256 The balance.
    """
    self._check_tranche(tranche_id)
    return (self.balances[tranche_id // 2] >> (128 * (tranche_id % 2))) & MASK128


@external
@view
def interest_shortfall(tranche_id: uint256) -> uint256:
    """
    @notice Unpaid interest carried forward for tranche `tranche_id`.
    @param tranche_id The tranche.
    @return uint256 Units.
    """
    self._check_tranche(tranche_id)
    return (self.shortfalls[tranche_id // 2] >> (128 * (tranche_id % 2))) & MASK128


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
    return staticcall IWaterfallEngine(ENGINE).tranche_params(tranche_id)


@external
@view
def fee_count() -> uint256:
    """
    @notice Number of fees.
    @return uint256 The count.
    """
    return N_FEES


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
    s: uint256 = self.fees_state[fee_id]
    fw: uint256 = FEE[fee_id]
    return convert(fw & MASK160, address), fw >> 160, s >> 128, s & MASK128


@external
@view
def pool_balance() -> uint256:
    """
    @notice Outstanding collateral principal (units).
    @return uint256 The pool balance.
    """
    return self.pool & MASK128


@external
@view
def cumulative_loss() -> uint256:
    """
    @notice Sum of realized losses (units).
    @return uint256 The cumulative loss.
    """
    return self.pool >> 128


@external
@view
def reserve() -> uint256:
    """
    @notice Reserve fund cash (units), held by the deal.
    @return uint256 The reserve.
    """
    return self.state & MASK128


@external
@view
def period() -> uint256:
    """
    @notice Last period finalized (0 at closing).
    @return uint256 The period.
    """
    return self._period()


@external
@view
def breached() -> uint256:
    """
    @notice Bitmap of breached (sticky) triggers, bit k = trigger k.
    @return uint256 The bitmap.
    """
    return (self.state >> 192) & 255


@external
@view
def principal_rule() -> uint8:
    """
    @notice The principal rule in force for the next period given the
            triggers breached so far (0 sequential, 1 pro rata).
    @return uint8 The rule.
    """
    return self._active_rule((self.state >> 192) & 255)


@external
@view
def paused() -> uint256:
    """
    @notice The PAUSE_* bits in force.
    @return uint256 OR of PAUSE_ISSUANCE, PAUSE_TRANSFERS, PAUSE_REPORTS.
    """
    return self._paused()


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
    tw: uint256 = staticcall IWaterfallEngine(ENGINE).trigger_word(trigger_id)
    return self._threshold(trigger_id), (tw >> 64) & MASK64, (tw >> 128) & MASK64


# ------------------------------------------------------------------ internal
@internal
@view
def _period() -> uint256:
    """
    @notice Last period finalized.
    @return uint256 The period.
    """
    return (self.state >> 128) & MASK64


@internal
@view
def _paused() -> uint256:
    """
    @notice The PAUSE_* bits in force.
    @return uint256 The bits.
    """
    return (self.state >> PAUSE_SHIFT) & PAUSE_ALL


@internal
@view
def _check_tranche(tranche_id: uint256):
    """
    @notice Reverts unless `tranche_id` names a tranche.
    @param tranche_id The tranche.
    """
    assert tranche_id < N_TRANCHES, "deal: unknown tranche"


@internal
@view
def _check_fee(fee_id: uint256):
    """
    @notice Reverts unless `fee_id` names a fee.
    @param fee_id The fee.
    """
    assert fee_id < N_FEES, "deal: unknown fee"


@internal
@view
def _check_trigger(trigger_id: uint256):
    """
    @notice Reverts unless `trigger_id` names a trigger.
    @param trigger_id The trigger.
    """
    assert trigger_id < N_TRIGGERS, "deal: unknown trigger"


@internal
@view
def _threshold(k: uint256) -> uint256:
    """
    @notice Trigger k's current threshold (packed, four per word).
    @param k The trigger.
    @return uint256 Threshold at RATE_SCALE.
    """
    return (self.trig_threshold[k // 4] >> (64 * (k % 4))) & MASK64


@internal
@view
def _active_rule(breached: uint256) -> uint8:
    """
    @notice The principal rule given the breached bitmap (from the engine).
    @param breached The breached bitmap.
    @return uint8 The rule.
    """
    return staticcall IWaterfallEngine(ENGINE).active_rule(self.trig_threshold, breached)


@internal
@view
def _token(i: uint256) -> address:
    """
    @notice Tranche `i`'s token.
    @param i The tranche.
    @return address The token.
    """
    return TOKEN[i]


@internal
def _send(to: address, amount: uint256):
    """
    @notice Transfers `amount` of the settlement token to `to` (reverts when
            the token refuses: used only for pull payments, where a refusal
            hurts only the caller's own claim).
    @param to The receiver.
    @param amount Units.
    """
    assert extcall IERC20(SETTLEMENT).transfer(to, amount, default_return_value=True), "deal: transfer failed"

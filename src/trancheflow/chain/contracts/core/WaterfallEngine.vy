# pragma version ==0.4.3
"""
@title WaterfallEngine
@custom:contract-name WaterfallEngine
@license Apache-2.0
@notice The arithmetic of one period of docs/waterfall.md (steps 1-9), for
        one deal, as a pure function of the deal's state words and the
        period's inputs: the deal (`Deal.vy`, through `core/settlement.vy`)
        reads its storage, calls `run` (STATICCALL), writes back what
        changed, pays and logs. Deployed by the deal from an EIP-5202
        blueprint; holds the deal's waterfall parameters as immutables
        (tranche coupons and accrual flags, fee rates, triggers and their
        governance bounds, reserve and OC targets), so the deal keeps its
        code-size headroom.

        The insurance cover is a second pass: `run` reports the loss gap
        (what would be written down); when a fund is attached and the gap
        is positive the deal asks the fund for it (isolated) and calls
        `run` again with the amount received as `cover` (docs/waterfall.md
        step 5). With `cover = 0` the result is that of a deal without
        cover.
@custom:security Every division rounds DOWN (stated at each one); what a
                 rounding leaves behind stays in the available cash and
                 ends in the residual, so nothing is created or lost. No
                 state, no external calls.
"""

from . import report_types
from ..interfaces import IWaterfallEngine

implements: IWaterfallEngine

MAX_TRANCHES: constant(uint256) = 16
MAX_FEES: constant(uint256) = 4
MAX_TRIGGERS: constant(uint256) = 8
RATE_SCALE: constant(uint256) = 10**9
_MONTHLY: constant(uint256) = 12 * 10**9
RULE_SEQUENTIAL: constant(uint8) = 0
RULE_PRO_RATA: constant(uint8) = 1
NO_RULE: constant(uint8) = 255
DIRECTION_BELOW: constant(uint8) = 1
METRIC_CUMULATIVE_LOSS_PCT: constant(uint8) = 0
METRIC_DELINQUENCY_60_PCT: constant(uint8) = 1
METRIC_OC_RATIO: constant(uint8) = 2
METRIC_IC_RATIO: constant(uint8) = 3
MASK128: constant(uint256) = 2**128 - 1
MASK64: constant(uint256) = 2**64 - 1
COUPON_MASK: constant(uint256) = 2**127 - 1


struct TrancheParams:
    name: String[25]
    symbol: String[5]
    original: uint256
    coupon: uint256
    accrual: bool


struct TriggerParams:
    metric: uint8
    direction: uint8
    threshold: uint256
    then_rule: uint8


struct ThresholdBounds:
    lower: uint256
    upper: uint256


ORIGINAL_POOL_BALANCE: immutable(uint256)
PRINCIPAL_RULE: immutable(uint8)
RESERVE_TARGET: immutable(uint256)
RESERVE_FLOOR: immutable(uint256)
OC_TARGET: immutable(uint256)
N_TRANCHES: immutable(uint256)
# @dev Per tranche: accrual flag (bit 255) | coupon (bits 128..254) | original (low 128).
TRANCHE: immutable(uint256[MAX_TRANCHES])
N_FEES: immutable(uint256)
# @dev Per fee: rate at RATE_SCALE.
FEE: immutable(uint256[MAX_FEES])
N_TRIGGERS: immutable(uint256)
# @dev Per trigger: upper bound (bits 128..191) | lower bound (64..127) |
# then-rule (16..23) | direction (8..15) | metric (0..7).
TRIG: immutable(uint256[MAX_TRIGGERS])


@deploy
def __init__(
    pool_balance: uint256,
    tranches: DynArray[TrancheParams, MAX_TRANCHES],
    fee_rates: DynArray[uint256, MAX_FEES],
    principal_rule: uint8,
    reserve_target: uint256,
    reserve_floor: uint256,
    oc_target: uint256,
    triggers: DynArray[TriggerParams, MAX_TRIGGERS],
    trigger_bounds: DynArray[ThresholdBounds, MAX_TRIGGERS],
):
    """
    @notice Checks and stores the deal's waterfall parameters (arguments as
            in `Deal.__init__`).
    """
    assert len(tranches) > 0, "deal: no tranches"
    assert principal_rule == RULE_SEQUENTIAL or principal_rule == RULE_PRO_RATA, "deal: bad principal rule"
    assert len(trigger_bounds) == 0 or len(trigger_bounds) == len(triggers), "deal: one threshold bound per trigger"
    ORIGINAL_POOL_BALANCE = pool_balance
    PRINCIPAL_RULE = principal_rule
    RESERVE_TARGET = reserve_target
    RESERVE_FLOOR = reserve_floor
    OC_TARGET = oc_target
    tranche: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    i: uint256 = 0
    for t: TrancheParams in tranches:
        assert t.original > 0 and t.original <= MASK128, "deal: tranche original out of range"
        assert t.coupon <= RATE_SCALE, "deal: coupon above 100%"
        tranche[i] = (t.coupon << 128) | t.original
        if t.accrual:
            tranche[i] |= 1 << 255
        i += 1
    N_TRANCHES = len(tranches)
    TRANCHE = tranche
    fee: uint256[MAX_FEES] = empty(uint256[MAX_FEES])
    i = 0
    for r: uint256 in fee_rates:
        assert r <= RATE_SCALE, "deal: fee rate above 100%"
        fee[i] = r
        i += 1
    N_FEES = len(fee_rates)
    FEE = fee
    trig: uint256[MAX_TRIGGERS] = empty(uint256[MAX_TRIGGERS])
    i = 0
    for g: TriggerParams in triggers:
        assert g.metric <= METRIC_IC_RATIO, "deal: unknown trigger metric"
        assert g.direction <= DIRECTION_BELOW, "deal: bad trigger direction"
        assert g.then_rule <= RULE_PRO_RATA or g.then_rule == NO_RULE, "deal: bad trigger rule"
        # thresholds are cross-multiplied with amounts < 2**128
        assert g.threshold <= MASK64, "deal: trigger threshold out of range"
        lower: uint256 = g.threshold
        upper: uint256 = g.threshold
        if len(trigger_bounds) > 0:
            lower = trigger_bounds[i].lower
            upper = trigger_bounds[i].upper
            assert lower <= g.threshold and g.threshold <= upper, "deal: threshold out of bounds"
            assert upper <= MASK64, "deal: trigger threshold out of range"
        trig[i] = (
            (upper << 128)
            | (lower << 64)
            | (convert(g.then_rule, uint256) << 16)
            | (convert(g.direction, uint256) << 8)
            | convert(g.metric, uint256)
        )
        i += 1
    N_TRIGGERS = len(triggers)
    TRIG = trig


@external
@view
def run(st_: IWaterfallEngine.EngineState, i_: report_types.PeriodInput) -> IWaterfallEngine.EngineResult:
    """
    @notice One period of docs/waterfall.md, steps 1-9, on `s`.
    @param st_ The deal's state words, auction proceeds applied and the
           insurance cover received (0 on the first pass).
    @param i_ The finalized report's waterfall inputs (bounds were checked
           at submission against the same pool balance).
    @return EngineResult New state words, per-tranche and per-fee flows,
            residual, premium, loss gap, rule and breached bitmap.
    """
    n: uint256 = N_TRANCHES
    pool: uint256 = st_.pool
    p0: uint256 = pool & MASK128
    cum_loss: uint256 = pool >> 128
    st: uint256 = st_.state
    thr: uint256[2] = st_.thresholds
    reserve: uint256 = st & MASK128
    period: uint256 = ((st >> 128) & MASK64) + 1
    breached: uint256 = (st >> 192) & 255

    # 1. collections (recoveries = reported + st_.auction proceeds taken)
    ia: uint256 = i_.interest
    pa: uint256 = i_.scheduled_principal + i_.prepayments + i_.recoveries + st_.auction
    p1: uint256 = p0 - pa - i_.losses
    cum_loss += i_.losses

    # 2. fees, spec order
    fees_paid: uint256[MAX_FEES] = empty(uint256[MAX_FEES])
    new_fees: uint256[MAX_FEES] = empty(uint256[MAX_FEES])
    for j: uint256 in range(N_FEES, bound=MAX_FEES):
        fs: uint256 = st_.fees[j]
        due: uint256 = self._mdiv(p0, FEE[j]) + (fs & MASK128)
        paid: uint256 = min(due, ia)
        ia -= paid
        fees_paid[j] = paid
        owed: uint256 = (fs >> 128) + paid
        assert owed <= MASK128 and due - paid <= MASK128, "deal: fee exceeds 128 bits"
        new_fs: uint256 = (owed << 128) | (due - paid)
        new_fees[j] = new_fs

    # 3. interest, senior first (accrual tranches accrete while a senior is outstanding)
    bal: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    short: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    ip: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    pp: uint256[MAX_TRANCHES] = empty(uint256[MAX_TRANCHES])
    sum_b0: uint256 = 0
    sum_due: uint256 = 0
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        sh: uint256 = 128 * (i % 2)
        ts: uint256 = (((st_.shortfalls[i // 2] >> sh) & MASK128) << 128) | ((st_.balances[i // 2] >> sh) & MASK128)
        b: uint256 = ts & MASK128
        s: uint256 = ts >> 128
        tw: uint256 = TRANCHE[i]
        cpn: uint256 = (tw >> 128) & COUPON_MASK
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
        sum_b0 += ts & MASK128
        bal[i] = b
        short[i] = s

    # 3b. insurance premium (not carried forward when unpaid by IA)
    premium: uint256 = min(self._mdiv(p0, st_.premium_rate), ia)
    ia -= premium

    # 4. triggers (sticky), after collections and interest, before principal
    for k: uint256 in range(N_TRIGGERS, bound=MAX_TRIGGERS):
        if (breached >> k) & 1 == 1:
            continue
        m: uint8 = convert(TRIG[k] & 255, uint8)
        hit: bool = False
        if m == METRIC_CUMULATIVE_LOSS_PCT:
            hit = self._breaches(thr, k, cum_loss, ORIGINAL_POOL_BALANCE)
        elif m == METRIC_DELINQUENCY_60_PCT:
            if p1 == 0:
                hit = self._breaches(thr, k, 0, 1)  # metric is 0 when P1 == 0
            else:
                hit = self._breaches(thr, k, i_.delinquent_60_plus, p1)
        elif m == METRIC_OC_RATIO:
            hit = self._breaches(thr, k, p0, sum_b0)
        else:
            hit = self._breaches(thr, k, i_.interest, sum_due)
        if hit:
            breached |= 1 << k
    rule: uint8 = self._active_rule(thr, breached)

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
    # insurance cover: the loss gap max(0, S - PA - turbo - P1) is what
    # would be written down; the deal asks the fund for it and runs the
    # engine again with what the fund paid (`st_.cover`, never above the gap)
    gap: uint256 = 0
    if s_bal > pa + turbo + p1:
        gap = s_bal - pa - turbo - p1
    cover: uint256 = min(st_.cover, gap)
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

    # 10. new state words (the deal writes those that changed)
    balances: uint256[8] = empty(uint256[8])
    shortfalls: uint256[8] = empty(uint256[8])
    for i: uint256 in range(n, bound=MAX_TRANCHES):
        assert bal[i] <= MASK128 and short[i] <= MASK128, "deal: tranche exceeds 128 bits"
        balances[i // 2] |= bal[i] << (128 * (i % 2))
        shortfalls[i // 2] |= short[i] << (128 * (i % 2))
    assert cum_loss <= MASK128, "deal: loss exceeds 128 bits"
    assert reserve <= MASK128, "deal: reserve exceeds 128 bits"
    return IWaterfallEngine.EngineResult(
        pool=(cum_loss << 128) | p1,
        state=(st >> 200 << 200) | (breached << 192) | (period << 128) | reserve,
        fees=new_fees,
        balances=balances,
        shortfalls=shortfalls,
        fees_paid=fees_paid,
        interest_paid=ip,
        principal_paid=pp,
        writedown=wd,
        residual=residual,
        premium=premium,
        gap=gap,
        rule=rule,
    )


@external
@view
def tranche_params(tranche_id: uint256) -> (uint256, uint256, bool):
    """
    @notice Static parameters of tranche `tranche_id` (the deal checks the id).
    @param tranche_id The tranche.
    @return uint256 Original balance (units).
    @return uint256 Coupon at RATE_SCALE.
    @return bool Whether it is an accrual (Z) tranche.
    """
    tw: uint256 = TRANCHE[tranche_id]
    return tw & MASK128, (tw >> 128) & COUPON_MASK, tw >> 255 == 1


@external
@view
def trigger_word(trigger_id: uint256) -> uint256:
    """
    @notice Trigger `trigger_id`'s packed parameters (bounds, rule,
            direction, metric; layout as TRIG). The deal checks the id.
    @param trigger_id The trigger.
    @return uint256 The word.
    """
    return TRIG[trigger_id]


@external
@view
def active_rule(thresholds: uint256[2], breached: uint256) -> uint8:
    """
    @notice The principal rule given the breached bitmap.
    @param thresholds Unused (kept for one calling convention).
    @param breached The breached bitmap.
    @return uint8 0 sequential, 1 pro rata.
    """
    return self._active_rule(thresholds, breached)


@internal
@pure
def _mdiv(x: uint256, rate: uint256) -> uint256:
    """
    @notice One month of 30/360 accrual: floor(x * rate / (12 * RATE_SCALE)),
            rounded DOWN (the remainder stays in the available cash).
    @param x Balance (units).
    @param rate Annual rate at RATE_SCALE.
    @return uint256 Units.
    """
    return x * rate // _MONTHLY


@internal
@view
def _active_rule(thr: uint256[2], breached: uint256) -> uint8:
    """
    @notice The last breached trigger (spec order) naming a rule, else the
            base rule.
    @param thr Thresholds (unused).
    @param breached The breached bitmap.
    @return uint8 The rule.
    """
    rule: uint8 = PRINCIPAL_RULE
    for k: uint256 in range(N_TRIGGERS, bound=MAX_TRIGGERS):
        r: uint8 = convert((TRIG[k] >> 16) & 255, uint8)
        if (breached >> k) & 1 == 1 and r != NO_RULE:
            rule = r
    return rule


@internal
@view
def _breaches(thr: uint256[2], k: uint256, num: uint256, den: uint256) -> bool:
    """
    @notice Whether trigger `k` breaches for metric num/den (den == 0 means
            infinite), by cross-multiplication. An infinite metric always
            breaches `above`, never `below`.
    @param thr The deal's thresholds, 64 bits each, four per word.
    @param k The trigger.
    @param num Metric numerator.
    @param den Metric denominator (0 = infinite).
    @return bool The breach.
    """
    if den == 0:
        return (TRIG[k] >> 8) & 255 == 0
    lhs: uint256 = num * RATE_SCALE
    rhs: uint256 = ((thr[k // 4] >> (64 * (k % 4))) & MASK64) * den
    if (TRIG[k] >> 8) & 255 == 0:  # DIRECTION_ABOVE
        return lhs > rhs
    return lhs < rhs

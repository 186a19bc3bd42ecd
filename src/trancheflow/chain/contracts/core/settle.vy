# pragma version ==0.4.3
"""
@title Period settlement (module)
@custom:contract-name settle
@license Apache-2.0
@notice Finalizes one period on the deal: reads the ledger's state words,
        has the deal's `WaterfallEngine` compute docs/waterfall.md steps
        1-9 (STATICCALL), asks the first-loss fund for the loss gap and
        recomputes with the cover received (isolated: a cover that cannot
        be pulled is 0 and the loss is written down), writes back only the
        words that changed, credits every tranche token that received cash,
        pushes the premium (isolated: a premium that cannot be pushed stays
        owed to the fund, `premium_owed`) and logs `PeriodFinalized`.
"""

from . import ledger
from . import isolation
from . import report_types
from ..interfaces import ITrancheToken
from ..interfaces import IWaterfallEngine

uses: ledger

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
    fees_paid: DynArray[uint256, ledger.MAX_FEES]
    interest_paid: DynArray[uint256, ledger.MAX_TRANCHES]
    principal_paid: DynArray[uint256, ledger.MAX_TRANCHES]
    writedown: DynArray[uint256, ledger.MAX_TRANCHES]
    balance: DynArray[uint256, ledger.MAX_TRANCHES]
    # appended by issue 7 (decoders read fields by name)
    insurance_premium: uint256
    insurance_cover: uint256
    auction_proceeds: uint256


@internal
def _push_premium(fund: address, premium: uint256):
    """
    @notice Pushes this period's premium plus any premium still owed to
            `fund`; when the push fails all of it stays owed.
    @param fund The attached fund.
    @param premium This period's premium.
    """
    owed: uint256 = ledger.premium_owed
    due: uint256 = owed + premium
    if due == 0:
        return
    ok: bool = False
    moved: uint256 = 0
    ok, moved = isolation._try(isolation.OP_PREMIUM, ledger.SETTLEMENT, fund, due)
    if ok:
        if owed != 0:
            ledger.premium_owed = 0
    else:
        ledger.premium_owed = due


@internal
def _finalize(inp: report_types.PeriodInput, auction: uint256):
    """
    @notice One period: engine, cover, write-back, distributions, premium, event.
    @param inp The finalized report's waterfall inputs.
    @param auction Auction proceeds applied as recoveries (within the pool room).
    """
    n: uint256 = ledger.N_TRANCHES
    st: uint256 = ledger.state
    fund: address = empty(address)
    rate: uint256 = 0
    if st & ledger.FLAG_FUND != 0:
        fund = ledger.insurance_fund
        rate = ledger.insurance_premium_rate
    nf: uint256 = ledger.N_FEES
    old_fees: uint256[ledger.MAX_FEES] = empty(uint256[ledger.MAX_FEES])
    for j: uint256 in range(nf, bound=ledger.MAX_FEES):
        old_fees[j] = ledger.fees_state[j]
    # balance and shortfall words (two tranches each); a shortfall word is
    # read only when the state flags a shortfall in it
    short_bits: uint256 = (st >> ledger.SHORT_SHIFT) & 65535
    bw: uint256[8] = empty(uint256[8])
    sw: uint256[8] = empty(uint256[8])
    for w: uint256 in range((n + 1) // 2, bound=8):
        bw[w] = ledger.balances[w]
        if (short_bits >> (2 * w)) & 3 != 0:
            sw[w] = ledger.shortfalls[w]
    # threshold words are read only when the deal has triggers using them
    thr: uint256[2] = empty(uint256[2])
    nt: uint256 = ledger.N_TRIGGERS
    if nt > 0:
        thr[0] = ledger.trig_threshold[0]
        if nt > 4:
            thr[1] = ledger.trig_threshold[1]
    s: IWaterfallEngine.EngineState = IWaterfallEngine.EngineState(
        pool=ledger.pool,
        state=st,
        thresholds=thr,
        fees=old_fees,
        balances=bw,
        shortfalls=sw,
        premium_rate=rate,
        auction=auction,
        cover=0,
    )
    r: IWaterfallEngine.EngineResult = staticcall IWaterfallEngine(ledger.ENGINE).run(s, inp)
    cover: uint256 = 0
    if fund != empty(address) and r.gap > 0:
        ok: bool = False
        ok, cover = isolation._try(isolation.OP_COVER, ledger.SETTLEMENT, fund, r.gap)
        if cover > 0:
            s.cover = cover
            r = staticcall IWaterfallEngine(ledger.ENGINE).run(s, inp)

    period: uint256 = (r.state >> 128) & ledger.MASK64
    breached: uint256 = (r.state >> 192) & 255
    hit: uint256 = breached & ~((st >> 192) & 255)
    for k: uint256 in range(ledger.N_TRIGGERS, bound=ledger.MAX_TRIGGERS):
        if (hit >> k) & 1 == 1:
            log TriggerBreached(trigger=k, period=period)
    fees_paid: DynArray[uint256, ledger.MAX_FEES] = []
    for j: uint256 in range(nf, bound=ledger.MAX_FEES):
        if r.fees[j] != old_fees[j]:
            ledger.fees_state[j] = r.fees[j]
        fees_paid.append(r.fees_paid[j])
    interest_paid: DynArray[uint256, ledger.MAX_TRANCHES] = []
    principal_paid: DynArray[uint256, ledger.MAX_TRANCHES] = []
    writedown: DynArray[uint256, ledger.MAX_TRANCHES] = []
    balance: DynArray[uint256, ledger.MAX_TRANCHES] = []
    new_bits: uint256 = 0
    for i: uint256 in range(n, bound=ledger.MAX_TRANCHES):
        sh: uint256 = 128 * (i % 2)
        bal: uint256 = (r.balances[i // 2] >> sh) & ledger.MASK128
        if (r.shortfalls[i // 2] >> sh) & ledger.MASK128 != 0:
            new_bits |= 1 << i
        cash: uint256 = r.interest_paid[i] + r.principal_paid[i]
        if cash > 0:
            extcall ITrancheToken(ledger._token(i)).distribute(cash)
        interest_paid.append(r.interest_paid[i])
        principal_paid.append(r.principal_paid[i])
        writedown.append(r.writedown[i])
        balance.append(bal)
    for w: uint256 in range((n + 1) // 2, bound=8):
        if r.balances[w] != bw[w]:
            ledger.balances[w] = r.balances[w]
        if r.shortfalls[w] != sw[w]:
            ledger.shortfalls[w] = r.shortfalls[w]
    ledger.pool = r.pool
    ledger.state = (r.state & ~(65535 << ledger.SHORT_SHIFT)) | (new_bits << ledger.SHORT_SHIFT)
    if r.residual > 0:
        ledger.residual_owed += r.residual
    if fund != empty(address):
        self._push_premium(fund, r.premium)

    log PeriodFinalized(
        period=period,
        pool_balance=r.pool & ledger.MASK128,
        cumulative_loss=r.pool >> 128,
        reserve=r.state & ledger.MASK128,
        residual=r.residual,
        breached=breached,
        principal_rule=r.rule,
        fees_paid=fees_paid,
        interest_paid=interest_paid,
        principal_paid=principal_paid,
        writedown=writedown,
        balance=balance,
        insurance_premium=r.premium,
        insurance_cover=cover,
        auction_proceeds=auction,
    )

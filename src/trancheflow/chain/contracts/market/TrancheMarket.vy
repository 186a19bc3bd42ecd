# pragma version ==0.4.3
"""
@title TrancheMarket
@custom:contract-name TrancheMarket
@license Apache-2.0
@notice One pool per tranche token against the deal's settlement token
        (issue 11; design argued in TECH_SPEC.md, "Secondary market"). An
        ordinary HOLDER of the tranche: the deal never calls it, so a broken
        pool cannot stop finalize or claims.
        Curve (`market_curve.vy`): a concentrated CORE beside a
        constant-product TAIL, both in current face between syncs; the
        tail follows the price anywhere once the core's cash is spent.
        Prices are CLEAN: a trade also moves the interest accrued since
        the last period event on the tokens traded (coupon x balance / 12
        per period, linear over PERIOD seconds); the net accrued the pool
        paid is a receivable settled against the next distribution, so a
        finalize cannot be sniped.
        When the tranche's balance moves from b0 to b1 each position's cash
        side is scaled by b1/b0 (down: the released cash is credited to LPs;
        up, an accrual tranche: the virtual cash grows): the price per 100
        of current face does not move. Accounting is internal (donations
        are never counted). LP shares (`market_lp.vy`) pass the tranche's
        ERC-1404 checks. TWAP: `market_twap.vy`.
@custom:security Every division rounds in the pool's favour: swap outputs
                 and LP payouts DOWN, LP deposits UP, accrued paid DOWN and
                 received UP, the LP index DOWN.
"""

from ethereum.ercs import IERC20

from . import ITrancheMarket
from . import market_curve
from . import market_lp
from . import market_state
from . import market_twap

implements: ITrancheMarket

initializes: market_lp
initializes: market_twap
initializes: market_state

exports: (
    market_lp.totalSupply,
    market_lp.balanceOf,
    market_lp.allowance,
    market_lp.lp_index,
    market_lp.lp_dust,
    market_lp.transfer,
    market_lp.transferFrom,
    market_lp.approve,
    market_lp.decimals,
    market_lp.detectTransferRestriction,
    market_lp.lp_claimable,
    market_twap.TWAP_WINDOW,
    market_twap.price_cumulative_stored,
    market_twap.twap,
    market_state.FACE,
    market_state.COUPON,
    market_state.PERIOD,
    market_state.reserves,
    market_state.positions,
    market_state.accrual,
    market_state.seen,
    market_state.spot_price,
    market_state.accrued_per_100,
)

interface ITranche:
    def transfer(to: address, amount: uint256) -> bool: nonpayable
    def transferFrom(owner: address, to: address, amount: uint256) -> bool: nonpayable
    def claim() -> uint256: nonpayable
    def index() -> uint256: view
    def DEAL() -> address: view
    def TRANCHE_ID() -> uint256: view
    def FACE() -> uint256: view


interface IDealView:
    def tranche_balance(tranche_id: uint256) -> uint256: view
    def tranche_params(tranche_id: uint256) -> (uint256, uint256, bool): view


BPS: constant(uint256) = 10_000
_M128: constant(uint256) = 2**128 - 1
_M88: constant(uint256) = 2**88 - 1
_M40: constant(uint256) = 2**40 - 1
_QBIAS: constant(int256) = 2**87

TOKEN: public(immutable(address))
CASH: public(immutable(address))
DEAL: public(immutable(address))
TRANCHE_ID: public(immutable(uint256))
# @dev The core's virtual reserves = AMP x its seed (AMP >= 1).
AMP: public(immutable(uint256))
FEE_BPS: public(immutable(uint256))
# @dev Share of a seed put in the core; the rest is the constant-product tail.
CORE_BPS: public(immutable(uint256))


event Swap:
    trader: indexed(address)
    tokens_in: uint256
    cash_in: uint256
    tokens_out: uint256
    cash_out: uint256
    accrued: uint256


event Liquidity:
    provider: indexed(address)
    shares: uint256
    tokens: uint256
    cash: uint256
    added: bool


event Synced:
    claimed: uint256
    released: uint256
    tranche_balance: uint256


event LPClaimed:
    provider: indexed(address)
    amount: uint256


@deploy
def __init__(token: address, cash: address, amp: uint256, fee_bps: uint256, twap_window: uint256, core_bps: uint256, period: uint256):
    """
    @notice One pool for tranche `token` against settlement token `cash`.
    @param token The TrancheToken.
    @param cash The deal's settlement token.
    @param amp Concentration of the core, 1..1000.
    @param fee_bps Swap fee on the input, kept in the reserves (LPs'), < 1000.
    @param twap_window Minimum seconds a TWAP spans (> 0).
    @param core_bps Share of a seed put in the core, < 10000.
    @param period Seconds over which one period's coupon accrues (> 0).
    """
    assert amp >= 1 and amp <= 1000, "market: amp outside 1..1000"
    assert fee_bps < 1000, "market: fee above 10%"
    assert core_bps < BPS, "market: core share must leave a tail"
    market_lp.__init__(token)
    market_twap.__init__(twap_window)
    TOKEN = token
    CASH = cash
    DEAL = staticcall ITranche(token).DEAL()
    TRANCHE_ID = staticcall ITranche(token).TRANCHE_ID()
    AMP = amp
    FEE_BPS = fee_bps
    CORE_BPS = core_bps
    orig: uint256 = 0
    cpn: uint256 = 0
    z: bool = False
    orig, cpn, z = staticcall IDealView(DEAL).tranche_params(TRANCHE_ID)
    market_state.__init__(
        staticcall ITranche(token).FACE(),
        cpn,
        period,
        staticcall IDealView(DEAL).tranche_balance(TRANCHE_ID),
        staticcall ITranche(token).index(),
    )


# ------------------------------------------------------------------ swaps
@external
@nonreentrant
def sell(tokens_in: uint256, min_cash_out: uint256, deadline: uint256) -> uint256:
    """
    @notice Sells `tokens_in` tranche tokens to the pool for cash: the clean
            curve price plus the interest accrued on them.
    @dev Routed by market_curve._split_sell; with eff = floor(in (BPS-fee)/BPS),
         accrued = floor(eff coupon_cash elapsed / (FACE PERIOD)), paid from
         the tail's cash and added to the receivable q.
    @param tokens_in Tranche token units (the caller approved the pool).
    @param min_cash_out Revert if fewer cash units come out.
    @param deadline Revert after this timestamp.
    @return uint256 Cash units paid.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    self._sync()
    assert (market_state._core | market_state._tail) != 0, "market: no liquidity"
    assert market_state._seen >> 128 != 0, "market: tranche written off"
    core: uint256 = market_state._core
    off: uint256 = market_state._core_off
    tail: uint256 = market_state._tail
    aux: uint256 = market_state._aux
    tc: uint256 = core >> 128
    yc: uint256 = core & _M128
    tf: uint256 = tail >> 128
    yf: uint256 = tail & _M128
    gc: uint256 = 0
    oc: uint256 = 0
    of: uint256 = 0
    gc, oc, of = market_curve._split_sell(tokens_in, FEE_BPS, tc, yc, off >> 128, off & _M128, tf, yf, aux >> 128)
    eff: uint256 = tokens_in * (BPS - FEE_BPS) // BPS
    u: uint256 = 0
    d: uint256 = 0
    u, d = market_state._accrual(aux)
    acc: uint256 = eff * u // d
    q: int256 = market_state._q(aux)
    assert convert(of + acc, int256) <= convert(yf, int256) - q, "market: not enough cash in the pool"
    out: uint256 = oc + of + acc
    assert out > 0 and out >= min_cash_out, "market: output below minimum"
    extcall ITranche(TOKEN).transferFrom(msg.sender, self, tokens_in)
    market_state._core = ((tc + gc) << 128) | (yc - oc)
    market_state._tail = ((tf + tokens_in - gc) << 128) | (yf - of)
    market_state._put_q(aux, q + convert(acc, int256))
    self._store()
    assert extcall IERC20(CASH).transfer(msg.sender, out, default_return_value=True)
    log Swap(trader=msg.sender, tokens_in=tokens_in, cash_in=0, tokens_out=0, cash_out=out, accrued=acc)
    return out


@external
@nonreentrant
def buy(cash_in: uint256, min_tokens_out: uint256, deadline: uint256) -> uint256:
    """
    @notice Buys tranche tokens with `cash_in` (clean curve price plus the
            accrued interest); the token checks that the caller may hold the
            tranche (its ERC-1404 message on refusal).
    @dev a = market_curve._accrued_share(in) (UP: the buyer pays at least
         the accrued on what it gets); in - a routed by
         market_curve._split_buy; a lowers the receivable q.
    @param cash_in Settlement units (the caller approved the pool).
    @param min_tokens_out Revert if fewer tokens come out.
    @param deadline Revert after this timestamp.
    @return uint256 Tranche token units received.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    self._sync()
    assert (market_state._core | market_state._tail) != 0, "market: no liquidity"
    assert market_state._seen >> 128 != 0, "market: tranche written off"
    core: uint256 = market_state._core
    off: uint256 = market_state._core_off
    tail: uint256 = market_state._tail
    aux: uint256 = market_state._aux
    tc: uint256 = core >> 128
    yc: uint256 = core & _M128
    tf: uint256 = tail >> 128
    yf: uint256 = tail & _M128
    u: uint256 = 0
    d: uint256 = 0
    u, d = market_state._accrual(aux)
    a: uint256 = market_curve._accrued_share(cash_in, u, d, tf, yf + (aux >> 128))
    gcc: uint256 = 0
    nc: uint256 = 0
    nf: uint256 = 0
    gcc, nc, nf = market_curve._split_buy(cash_in - a, FEE_BPS, tc, yc, off >> 128, off & _M128, tf, yf, aux >> 128)
    out: uint256 = nc + nf
    assert out > 0 and out >= min_tokens_out, "market: output below minimum"
    assert (yf + cash_in - gcc) <= _M128 and (yc + gcc) <= _M128, "market: reserve exceeds 128 bits"
    assert extcall IERC20(CASH).transferFrom(msg.sender, self, cash_in, default_return_value=True)
    market_state._core = ((tc - nc) << 128) | (yc + gcc)
    market_state._tail = ((tf - nf) << 128) | (yf + cash_in - a - gcc)
    market_state._put_q(aux, market_state._q(aux) - convert(a, int256))
    self._store()
    extcall ITranche(TOKEN).transfer(msg.sender, out)
    log Swap(trader=msg.sender, tokens_in=0, cash_in=cash_in, tokens_out=out, cash_out=0, accrued=a)
    return out


# ------------------------------------------------------------------ liquidity
@external
@nonreentrant
def add_liquidity(shares: uint256, max_tokens: uint256, max_cash: uint256, deadline: uint256) -> (uint256, uint256):
    """
    @notice Mints `shares` LP shares for tokens and cash in the pool's
            proportions. Seeding (no shares yet): deposits exactly
            `max_tokens` and `max_cash` (CORE_BPS of each to the core, with
            offsets (AMP-1) x that; the rest to the tail), mints
            `max_tokens` shares.
    @dev Later deposits: each reserve ceil(R s/S) (UP), the receivable's
         share floor(q s/S) taken off the cash (the new LP adopts it);
         offsets grow by floor(O s/S).
    @param shares Shares wanted (ignored when seeding).
    @param max_tokens Most tranche tokens to deposit.
    @param max_cash Most cash to deposit.
    @param deadline Revert after this timestamp.
    @return uint256 Tokens deposited.
    @return uint256 Cash deposited.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    market_lp._check_holder(self, msg.sender)
    self._sync()
    assert market_state._seen >> 128 != 0, "market: tranche written off"
    supply: uint256 = market_lp.totalSupply
    core: uint256 = market_state._core
    tail: uint256 = market_state._tail
    aux: uint256 = market_state._aux
    tci: uint256 = 0
    yci: uint256 = 0
    tfi: uint256 = 0
    yfi: uint256 = 0
    tin: uint256 = 0
    cin: uint256 = 0
    minted: uint256 = shares
    if supply == 0:
        assert max_tokens > 0 and max_cash > 0, "market: seed needs tokens and cash"
        tin = max_tokens
        cin = max_cash
        minted = max_tokens
        tci = tin * CORE_BPS // BPS
        yci = cin * CORE_BPS // BPS
        tfi = tin - tci
        yfi = cin - yci
        assert (AMP - 1) * tci <= _M128 and (AMP - 1) * yci <= _M128, "market: offset exceeds 128 bits"
        market_state._core_off = ((AMP - 1) * tci << 128) | ((AMP - 1) * yci)
        market_twap._start()
    else:
        assert shares > 0, "market: zero shares"
        tci = ((core >> 128) * shares + supply - 1) // supply
        yci = ((core & _M128) * shares + supply - 1) // supply
        tfi = ((tail >> 128) * shares + supply - 1) // supply
        yfi = ((tail & _M128) * shares + supply - 1) // supply
        q: int256 = market_state._q(aux)
        dq: int256 = market_state._floordiv(q * convert(shares, int256), convert(supply, int256))
        tin = tci + tfi
        cin = convert(convert(yci + yfi, int256) - dq, uint256)
        assert tin <= max_tokens and cin <= max_cash, "market: deposit above maximum"
        off: uint256 = market_state._core_off
        a: uint256 = off >> 128
        b: uint256 = off & _M128
        market_state._core_off = ((a + a * shares // supply) << 128) | (b + b * shares // supply)
        bf: uint256 = aux >> 128
        aux = ((bf + bf * shares // supply) << 128) | (aux & ((_M40 << 88) | _M88))
        market_state._put_q(aux, q + dq)
    nt: uint256 = (core >> 128) + tci
    ny: uint256 = (core & _M128) + yci
    ft: uint256 = (tail >> 128) + tfi
    fy: uint256 = (tail & _M128) + yfi
    assert nt <= _M128 and ny <= _M128 and ft <= _M128 and fy <= _M128, "market: reserve exceeds 128 bits"
    market_lp._mint(msg.sender, minted)
    if tin != 0:
        extcall ITranche(TOKEN).transferFrom(msg.sender, self, tin)
    if cin != 0:
        assert extcall IERC20(CASH).transferFrom(msg.sender, self, cin, default_return_value=True)
    market_state._core = (nt << 128) | ny
    market_state._tail = (ft << 128) | fy
    self._store()
    log Liquidity(provider=msg.sender, shares=minted, tokens=tin, cash=cin, added=True)
    return tin, cin


@external
@nonreentrant
def remove_liquidity(shares: uint256, min_tokens: uint256, min_cash: uint256, deadline: uint256) -> (uint256, uint256):
    """
    @notice Burns `shares` for the pool's tokens and cash pro rata (the
            token checks the caller may still hold the tranche). Accrued LP
            distributions stay claimable.
    @dev Each reserve floor(R s/S) (DOWN) less the receivable's share
         ceil(q s/S); offsets shrink by floor(O s/S).
    @param shares Shares to burn.
    @param min_tokens Revert if fewer tokens come out.
    @param min_cash Revert if less cash comes out.
    @param deadline Revert after this timestamp.
    @return uint256 Tokens paid.
    @return uint256 Cash paid.
    """
    assert block.timestamp <= deadline, "market: deadline passed"
    self._sync()
    supply: uint256 = market_lp.totalSupply
    assert shares > 0 and shares <= market_lp.balanceOf[msg.sender], "market: shares above balance"
    core: uint256 = market_state._core
    tail: uint256 = market_state._tail
    aux: uint256 = market_state._aux
    tco: uint256 = (core >> 128) * shares // supply
    yco: uint256 = (core & _M128) * shares // supply
    tfo: uint256 = (tail >> 128) * shares // supply
    yfo: uint256 = (tail & _M128) * shares // supply
    q: int256 = market_state._q(aux)
    dq: int256 = -market_state._floordiv(-q * convert(shares, int256), convert(supply, int256))
    assert convert(yco + yfo, int256) >= dq, "market: accrued receivable above the cash share"
    tout: uint256 = tco + tfo
    cout: uint256 = convert(convert(yco + yfo, int256) - dq, uint256)
    assert tout >= min_tokens and cout >= min_cash, "market: withdrawal below minimum"
    off: uint256 = market_state._core_off
    a: uint256 = off >> 128
    b: uint256 = off & _M128
    market_state._core_off = ((a - a * shares // supply) << 128) | (b - b * shares // supply)
    bf: uint256 = aux >> 128
    aux = ((bf - bf * shares // supply) << 128) | (aux & ((_M40 << 88) | _M88))
    market_state._put_q(aux, q - dq)
    market_lp._burn(msg.sender, shares)
    market_state._core = (((core >> 128) - tco) << 128) | ((core & _M128) - yco)
    market_state._tail = (((tail >> 128) - tfo) << 128) | ((tail & _M128) - yfo)
    self._store()
    if tout != 0:
        extcall ITranche(TOKEN).transfer(msg.sender, tout)
    if cout != 0:
        assert extcall IERC20(CASH).transfer(msg.sender, cout, default_return_value=True)
    log Liquidity(provider=msg.sender, shares=shares, tokens=tout, cash=cout, added=False)
    return tout, cout


@external
@nonreentrant
def claim() -> uint256:
    """
    @notice Syncs the pool (claims the tranche's distributions) and pays the
            caller the cash credited to its LP shares. Never asks compliance.
    @return uint256 Cash units paid.
    """
    self._sync()
    amount: uint256 = market_lp._take_owed(msg.sender)
    if amount == 0:
        return 0
    assert extcall IERC20(CASH).transfer(msg.sender, amount, default_return_value=True)
    log LPClaimed(provider=msg.sender, amount=amount)
    return amount


@external
@nonreentrant
def sync():
    """
    @notice Claims the pool's tranche distributions, settles the accrued
            receivable and rescales the cash sides to the tranche's current
            balance (anyone may call; a keeper calls it after each finalize).
    """
    self._sync()


# ------------------------------------------------------------------ internal
@internal
def _sync():
    """
    @notice Accumulates the TWAP; on a period event (the token's index or
            the tranche's balance moved): claims, settles the receivable q
            against the claim (a shortfall moves tail cash to its virtual
            offset, price kept), restarts the accrual, scales each
            position's cash side by balance_now/balance_seen (down: released
            cash credited; up: virtual cash grows) and credits LPs.
    """
    market_twap._accumulate()
    seen: uint256 = market_state._seen
    bal: uint256 = staticcall IDealView(DEAL).tranche_balance(TRANCHE_ID)
    idx: uint256 = staticcall ITranche(TOKEN).index()
    if bal == seen >> 128 and idx == seen & _M128:
        return
    claimed: uint256 = 0
    if idx != seen & _M128:
        claimed = extcall ITranche(TOKEN).claim()
    seen_bal: uint256 = seen >> 128
    core: uint256 = market_state._core
    off: uint256 = market_state._core_off
    tail: uint256 = market_state._tail
    aux: uint256 = market_state._aux
    yc: uint256 = core & _M128
    bc: uint256 = off & _M128
    yf: uint256 = tail & _M128
    bf: uint256 = aux >> 128
    q: int256 = market_state._q(aux)
    credit: uint256 = claimed
    if convert(claimed, int256) >= q:
        credit = convert(convert(claimed, int256) - q, uint256)
    else:
        short: uint256 = convert(q - convert(claimed, int256), uint256)
        yf -= short
        bf += short
        credit = 0
    released: uint256 = 0
    if bal < seen_bal:
        ny: uint256 = yc * bal // seen_bal
        released = yc - ny
        yc = ny
        bc = bc * bal // seen_bal
        ny = yf * bal // seen_bal
        released += yf - ny
        yf = ny
        bf = bf * bal // seen_bal
    elif bal > seen_bal and seen_bal != 0:
        bc = (yc + bc) * bal // seen_bal - yc
        bf = (yf + bf) * bal // seen_bal - yf
    assert bc <= _M128 and bf <= _M128, "market: offset exceeds 128 bits"
    market_state._core = (core >> 128 << 128) | yc
    market_state._core_off = (off >> 128 << 128) | bc
    market_state._tail = (tail >> 128 << 128) | yf
    market_state._aux = (bf << 128) | (block.timestamp << 88) | convert(_QBIAS, uint256)
    market_state._seen = (bal << 128) | idx
    credit += released
    if credit != 0:
        market_lp._credit(credit)
    self._store()
    log Synced(claimed=claimed, released=released, tranche_balance=bal)


@internal
def _store():
    """
    @notice The price the TWAP carries forward from now.
    """
    market_twap._set_price(market_state._price())



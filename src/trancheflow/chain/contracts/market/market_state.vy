# pragma version ==0.4.3
"""
@title TrancheMarket state (a module of TrancheMarket.vy)
@custom:contract-name market_state
@license Apache-2.0
@notice The pool's packed reserves (core, tail), the accrued-interest
        receivable, the last synced balance and index, their views, and the
        accrual and price arithmetic. Swaps, liquidity and the sync that
        change them are in TrancheMarket.vy.
"""

PRICE_SCALE: constant(uint256) = 10**18
RATE_SCALE: constant(uint256) = 10**9
_M128: constant(uint256) = 2**128 - 1
_M88: constant(uint256) = 2**88 - 1
_M40: constant(uint256) = 2**40 - 1
_QBIAS: constant(int256) = 2**87

FACE: public(immutable(uint256))
# @dev The tranche's annual coupon at RATE_SCALE (read from the deal) and the
# seconds over which one period's coupon accrues.
COUPON: public(immutable(uint256))
PERIOD: public(immutable(uint256))

# core tokens (high 128) | core cash (low 128)
_core: uint256
# core offsets A (high 128) | B (low 128)
_core_off: uint256
# tail tokens (high 128) | tail cash (low 128)
_tail: uint256
# tail cash offset (high 128) | accrual start (40 bits at 88) | receivable q + 2**87 (low 88)
_aux: uint256
# tranche balance at the last sync (high 128) | token index at the last sync (low 128)
_seen: uint256


@deploy
def __init__(face: uint256, coupon: uint256, period: uint256, balance: uint256, index: uint256):
    """
    @notice Immutables and the first sync point (accrual starts now).
    @param face The tranche's original face.
    @param coupon Annual coupon at RATE_SCALE.
    @param period Accrual period in seconds (> 0).
    @param balance The tranche's balance now.
    @param index The token's index now.
    """
    assert period > 0 and period <= _M40, "market: bad accrual period"
    FACE = face
    COUPON = coupon
    PERIOD = period
    self._seen = (balance << 128) | index
    self._aux = (block.timestamp << 88) | convert(_QBIAS, uint256)


# ------------------------------------------------------------------ views
@external
@view
def reserves() -> (uint256, uint256, uint256, uint256):
    """
    @notice Tokens held, cash held for trading (clean reserves less the
            accrued receivable), and the core's offsets A, B.
    @return uint256 Tokens (core + tail).
    @return uint256 Cash.
    @return uint256 A.
    @return uint256 B.
    """
    c: uint256 = self._core
    t: uint256 = self._tail
    o: uint256 = self._core_off
    cash: int256 = convert((c & _M128) + (t & _M128), int256) - self._q(self._aux)
    return (c >> 128) + (t >> 128), convert(cash, uint256), o >> 128, o & _M128


@external
@view
def positions() -> (uint256, uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @notice The two positions as stored (as of the last sync).
    @return uint256 Core tokens Tc.
    @return uint256 Core cash Yc.
    @return uint256 Core token offset Ac.
    @return uint256 Core cash offset Bc.
    @return uint256 Tail tokens Tf.
    @return uint256 Tail cash Yf.
    @return uint256 Tail cash offset Bf.
    """
    c: uint256 = self._core
    o: uint256 = self._core_off
    t: uint256 = self._tail
    return c >> 128, c & _M128, o >> 128, o & _M128, t >> 128, t & _M128, self._aux >> 128


@external
@view
def accrual() -> (int256, uint256):
    """
    @notice Net accrued interest the pool paid this period (the receivable
            q; negative when it received more) and when accrual started.
    @return int256 q.
    @return uint256 Start timestamp.
    """
    aux: uint256 = self._aux
    return self._q(aux), (aux >> 88) & _M40


@external
@view
def seen() -> (uint256, uint256):
    """
    @notice Tranche balance and token index at the last sync.
    @return uint256 Balance.
    @return uint256 Index.
    """
    s: uint256 = self._seen
    return s >> 128, s & _M128


@external
@view
def spot_price() -> uint256:
    """
    @notice Clean marginal price per 100 of current face, 1e18 scale, at
            the stored reserves: the tail's (the core follows it).
    @return uint256 Price (0 when empty or written off).
    """
    return self._price()


@external
@view
def accrued_per_100() -> uint256:
    """
    @notice Interest accrued now per 100 of current face, 1e18 scale (the
            dirty price is spot + this).
    @return uint256 Accrued.
    """
    bal: uint256 = self._seen >> 128
    if bal == 0:
        return 0
    u: uint256 = 0
    d: uint256 = 0
    u, d = self._accrual(self._aux)
    return u * 100 * PRICE_SCALE // (PERIOD * bal)


# ------------------------------------------------------------------ internal
@internal
@view
def _accrual(aux: uint256) -> (uint256, uint256):
    """
    @notice Accrued interest per token as (numerator, denominator):
            floor(balance COUPON / (12 RATE_SCALE)) x min(elapsed, PERIOD)
            over FACE x PERIOD.
    @param aux The packed auxiliary word.
    @return uint256 Numerator.
    @return uint256 Denominator.
    """
    el: uint256 = min(block.timestamp - ((aux >> 88) & _M40), PERIOD)
    cpn: uint256 = (self._seen >> 128) * COUPON // (12 * RATE_SCALE)
    return cpn * el, FACE * PERIOD


@internal
@pure
def _q(aux: uint256) -> int256:
    """
    @notice The receivable q from the packed word.
    @param aux The packed auxiliary word.
    @return int256 q.
    """
    return convert(aux & _M88, int256) - _QBIAS


@internal
def _put_q(aux: uint256, q: int256):
    """
    @notice Stores `aux` with receivable `q`.
    @param aux The packed auxiliary word (its q bits are replaced).
    @param q The receivable.
    """
    qb: int256 = q + _QBIAS
    assert qb >= 0 and qb <= convert(_M88, int256), "market: receivable out of range"
    self._aux = (aux & ~_M88) | convert(qb, uint256)


@internal
@pure
def _floordiv(a: int256, b: int256) -> int256:
    """
    @notice floor(a / b) for b > 0 (Vyper's // truncates toward zero).
    @param a Numerator.
    @param b Denominator (> 0).
    @return int256 The floor.
    """
    r: int256 = a // b
    if a < 0 and r * b != a:
        r -= 1
    return r


@internal
@view
def _price() -> uint256:
    """
    @notice floor((Yf+Bf) FACE 100e18 / (Tf balance)) (the core's when no tail).
    @return uint256 Price per 100 of current face, 1e18 scale.
    """
    tail: uint256 = self._tail
    num: uint256 = (tail & _M128) + (self._aux >> 128)
    tv: uint256 = tail >> 128
    if tv == 0:
        c: uint256 = self._core
        o: uint256 = self._core_off
        num = (c & _M128) + (o & _M128)
        tv = (c >> 128) + (o >> 128)
    den: uint256 = tv * (self._seen >> 128)
    if den == 0:
        return 0
    return num * FACE * 100 * PRICE_SCALE // den

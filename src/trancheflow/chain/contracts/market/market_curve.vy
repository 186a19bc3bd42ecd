# pragma version ==0.4.3
"""
@title TrancheMarket curve (a stateless module of TrancheMarket.vy)
@custom:contract-name market_curve
@license Apache-2.0
@notice Two constant-product positions owned by the same LP shares: the
        CORE (Tc + Ac)(Yc + Bc), offsets (AMP-1) x its seed, and the TAIL
        Tf (Yf + Bf), a plain constant product (Bf grows only when an
        accrual tranche accretes) that follows the price anywhere. While
        their prices agree (within TOL_BPS) a trade is split in proportion
        to their virtual reserves, which makes them ONE curve with summed
        virtual reserves; the core sits out once exhausted on the trade's
        side, or while its price is on the wrong side of the tail's, and
        rejoins when the tail's price comes back. Exact mirror:
        trancheflow.market.pool.PoolMirror._split_sell/_split_buy.
@custom:security Every division rounds in the pool's favour: outputs DOWN,
                 the input an exhausted core keeps UP.
"""

BPS: constant(uint256) = 10_000
TOL_BPS: constant(uint256) = 1


@internal
@pure
def _split_sell(eff: uint256, tc: uint256, yc: uint256, ac: uint256, bc: uint256, tf: uint256, yf: uint256, bf: uint256) -> (uint256, uint256, uint256):
    """
    @notice Routes `eff` tokens (after the fee) between core and tail.
    @dev Core joins when it has cash and its price >= the tail's less TOL:
         ec = floor(eff tvc/(tvc+tf)), oc = floor((yc+bc) ec/(tvc+ec)); when
         oc > yc the core pays yc for ceil(yc tvc/bc). Tail:
         of = floor((yf+bf) ef/(tf+ef)).
    @return uint256 Tokens into the core.
    @return uint256 Cash out of the core.
    @return uint256 Cash out of the tail.
    """
    ec: uint256 = 0
    oc: uint256 = 0
    tvc: uint256 = tc + ac
    if yc > 0 and (yc + bc) * tf * BPS >= (yf + bf) * tvc * (BPS - TOL_BPS):
        ec = eff * tvc // (tvc + tf)
        if tvc + ec != 0:
            oc = (yc + bc) * ec // (tvc + ec)
        if oc > yc:
            oc = yc
            ec = (yc * tvc + bc - 1) // bc
    ef: uint256 = eff - ec
    of: uint256 = 0
    if tf + ef != 0:
        of = (yf + bf) * ef // (tf + ef)
    return ec, oc, of


@internal
@pure
def _split_buy(c: uint256, tc: uint256, yc: uint256, ac: uint256, bc: uint256, tf: uint256, yf: uint256, bf: uint256) -> (uint256, uint256, uint256):
    """
    @notice Routes `c` clean cash (after fee and accrued) between core and tail.
    @dev Core joins when it has tokens and its price <= the tail's plus TOL:
         cc = floor(c yvc/(yvc+yvf)), nc = floor((tc+ac) cc/(yvc+cc)); when
         nc > tc the core gives tc for ceil(tc yvc/ac). Tail:
         nf = floor(tf cf/(yvf+cf)) (0 when yvf = 0).
    @return uint256 Cash into the core.
    @return uint256 Tokens out of the core.
    @return uint256 Tokens out of the tail.
    """
    cc: uint256 = 0
    nc: uint256 = 0
    yvc: uint256 = yc + bc
    yvf: uint256 = yf + bf
    if tc > 0 and yvc * tf * BPS <= yvf * (tc + ac) * (BPS + TOL_BPS):
        cc = c * yvc // (yvc + yvf)
        if yvc + cc != 0:
            nc = (tc + ac) * cc // (yvc + cc)
        if nc > tc:
            nc = tc
            cc = (tc * yvc + ac - 1) // ac
    cf: uint256 = c - cc
    nf: uint256 = 0
    if yvf != 0:
        nf = tf * cf // (yvf + cf)
    return cc, nc, nf


@internal
@pure
def _accrued_share(eff: uint256, u: uint256, d: uint256, tf: uint256, yvf: uint256) -> uint256:
    """
    @notice The part of a buy's cash that pays accrued interest:
            ceil(eff u tf / (yvf d + u tf)) (UP: the buyer's marginal
            clean price is the tail's; accrued per token is u/d).
    @param eff Cash after the fee.
    @param u Accrued numerator (coupon cash x elapsed seconds).
    @param d Accrued denominator (FACE x PERIOD).
    @param tf Tail tokens.
    @param yvf Tail virtual cash.
    @return uint256 Cash units.
    """
    if u == 0 or tf == 0:
        return 0
    num: uint256 = eff * u * tf
    den: uint256 = yvf * d + u * tf
    return (num + den - 1) // den

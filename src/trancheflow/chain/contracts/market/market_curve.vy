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
def _split_sell(gross: uint256, fee: uint256, tc: uint256, yc: uint256, ac: uint256, bc: uint256, tf: uint256, yf: uint256, bf: uint256) -> (uint256, uint256, uint256):
    """
    @notice Routes `gross` tokens (fee included) between core and tail; each
            keeps its part of the input, fee included, so equal prices stay equal.
    @dev Core joins when it has cash and its price >= the tail's less TOL:
         gc = floor(gross tvc/(tvc+tf)), ec = floor(gc (BPS-fee)/BPS),
         oc = floor((yc+bc) ec/(tvc+ec)); when oc > yc the core pays yc for
         ec = ceil(yc tvc/bc), gc = ceil(ec BPS/(BPS-fee)). Tail: gf = gross - gc,
         ef = floor(gf (BPS-fee)/BPS), of = floor((yf+bf) ef/(tf+ef)).
    @return uint256 Tokens into the core (gross).
    @return uint256 Cash out of the core.
    @return uint256 Cash out of the tail.
    """
    gc: uint256 = 0
    oc: uint256 = 0
    tvc: uint256 = tc + ac
    if yc > 0 and (yc + bc) * tf * BPS >= (yf + bf) * tvc * (BPS - TOL_BPS):
        gc = gross * tvc // (tvc + tf)
        ec: uint256 = gc * (BPS - fee) // BPS
        if tvc + ec != 0:
            oc = (yc + bc) * ec // (tvc + ec)
        if oc > yc:
            oc = yc
            ec = (yc * tvc + bc - 1) // bc
            gc = (ec * BPS + BPS - fee - 1) // (BPS - fee)
    ef: uint256 = (gross - gc) * (BPS - fee) // BPS
    of: uint256 = 0
    if tf + ef != 0:
        of = (yf + bf) * ef // (tf + ef)
    return gc, oc, of


@internal
@pure
def _split_buy(gross: uint256, fee: uint256, tc: uint256, yc: uint256, ac: uint256, bc: uint256, tf: uint256, yf: uint256, bf: uint256) -> (uint256, uint256, uint256):
    """
    @notice Routes `gross` clean cash (fee included, accrued excluded)
            between core and tail, each keeping its part fee included.
    @dev Core joins when it has tokens and its price <= the tail's plus TOL:
         gcc = floor(gross yvc/(yvc+yvf)), cc = floor(gcc (BPS-fee)/BPS),
         nc = floor((tc+ac) cc/(yvc+cc)); when nc > tc the core gives tc for
         cc = ceil(tc yvc/ac), gcc = ceil(cc BPS/(BPS-fee)). Tail:
         cf = floor((gross-gcc) (BPS-fee)/BPS), nf = floor(tf cf/(yvf+cf))
         (0 when yvf = 0).
    @return uint256 Cash into the core (gross).
    @return uint256 Tokens out of the core.
    @return uint256 Tokens out of the tail.
    """
    gcc: uint256 = 0
    nc: uint256 = 0
    yvc: uint256 = yc + bc
    yvf: uint256 = yf + bf
    if tc > 0 and yvc * tf * BPS <= yvf * (tc + ac) * (BPS + TOL_BPS):
        gcc = gross * yvc // (yvc + yvf)
        cc: uint256 = gcc * (BPS - fee) // BPS
        if yvc + cc != 0:
            nc = (tc + ac) * cc // (yvc + cc)
        if nc > tc:
            nc = tc
            cc = (tc * yvc + ac - 1) // ac
            gcc = (cc * BPS + BPS - fee - 1) // (BPS - fee)
    cf: uint256 = (gross - gcc) * (BPS - fee) // BPS
    nf: uint256 = 0
    if yvf != 0:
        nf = tf * cf // (yvf + cf)
    return gcc, nc, nf


@internal
@pure
def _accrued_share(cash: uint256, u: uint256, d: uint256, tf: uint256, yvf: uint256) -> uint256:
    """
    @notice The part of a buy's cash that pays accrued interest:
            ceil(cash u tf / (yvf d + u tf)) (UP: the buyer's marginal
            clean price is the tail's; accrued per token is u/d).
    @param cash The buy's cash input.
    @param u Accrued numerator (coupon cash x elapsed seconds).
    @param d Accrued denominator (FACE x PERIOD).
    @param tf Tail tokens.
    @param yvf Tail virtual cash.
    @return uint256 Cash units.
    """
    if u == 0 or tf == 0:
        return 0
    num: uint256 = cash * u * tf
    den: uint256 = yvf * d + u * tf
    return (num + den - 1) // den

"""The TrancheMarket curve in closed form over arrays (float64), for the stress engine.

:class:`~trancheflow.market.pool.PoolMirror` does the contract's integer
arithmetic for one pool; the stress engine needs the same curve for 10,000
pools at once. These functions take a :class:`Pools` state (arrays, one entry
per scenario) and return float64 results that equal the mirror's floored
integer results to within :data:`PARITY_UNITS` units plus two units per unit
of price (``tests/unit/market/test_stress_curve.py`` checks it on sampled
trades): the mirror floors the fee-adjusted input, the routing split and each
position's output; float64 floors none.

Curve (see ``pool.py`` and ``market_curve.vy``): a concentrated core
``(Tc + Ac)(Yc + Bc)`` and a constant-product tail ``Tf (Yf + Bf)``; a trade is
split in proportion to their virtual reserves while the core's price is on the
right side of the tail's (within 1 bp) and the core has the side the trade
takes; an exhausted core keeps what empties it and the rest goes to the tail.
The fee is taken from the input and stays in the reserves (the tail's). The
spot price in cash per token is the tail's ``(Yf + Bf) / Tf``. The stress
trades right after each period's sync, when the accrued interest is zero, so
the clean curve is the whole price.

Examples
--------
>>> import numpy as np
>>> s = seed(np.array([100_000.0]), np.array([99_000.0]), 20, 5_000)
>>> out, _ = sell_out(s, np.array([1_000.0]), 10)
>>> int(out[0])   # PoolMirror gives 986 (integer floors per position)
988
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "PARITY_UNITS",
    "Pools",
    "buy_out",
    "buy_to_price",
    "scale_cash",
    "seed",
    "sell_out",
    "sell_to_price",
    "spot",
]

F = npt.NDArray[np.float64]
BPS = 10_000.0
TOL = 1.0 / BPS
#: Float results are within this many units (plus two units per unit of price) of the mirror's.
PARITY_UNITS = 4.0


class Pools(NamedTuple):
    """Per entry: core ``(tc, yc)``, offsets ``(ac, bc)``; tail ``(tf, yf)``, offset ``bf``."""

    tc: F
    yc: F
    ac: F
    bc: F
    tf: F
    yf: F
    bf: F

    @property
    def tokens(self) -> F:
        """Tokens held."""
        return np.asarray(self.tc + self.tf, dtype=np.float64)

    @property
    def cash(self) -> F:
        """Cash held."""
        return np.asarray(self.yc + self.yf, dtype=np.float64)


def seed(tokens: F, cash: F, amp: int, core_bps: int) -> Pools:
    """A seeded pool: ``core_bps`` of each side in the core with offsets ``(amp-1)`` x that."""
    w = core_bps / BPS
    tc, yc = tokens * w, cash * w
    return Pools(
        tc, yc, (amp - 1) * tc, (amp - 1) * yc, tokens - tc, cash - yc, np.zeros_like(cash)
    )


def spot(s: Pools) -> F:
    """Cash per token: the tail's price (the core's where there is no tail)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = (s.yf + s.bf) / s.tf
        core = (s.yc + s.bc) / (s.tc + s.ac)
    p = np.where(s.tf > 0, tail, core)
    return np.asarray(np.where(np.isfinite(p), p, 0.0), dtype=np.float64)


def _core_sells(s: Pools) -> npt.NDArray[np.bool_]:
    return np.asarray(
        (s.yc > 0) & ((s.yc + s.bc) * s.tf >= (s.yf + s.bf) * (s.tc + s.ac) * (1.0 - TOL))
    )


def _core_buys(s: Pools) -> npt.NDArray[np.bool_]:
    return np.asarray(
        (s.tc > 0) & ((s.yc + s.bc) * s.tf <= (s.yf + s.bf) * (s.tc + s.ac) * (1.0 + TOL))
    )


def sell_out(s: Pools, tokens_in: F, fee_bps: int) -> tuple[F, Pools]:
    """Cash paid for ``tokens_in`` and the pools after (no floors; mirrors ``PoolMirror.sell``)."""
    g = (BPS - fee_bps) / BPS
    tvc = s.tc + s.ac
    on = _core_sells(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        gc = np.where(on, tokens_in * tvc / (tvc + s.tf), 0.0)
        ec = gc * g
        oc = np.where(on & (tvc + ec > 0), (s.yc + s.bc) * ec / (tvc + ec), 0.0)
        cap = on & (oc > s.yc)
        gc = np.where(cap, s.yc * tvc / np.where(s.bc > 0, s.bc, 1.0) / g, gc)
        oc = np.where(cap, s.yc, oc)
        ef = (tokens_in - gc) * g
        of = np.where(s.tf + ef > 0, (s.yf + s.bf) * ef / (s.tf + ef), 0.0)
    # the tail pays from its real cash (it can fall short only where Bf > 0)
    ok = of <= s.yf
    gc, oc, of = np.where(ok, gc, 0.0), np.where(ok, oc, 0.0), np.where(ok, of, 0.0)
    t_in = np.where(ok, tokens_in, 0.0)
    after = s._replace(tc=s.tc + gc, yc=s.yc - oc, tf=s.tf + t_in - gc, yf=s.yf - of)
    return np.asarray(oc + of, dtype=np.float64), after


def buy_out(s: Pools, cash_in: F, fee_bps: int) -> tuple[F, Pools]:
    """Tokens paid for ``cash_in`` and the pools after (no floors; mirrors ``PoolMirror.buy``)."""
    g = (BPS - fee_bps) / BPS
    yvc, yvf = s.yc + s.bc, s.yf + s.bf
    on = _core_buys(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        gcc = np.where(on, cash_in * yvc / (yvc + yvf), 0.0)
        cc = gcc * g
        nc = np.where(on & (yvc + cc > 0), (s.tc + s.ac) * cc / (yvc + cc), 0.0)
        cap = on & (nc > s.tc)
        gcc = np.where(cap, s.tc * yvc / np.where(s.ac > 0, s.ac, 1.0) / g, gcc)
        nc = np.where(cap, s.tc, nc)
        cf = (cash_in - gcc) * g
        nf = np.where(yvf > 0, s.tf * cf / (yvf + cf), 0.0)
    after = s._replace(tc=s.tc - nc, yc=s.yc + gcc, tf=s.tf - nf, yf=s.yf + cash_in - gcc)
    return np.asarray(nc + nf, dtype=np.float64), after


def sell_to_price(s: Pools, price: F, fee_bps: int) -> F:
    """Tokens to sell so the spot (cash per token) falls to ``price`` (0 where already below).

    Each position's price ``p`` sits at virtual tokens ``sqrt(k / p)``; the core
    takes part only where :func:`sell_out` routes to it, down to its floor
    ``Bc**2 / kc`` (its cash exhausted). The tail reaches any price.
    """
    p = np.maximum(price, 1e-300)
    tvc, kc = s.tc + s.ac, (s.tc + s.ac) * (s.yc + s.bc)
    kf = s.tf * (s.yf + s.bf)
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = np.where(kc > 0, s.bc**2 / np.where(kc > 0, kc, 1.0), 0.0)
        ec = np.where(_core_sells(s), np.sqrt(kc / np.maximum(p, floor)) - tvc, 0.0)
        ef = np.sqrt(kf / p) - s.tf
    eff = np.maximum(ec, 0.0) + np.maximum(ef, 0.0)
    eff = np.where(np.isfinite(eff), eff, 0.0)
    return np.asarray(eff * BPS / (BPS - fee_bps), dtype=np.float64)


def buy_to_price(s: Pools, price: F, fee_bps: int) -> F:
    """Cash to pay in so the spot rises to ``price`` (0 where already above).

    Each position's price ``p`` sits at virtual cash ``sqrt(k p)``; the core
    only up to its ceiling ``kc / Ac**2`` (its tokens exhausted).
    """
    p = np.maximum(price, 0.0)
    yvc, kc = s.yc + s.bc, (s.tc + s.ac) * (s.yc + s.bc)
    kf = s.tf * (s.yf + s.bf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ceil = np.where(s.ac > 0, kc / np.where(s.ac > 0, s.ac, 1.0) ** 2, np.inf)
        cc = np.where(_core_buys(s), np.sqrt(kc * np.minimum(p, ceil)) - yvc, 0.0)
        cf = np.sqrt(kf * p) - (s.yf + s.bf)
    eff = np.maximum(cc, 0.0) + np.maximum(cf, 0.0)
    eff = np.where(np.isfinite(eff), eff, 0.0)
    return np.asarray(eff * BPS / (BPS - fee_bps), dtype=np.float64)


def scale_cash(s: Pools, ratio: F) -> tuple[Pools, F]:
    """The sync's rescale by ``ratio = balance_now / balance_seen``: the pools after
    and the cash released (down: ``Y`` and ``B`` scale; up: ``B`` grows so
    ``Y + B`` scales)."""
    down = ratio < 1.0
    released = np.where(down, (s.yc + s.yf) * (1.0 - ratio), 0.0)
    yc = np.where(down, s.yc * ratio, s.yc)
    yf = np.where(down, s.yf * ratio, s.yf)
    bc = np.where(down, s.bc * ratio, (s.yc + s.bc) * ratio - s.yc)
    bf = np.where(down, s.bf * ratio, (s.yf + s.bf) * ratio - s.yf)
    return s._replace(yc=yc, bc=bc, yf=yf, bf=bf), np.asarray(released, dtype=np.float64)

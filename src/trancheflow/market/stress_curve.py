"""The TrancheMarket curve in closed form over arrays (float64), for the stress engine.

:class:`~trancheflow.market.pool.PoolMirror` does the contract's integer
arithmetic for one pool; the stress engine needs the same curve for 10,000
pools at once. These functions take reserves as arrays (one entry per
scenario) and return float64 results that equal the mirror's floored integer
results to within :data:`PARITY_UNITS` units plus one unit per unit of price
(``tests/unit/market/test_stress_curve.py`` checks it on sampled trades):
the mirror floors twice (the fee-adjusted input, then the output), float64
does not floor; both errors are below one unit of output each.

Curve (see ``pool.py``): virtual reserves ``(T + A, Y + B)`` with the
constant-product rule ``(T + A)(Y + B) = k`` across a trade; the fee is taken
from the input and stays in the reserves. The spot price in cash per token
is ``(Y + B) / (T + A)``; per 100 of current face it is that times
``100 * face / balance``.

Examples
--------
>>> import numpy as np
>>> out = sell_out(np.array([99_000.0]), np.array([19 * 99_000.0]),
...                np.array([100_000.0]), np.array([19 * 100_000.0]), np.array([1_000.0]), 10)
>>> int(out[0])   # PoolMirror gives 988
988
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "PARITY_UNITS",
    "buy_out",
    "buy_to_price",
    "sell_capacity",
    "sell_out",
    "sell_to_price",
]

F = npt.NDArray[np.float64]
BPS = 10_000.0
#: Float results are within this many units (plus one unit per unit of price) of the mirror's.
PARITY_UNITS = 2.0


def sell_out(cash: F, off_cash: F, tokens: F, off_tokens: F, tokens_in: F, fee_bps: int) -> F:
    """Cash paid for ``tokens_in`` (no floor; 0 where the real cash cannot pay it).

    Mirrors :meth:`PoolMirror.quote_sell`.
    """
    eff = tokens_in * (BPS - fee_bps) / BPS
    den = tokens + off_tokens + eff
    out = np.where(den > 0, (cash + off_cash) * eff / np.where(den > 0, den, 1.0), 0.0)
    return np.where(out <= cash, out, 0.0)


def buy_out(cash: F, off_cash: F, tokens: F, off_tokens: F, cash_in: F, fee_bps: int) -> F:
    """Tokens paid for ``cash_in`` (no floor; 0 where the real tokens cannot pay it).

    Mirrors :meth:`PoolMirror.quote_buy`.
    """
    eff = cash_in * (BPS - fee_bps) / BPS
    den = cash + off_cash + eff
    out = np.where(den > 0, (tokens + off_tokens) * eff / np.where(den > 0, den, 1.0), 0.0)
    return np.where(out <= tokens, out, 0.0)


def sell_capacity(cash: F, off_cash: F, tokens: F, off_tokens: F, fee_bps: int) -> F:
    """The most tokens a sale can put in before the output would exceed the real cash.

    From ``(Y + B) e / (T + A + e) <= Y``: ``e <= Y (T + A) / B``; infinite
    where ``B == 0`` (``amp == 1``). Kept 1e-9 inside the bound.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where(off_cash > 0, cash * (tokens + off_tokens) / off_cash, np.inf)
    return eff * (1.0 - 1e-9) * BPS / (BPS - fee_bps)


def sell_to_price(cash: F, off_cash: F, tokens: F, off_tokens: F, price: F, fee_bps: int) -> F:
    """Tokens to sell so the spot (cash per token) falls to ``price`` (0 where already below).

    On the curve ``k = (T + A)(Y + B)`` the price ``p`` sits at virtual tokens
    ``sqrt(k / p)``; the input before the fee is the distance to it. The target
    is clipped to the curve's floor ``B**2 / k`` (real cash exhausted).
    """
    vt, vy = tokens + off_tokens, cash + off_cash
    k = vt * vy
    floor = np.where(k > 0, off_cash**2 / np.where(k > 0, k, 1.0), 0.0)
    p = np.maximum(price, floor * (1.0 + 1e-9))
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where(p > 0, np.sqrt(k / np.where(p > 0, p, 1.0)) - vt, 0.0)
    return np.maximum(eff, 0.0) * BPS / (BPS - fee_bps)


def buy_to_price(cash: F, off_cash: F, tokens: F, off_tokens: F, price: F, fee_bps: int) -> F:
    """Cash to pay in so the spot rises to ``price`` (0 where already above).

    The price ``p`` sits at virtual cash ``sqrt(k p)``; the target is clipped
    to the curve's ceiling ``k / A**2`` (real tokens exhausted).
    """
    vt, vy = tokens + off_tokens, cash + off_cash
    k = vt * vy
    with np.errstate(divide="ignore", invalid="ignore"):
        ceil = np.where(off_tokens > 0, k / off_tokens**2, np.inf)
    p = np.minimum(price, ceil * (1.0 - 1e-9))
    eff = np.sqrt(k * np.maximum(p, 0.0)) - vy
    return np.maximum(eff, 0.0) * BPS / (BPS - fee_bps)

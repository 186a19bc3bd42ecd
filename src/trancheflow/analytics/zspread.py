"""Z-spread: the constant spread over a zero curve that prices cash flows to a market price.

Convention: **continuous compounding on the curve's discount factors**. A cash
flow received ``t`` years from settlement is discounted by
``P(0, t) · exp(-z · t)`` where ``P`` is :meth:`~trancheflow.rates.ZeroCurve.discount`
(itself continuously compounded), so ``z`` adds to every continuously
compounded zero rate. Period ``k`` of a monthly cash-flow vector is received
at ``t_k = k/12 + delay_days/360`` years (the analytics package's 30/360
times, :func:`~trancheflow.analytics.daycount.cash_flow_times`, with
settlement on the accrual start, i.e. no accrued interest). Prices are
**full** prices in percent of ``balance`` (current face).

Examples
--------
>>> from trancheflow.rates import ZeroCurve
>>> curve = ZeroCurve([1.0, 30.0], [0.04, 0.04])
>>> flows = np.r_[np.full(11, 0.5), 100.5]                # 6% monthly-pay bullet, 1 year
>>> p = price_from_zspread(flows, curve, 0.01, balance=100.0)
>>> round(zspread_from_price(flows, curve, p, balance=100.0), 12)
0.01
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from trancheflow.errors import AnalyticsError, SolverError
from trancheflow.rates import ZeroCurve

from ._inputs import as_vector, check_positive

__all__ = ["SPREAD_BRACKET", "flow_times", "price_from_zspread", "zspread_from_price"]

#: Bracket searched for a Z-spread or OAS, as decimals (-20% .. +50%).
SPREAD_BRACKET = (-0.20, 0.50)


def flow_times(n_periods: int, delay_days: int = 0) -> NDArray[np.float64]:
    """Receipt times in years of periods ``1..n_periods``: ``k/12 + delay_days/360``.

    Examples
    --------
    >>> flow_times(2, delay_days=24).round(6).tolist()
    [0.15, 0.233333]
    """
    if isinstance(delay_days, bool) or int(delay_days) != delay_days or not 0 <= delay_days <= 90:
        raise AnalyticsError(f"delay_days {delay_days!r} must be a whole number of days in 0..90")
    return np.arange(1, n_periods + 1, dtype=np.float64) / 12.0 + delay_days / 360.0


def price_from_zspread(
    cash_flows: ArrayLike,
    curve: ZeroCurve,
    zspread: float,
    *,
    balance: float,
    delay_days: int = 0,
) -> float:
    """Full price (percent of ``balance``) of monthly cash flows at a Z-spread.

    Parameters
    ----------
    cash_flows : array_like
        Total cash flow of periods ``1..N`` (money).
    curve : ZeroCurve
        The zero curve.
    zspread : float
        Spread (decimal, continuously compounded).
    balance : float
        Current face, the price's denominator.
    delay_days : int, default 0
        Actual payment delay in days.

    Examples
    --------
    >>> from trancheflow.rates import ZeroCurve
    >>> round(price_from_zspread([100.0], ZeroCurve([1.0], [0.0]), 0.12, balance=100.0), 6)
    99.004983
    """
    flows = as_vector("cash_flows", cash_flows)
    face = check_positive("balance", balance)
    if not math.isfinite(zspread):
        raise AnalyticsError(f"zspread {zspread!r} must be finite")
    t = flow_times(flows.size, delay_days)
    df = np.asarray(curve.discount(t), dtype=np.float64) * np.exp(-zspread * t)
    return float(100.0 * (flows @ df) / face)


def zspread_from_price(
    cash_flows: ArrayLike,
    curve: ZeroCurve,
    price: float,
    *,
    balance: float,
    delay_days: int = 0,
) -> float:
    """Z-spread (decimal) that gives ``price`` (full, percent of ``balance``).

    Solved with Brent's method on :data:`SPREAD_BRACKET`.

    Raises
    ------
    SolverError
        When no spread in the bracket reproduces the price (the message gives
        the prices at the bracket's ends).

    Examples
    --------
    >>> from trancheflow.rates import ZeroCurve
    >>> flows = np.r_[np.zeros(11), 100.0]                  # zero-coupon, one year
    >>> round(zspread_from_price(flows, ZeroCurve([1.0], [0.03]), 95.0, balance=100.0), 8)
    0.02129329
    """
    flows = as_vector("cash_flows", cash_flows)
    face = check_positive("balance", balance)
    target = check_positive("price", price)
    t = flow_times(flows.size, delay_days)
    base = flows * np.asarray(curve.discount(t), dtype=np.float64)

    def gap(z: float) -> float:
        return float(100.0 * (base @ np.exp(-z * t)) / face) - target

    lo, hi = SPREAD_BRACKET
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo * g_hi > 0.0:
        raise SolverError(
            f"zspread_from_price: no Z-spread in [{lo:.0%}, {hi:.0%}] gives full price "
            f"{price!r}; prices at the bracket ends are {g_lo + target:.6g} and "
            f"{g_hi + target:.6g}"
        )
    return float(brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))

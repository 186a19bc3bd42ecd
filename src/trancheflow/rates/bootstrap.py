"""Bootstrapping a :class:`~trancheflow.rates.curve.ZeroCurve` from market quotes.

Three quote kinds are understood, one per node, solved shortest first:

``"zero"``
    A continuously compounded zero rate; taken as is.
``"bill"``
    A money-market (simple) yield ``y`` on a year fraction ``t``:
    ``P(0, t) = 1 / (1 + y·t)``. Treasury bills below one year are quoted this
    way (bond-equivalent yield, simple interest).
``"par"``
    The coupon rate of a bullet bond priced at par, paying ``coupon /
    frequency`` every ``1 / frequency`` years (semiannual for Treasuries),
    settling on a coupon date (no accrued interest). The maturity must be a
    whole number of coupon periods. The zero rate at the bond's maturity is
    found with Brent's method so that the bond, discounted on the curve
    (including the still-unknown last segment, interpolated as the curve
    does), prices to exactly 1.

Examples
--------
>>> curve = bootstrap_par_curve([0.25, 0.5, 1, 2, 5], [0.052, 0.051, 0.049, 0.046, 0.043])
>>> abs(par_yield(curve, 5.0) - 0.043) < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.optimize import brentq

from trancheflow.errors import CurveError
from trancheflow.rates.curve import ArrayLike, ZeroCurve

QuoteKind = Literal["zero", "bill", "par"]
QUOTE_KINDS: tuple[str, ...] = ("zero", "bill", "par")

_ZERO_BRACKET = (-0.5, 2.0)


def coupon_times(maturity: float, frequency: int = 2) -> np.ndarray:
    """Coupon dates (years) of a bond with a whole number of coupon periods.

    Parameters
    ----------
    maturity : float
        Maturity in years; must be a multiple of ``1 / frequency`` (to 1e-9).
    frequency : int, optional
        Coupons per year, default 2 (semiannual).

    Examples
    --------
    >>> coupon_times(2.0).tolist()
    [0.5, 1.0, 1.5, 2.0]
    """
    if frequency <= 0:
        raise CurveError(f"frequency {frequency!r} must be a positive integer")
    periods = maturity * frequency
    n = round(periods)
    if n < 1 or abs(periods - n) > 1e-9:
        raise CurveError(
            f"par bond maturity {maturity!r}y must be a whole number of "
            f"1/{frequency}-year coupon periods (use kind 'bill' or 'zero' for "
            "odd short tenors)"
        )
    return np.arange(1, n + 1, dtype=np.float64) / frequency


def par_bond_price(curve: ZeroCurve, maturity: float, coupon: float, frequency: int = 2) -> float:
    """Price (per 1 face) of a bullet bond paying ``coupon / frequency`` per period.

    Examples
    --------
    >>> flat = ZeroCurve([30.0], [0.05])
    >>> round(par_bond_price(flat, 10.0, 0.05), 6)
    0.995102
    """
    times = coupon_times(maturity, frequency)
    disc = curve.discount(times)
    return float(coupon / frequency * disc.sum() + disc[-1])


def par_yield(curve: ZeroCurve, maturity: float, frequency: int = 2) -> float:
    """Par coupon rate for ``maturity``: ``frequency·(1 - P(T)) / Σ P(t_k)``.

    Examples
    --------
    >>> flat = ZeroCurve([30.0], [0.05])
    >>> round(par_yield(flat, 10.0), 6)  # 2·(e^{0.025} - 1)
    0.05063
    """
    disc = curve.discount(coupon_times(maturity, frequency))
    return float(frequency * (1.0 - disc[-1]) / disc.sum())


def bootstrap_curve(
    tenors: ArrayLike,
    rates: ArrayLike,
    kinds: Sequence[str],
    *,
    frequency: int = 2,
) -> ZeroCurve:
    """Bootstrap a zero curve from mixed quotes (see module docstring for kinds).

    Parameters
    ----------
    tenors : array_like
        Maturities in years, strictly increasing and > 0.
    rates : array_like
        Quotes as decimals (0.045), one per tenor.
    kinds : sequence of {"zero", "bill", "par"}
        Quote kind per tenor.
    frequency : int, optional
        Coupons per year for ``"par"`` quotes, default 2.

    Returns
    -------
    ZeroCurve
        A curve with one node per quote that reprices every quote exactly
        (to solver precision, ~1e-15).

    Raises
    ------
    CurveError
        On mismatched lengths, unknown kinds, unsorted tenors, or a par quote
        that cannot be matched with a zero rate in [-50%, 200%].

    Examples
    --------
    >>> c = bootstrap_curve([0.5, 1.0, 2.0], [0.05, 0.048, 0.047], ["bill", "bill", "par"])
    >>> round(float(c.discount(0.5)), 10) == round(1 / (1 + 0.05 * 0.5), 10)
    True
    """
    t = np.atleast_1d(np.asarray(tenors, dtype=np.float64))
    q = np.atleast_1d(np.asarray(rates, dtype=np.float64))
    kind_list = list(kinds)
    if not (t.size == q.size == len(kind_list)) or t.size == 0:
        raise CurveError(
            f"tenors ({t.size}), rates ({q.size}) and kinds ({len(kind_list)}) must be "
            "non-empty and of equal length"
        )
    for i, k in enumerate(kind_list):
        if k not in QUOTE_KINDS:
            raise CurveError(f"kinds[{i}]={k!r} must be one of {list(QUOTE_KINDS)}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(q))):
        raise CurveError("tenors and rates must be finite numbers")
    if t[0] <= 0.0:
        raise CurveError(f"tenors[0]={t[0]!r} must be > 0 years")
    for i in range(1, t.size):
        if t[i] <= t[i - 1]:
            raise CurveError(
                f"tenors must be strictly increasing: tenors[{i}]={t[i]!r} "
                f"follows tenors[{i - 1}]={t[i - 1]!r}"
            )

    zeros = np.empty_like(t)
    for i in range(t.size):
        ti, qi, kind = float(t[i]), float(q[i]), kind_list[i]
        if kind == "zero":
            zeros[i] = qi
        elif kind == "bill":
            if 1.0 + qi * ti <= 0.0:
                raise CurveError(f"bill rate {qi!r} at {ti!r}y gives a non-positive price")
            zeros[i] = np.log1p(qi * ti) / ti
        else:
            zeros[i] = _solve_par_node(t[:i], zeros[:i], ti, qi, frequency)
    return ZeroCurve(t, zeros)


def _solve_par_node(
    known_t: np.ndarray, known_z: np.ndarray, maturity: float, coupon: float, frequency: int
) -> float:
    times = coupon_times(maturity, frequency)
    node_t = np.append(known_t, maturity)

    def excess(z: float) -> float:
        curve = ZeroCurve(node_t, np.append(known_z, z))
        disc = curve.discount(times)
        return float(coupon / frequency * disc.sum() + disc[-1] - 1.0)

    lo, hi = _ZERO_BRACKET
    f_lo, f_hi = excess(lo), excess(hi)
    if f_lo * f_hi > 0.0:
        raise CurveError(
            f"par yield {coupon!r} at {maturity!r}y cannot be matched by a zero rate in "
            f"[{lo}, {hi}]; check the quote and its kind"
        )
    root = brentq(excess, lo, hi, xtol=1e-16, rtol=4.0 * np.finfo(float).eps, maxiter=200)
    return float(root)


def bootstrap_par_curve(
    tenors: ArrayLike,
    par_yields: ArrayLike,
    *,
    bill_cutoff: float = 1.0,
    frequency: int = 2,
) -> ZeroCurve:
    """Bootstrap a Treasury-style par curve: bills below ``bill_cutoff``, par coupons above.

    Quotes with tenor < ``bill_cutoff`` years are money-market bill yields
    (``P = 1 / (1 + y·t)``); the rest are par yields of bonds paying
    ``frequency`` coupons a year. This is how the U.S. Treasury par yield
    curve is quoted (bills on a bond-equivalent basis, notes and bonds as
    semiannual par yields).

    Parameters
    ----------
    tenors : array_like
        Maturities in years, strictly increasing.
    par_yields : array_like
        Yields as decimals.
    bill_cutoff : float, optional
        Tenors strictly below this are bills, default 1.0 year.
    frequency : int, optional
        Coupons per year, default 2.

    Examples
    --------
    >>> curve = bootstrap_par_curve([0.5, 1.0, 2.0, 3.0], [0.05, 0.049, 0.047, 0.046])
    >>> round(par_yield(curve, 3.0), 12)
    0.046
    """
    t = np.atleast_1d(np.asarray(tenors, dtype=np.float64))
    kinds = ["bill" if ti < bill_cutoff else "par" for ti in t]
    return bootstrap_curve(t, par_yields, kinds, frequency=frequency)

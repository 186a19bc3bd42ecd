"""Cash-flow yield and price of monthly mortgage cash flows (BMA Standard Formulas).

Definitions follow the Bond Market Association *Uniform Practices / Standard
Formulas*, chapter SF (1999):

* **Bond-equivalent yield** ``Y`` (SF G.1.a, page SF-48) solves
  ``P = sum_k CF_k / (1 + Y/2)^(2 T_k)`` where ``P`` is the *full* price
  (including accrued interest) and ``T_k`` are 30/360 years from settlement
  to receipt, actual delay included (see :mod:`trancheflow.analytics.daycount`).
* **Mortgage yield** ``y`` (SF G.1.b) compounds monthly:
  ``(1 + y/12)^6 = 1 + Y/2``, i.e. ``Y = 2[(1 + y/12)^6 - 1]``.
* **Accrued interest** (SF F.1.c, page SF-46) runs 30/360 from the accrual
  start (first of the month) to settlement: ``coupon * N / 360``.

Prices are percent of the current face (100 = par); yields are decimals
(0.065 = 6.5%).

Examples
--------
>>> round(mortgage_to_bey(0.06), 8)
0.06075502
>>> round(bey_to_mortgage(mortgage_to_bey(0.06)), 12)
0.06
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from trancheflow.errors import AnalyticsError, SolverError

from ._inputs import (
    PriceType,
    YieldType,
    as_vector,
    check_positive,
    check_price_type,
    check_yield_type,
)
from .daycount import cash_flow_times, settlement_offset_days

#: Bracket searched for a bond-equivalent yield, as decimals.
YIELD_BRACKET = (-0.95, 10.0)


@dataclass(frozen=True)
class Price:
    """A price in percent of current face (100 = par).

    Attributes
    ----------
    clean : float
        Quoted price, excluding accrued interest.
    full : float
        Settlement ("dirty") price: ``clean + accrued``.
    accrued : float
        Accrued interest from the accrual start to settlement (SF F.1.c).
    """

    clean: float
    full: float
    accrued: float


def mortgage_to_bey(mortgage_yield: float) -> float:
    """Convert a monthly-compounded mortgage yield to bond-equivalent (SF G.1.b).

    Parameters
    ----------
    mortgage_yield : float
        Decimal yield compounded monthly.

    Returns
    -------
    float
        ``2 [(1 + y/12)^6 - 1]``.

    Examples
    --------
    >>> round(mortgage_to_bey(0.0893863), 7)
    0.0910675
    """
    if mortgage_yield <= -12.0:
        raise AnalyticsError(f"mortgage yield {mortgage_yield!r} must be > -12 (i.e. -1200%)")
    return 2.0 * math.expm1(6.0 * math.log1p(mortgage_yield / 12.0))


def bey_to_mortgage(bey: float) -> float:
    """Convert a bond-equivalent yield to a monthly-compounded mortgage yield.

    Parameters
    ----------
    bey : float
        Decimal bond-equivalent (semiannual) yield.

    Returns
    -------
    float
        ``12 [(1 + Y/2)^(1/6) - 1]``.

    Examples
    --------
    >>> round(bey_to_mortgage(0.0910675), 7)
    0.0893863
    """
    if bey <= -2.0:
        raise AnalyticsError(f"bond-equivalent yield {bey!r} must be > -2 (i.e. -200%)")
    return 12.0 * math.expm1(math.log1p(bey / 2.0) / 6.0)


def to_bey(yield_: float, yield_type: YieldType) -> float:
    """Return ``yield_`` expressed as a bond-equivalent yield.

    Examples
    --------
    >>> to_bey(0.05, "bey")
    0.05
    """
    check_yield_type(yield_type)
    if not math.isfinite(yield_):
        raise AnalyticsError(f"yield {yield_!r} must be finite")
    return float(yield_) if yield_type == "bey" else mortgage_to_bey(yield_)


def from_bey(bey: float, yield_type: YieldType) -> float:
    """Express a bond-equivalent yield on the ``yield_type`` basis.

    Examples
    --------
    >>> round(from_bey(mortgage_to_bey(0.07), "mortgage"), 12)
    0.07
    """
    check_yield_type(yield_type)
    return float(bey) if yield_type == "bey" else bey_to_mortgage(bey)


def accrued_interest(
    coupon: float, settle: date | None, accrual_start: date | None = None
) -> float:
    """Accrued interest in percent of current face (SF F.1.c).

    Parameters
    ----------
    coupon : float
        Annual (net pass-through) coupon as a decimal.
    settle : datetime.date or None
        Settlement date; ``None`` means the accrual start (no accrued).
    accrual_start : datetime.date, optional
        Defaults to the first of the settlement month.

    Returns
    -------
    float
        ``100 * coupon * N / 360`` with ``N`` the 30/360 days to settlement.

    Examples
    --------
    >>> accrued_interest(0.09, date(1999, 3, 8))
    0.175
    """
    if not math.isfinite(coupon):
        raise AnalyticsError(f"coupon {coupon!r} must be finite")
    return 100.0 * coupon * settlement_offset_days(settle, accrual_start) / 360.0


def discount_factors(bey: float, times: NDArray[np.float64]) -> NDArray[np.float64]:
    """Semiannual discount factors ``(1 + Y/2)^(-2 T)`` (SF G.1.a).

    Examples
    --------
    >>> discount_factors(0.10, np.array([0.5, 1.0])).round(6).tolist()
    [0.952381, 0.907029]
    """
    if bey <= -2.0:
        raise AnalyticsError(f"bond-equivalent yield {bey!r} must be > -2 (i.e. -200%)")
    result: NDArray[np.float64] = np.exp(-2.0 * times * math.log1p(bey / 2.0))
    return result


def _full_price(flows: NDArray[np.float64], times: NDArray[np.float64], bey: float) -> float:
    return float(flows @ discount_factors(bey, times))


def price_from_yield(
    cash_flows: ArrayLike,
    yield_: float,
    *,
    balance: float,
    coupon: float = 0.0,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
) -> Price:
    """Price monthly cash flows at a cash-flow yield (SF G.1.a).

    Parameters
    ----------
    cash_flows : array_like
        Total cash flow (principal + interest) of periods ``1..N``, in money.
        For a pool or tranche pass ``principal + interest``.
    yield_ : float
        Decimal yield on the ``yield_type`` basis.
    balance : float
        Current face at settlement (balance at the start of period 1), the
        denominator of the price.
    coupon : float, default 0.0
        Annual coupon for accrued interest (decimal).
    settle, accrual_start : datetime.date, optional
        Settlement and the start of its accrual month (see
        :mod:`trancheflow.analytics.daycount`). ``None`` settles on the
        accrual start.
    delay_days : int, default 0
        Actual payment delay (14 for GNMA I, 19 GNMA II, 24 FNMA).
    yield_type : {"bey", "mortgage"}
        Basis of ``yield_``.

    Returns
    -------
    Price
        Clean, full and accrued, percent of current face.

    Examples
    --------
    A one-period cash flow of 101 paid in 30 days, priced at 0% yield:

    >>> price_from_yield([101.0], 0.0, balance=100.0).full
    101.0
    >>> p = price_from_yield([1.0, 101.0], 0.06, balance=100.0, coupon=0.12,
    ...                      settle=date(2024, 1, 16))
    >>> round(p.accrued, 4), round(p.full - p.clean, 4)
    (0.5, 0.5)
    """
    flows = as_vector("cash_flows", cash_flows)
    face = check_positive("balance", balance)
    bey = to_bey(yield_, yield_type)
    times = cash_flow_times(
        flows.size, delay_days=delay_days, settle=settle, accrual_start=accrual_start
    )
    full = 100.0 * _full_price(flows, times, bey) / face
    accrued = accrued_interest(coupon, settle, accrual_start)
    return Price(clean=full - accrued, full=full, accrued=accrued)


def yield_from_price(
    cash_flows: ArrayLike,
    price: float,
    *,
    balance: float,
    coupon: float = 0.0,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
    price_type: PriceType = "clean",
) -> float:
    """Cash-flow yield of monthly cash flows at a price (SF G.1.a).

    Solves ``sum_k CF_k (1 + Y/2)^(-2 T_k) = balance * full_price / 100`` for
    the bond-equivalent yield ``Y`` with Brent's method on
    :data:`YIELD_BRACKET`, then converts to ``yield_type``.

    Parameters
    ----------
    cash_flows : array_like
        Total cash flow of periods ``1..N`` in money.
    price : float
        Percent of current face; clean unless ``price_type="full"``.
    balance, coupon, settle, accrual_start, delay_days, yield_type
        As in :func:`price_from_yield`.
    price_type : {"clean", "full"}
        Whether ``price`` excludes (clean) or includes (full) accrued.

    Returns
    -------
    float
        Decimal yield on the ``yield_type`` basis.

    Raises
    ------
    SolverError
        If no yield in the bracket reproduces the price; the message names the
        price, the bracket and the prices at its ends.

    Examples
    --------
    >>> round(yield_from_price([0.5, 100.5], 100.0, balance=100.0, yield_type="mortgage"), 10)
    0.06
    """
    flows = as_vector("cash_flows", cash_flows)
    face = check_positive("balance", balance)
    check_positive("price", price)
    check_yield_type(yield_type)
    accrued = accrued_interest(coupon, settle, accrual_start)
    full = float(price) + (accrued if check_price_type(price_type) == "clean" else 0.0)
    target = face * full / 100.0
    times = cash_flow_times(
        flows.size, delay_days=delay_days, settle=settle, accrual_start=accrual_start
    )

    def gap(bey: float) -> float:
        return _full_price(flows, times, bey) - target

    lo, hi = YIELD_BRACKET
    g_lo, g_hi = gap(lo), gap(hi)
    if not (math.isfinite(g_lo) and math.isfinite(g_hi)) or g_lo * g_hi > 0.0:
        raise SolverError(
            f"yield_from_price: no bond-equivalent yield in [{lo:.2%}, {hi:.2%}] gives "
            f"{price_type} price {price!r} (full {full:.6f}, balance {face!r}, "
            f"{flows.size} periods, delay_days {delay_days}, settle {settle}); full prices "
            f"at the bracket ends are {100 * (g_lo + target) / face:.6g} and "
            f"{100 * (g_hi + target) / face:.6g}"
        )
    if g_lo == 0.0:
        return from_bey(lo, yield_type)
    if g_hi == 0.0:
        return from_bey(hi, yield_type)
    bey = float(brentq(gap, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))
    return from_bey(bey, yield_type)

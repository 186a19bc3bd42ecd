"""Effective duration and convexity with prepayment speeds that respond to yield.

Convention (BMA *Standard Formulas* G.1.g, page SF-50/51): effective duration
``D`` and convexity ``C`` are the numbers that satisfy, for a yield shift
``dY`` up and down,

``P(+dY) = P0 [1 - D dY + C dY^2 / 2]`` and ``P(-dY) = P0 [1 + D dY + C dY^2 / 2]``,

whose simultaneous solution is

``D = (P(-dY) - P(+dY)) / (2 P0 dY)`` and
``C = (P(+dY) + P(-dY) - 2 P0) / (P0 dY^2)``,

with ``D`` in years and ``C`` in years squared, prices *full* (SF G.1.a).

Here the "variable prepayment-rate model" is a speed multiplier: the base
price ``P0`` discounts ``project(1)`` at the base yield; ``P(+dY)`` discounts
``project(1 - speed_shock)`` at ``Y0 + dY`` (rates up, prepayments slow) and
``P(-dY)`` discounts ``project(1 + speed_shock)`` at ``Y0 - dY`` (rates down,
prepayments speed up). This is the desk's constant-yield-spread convention:
the discount yield moves one-for-one with the shift. When the base is given
as a price, the base yield is first solved from ``project(1)`` (price held).
With ``speed_shock=0`` the results reduce to finite-difference modified
duration and cash-flow convexity.

Examples
--------
>>> flows = np.full(12, 1.0); flows[-1] += 100.0
>>> r = effective_duration_convexity(lambda k: flows, yield_=0.05, balance=100.0,
...                                  yield_shift=1e-4)
>>> from trancheflow.analytics.duration import modified_duration
>>> round(r.duration, 6) == round(modified_duration(flows, 0.05), 6)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trancheflow.errors import AnalyticsError

from ._inputs import YieldType, as_vector, check_positive
from .yields import from_bey, price_from_yield, to_bey, yield_from_price

#: ``project(speed_multiplier)`` returns total cash flows or ``(principal, interest)``.
Projection = Callable[[float], "ArrayLike | tuple[ArrayLike, ArrayLike]"]


@dataclass(frozen=True)
class EffectiveRisk:
    """Effective duration and convexity and the prices they came from.

    Attributes
    ----------
    duration : float
        Effective duration, years.
    convexity : float
        Effective convexity, years squared (often negative for pass-throughs).
    price_base, price_up, price_down : float
        Full prices (percent of face) at the base yield, ``+dY`` and ``-dY``.
    yield_bey : float
        Base bond-equivalent yield.
    yield_shift : float
        ``dY`` as a decimal.
    speed_shock : float
        Relative speed change applied with the shift.
    """

    duration: float
    convexity: float
    price_base: float
    price_up: float
    price_down: float
    yield_bey: float
    yield_shift: float
    speed_shock: float


def effective_from_prices(
    price_base: float, price_up: float, price_down: float, yield_shift: float
) -> tuple[float, float]:
    """Solve SF G.1.g's two equations for effective duration and convexity.

    Parameters
    ----------
    price_base, price_up, price_down : float
        Prices at the base yield, the yield plus ``yield_shift`` and the yield
        minus ``yield_shift``.
    yield_shift : float
        Decimal yield shift (0.001 = 10 bp).

    Returns
    -------
    (float, float)
        Effective duration (years) and effective convexity (years squared).

    Examples
    --------
    The Standard Formulas example (page SF-51): 99.453 and 100.541 at +/-10 bp.

    >>> d, c = effective_from_prices(100.0, 99.453, 100.541, 0.001)
    >>> round(d, 2), round(c, 1)
    (5.44, -60.0)
    """
    check_positive("price_base", price_base)
    check_positive("yield_shift", yield_shift)
    duration = (price_down - price_up) / (2.0 * price_base * yield_shift)
    conv = (price_up + price_down - 2.0 * price_base) / (price_base * yield_shift**2)
    return duration, conv


def _total(
    result: ArrayLike | tuple[ArrayLike, ArrayLike], multiplier: float
) -> NDArray[np.float64]:
    name = f"project({multiplier:g})"
    if isinstance(result, tuple):
        if len(result) != 2:
            raise AnalyticsError(f"{name} returned a tuple of {len(result)}; expected 2")
        principal = as_vector(f"{name} principal", result[0])
        interest = as_vector(f"{name} interest", result[1])
        if principal.shape != interest.shape:
            raise AnalyticsError(
                f"{name} principal has {principal.size} periods but interest {interest.size}"
            )
        return principal + interest
    return as_vector(name, result)


def effective_duration_convexity(
    project: Projection,
    *,
    balance: float,
    yield_: float | None = None,
    price: float | None = None,
    coupon: float = 0.0,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
    yield_shift: float = 0.0025,
    speed_shock: float = 0.0,
) -> EffectiveRisk:
    """Effective duration and convexity from shifted prepayment speeds.

    Parameters
    ----------
    project : callable
        ``project(speed_multiplier)`` returns the cash flows (total, or a
        ``(principal, interest)`` pair) at the base speed times the multiplier.
    balance : float
        Current face at settlement.
    yield_, price : float
        Exactly one: base yield (decimal, ``yield_type`` basis) held in the
        shifts, or clean price from which the base yield is solved.
    coupon, settle, accrual_start, delay_days, yield_type
        As in :func:`trancheflow.analytics.yields.price_from_yield`.
    yield_shift : float, default 0.0025
        Bond-equivalent yield shift ``dY`` (decimal; 0.0025 = 25 bp).
    speed_shock : float, default 0.0
        Relative speed change paired with the shift: rates up use
        ``1 - speed_shock``, rates down ``1 + speed_shock``. Must be in
        ``[0, 1)``.

    Returns
    -------
    EffectiveRisk

    Raises
    ------
    AnalyticsError
        If not exactly one of ``yield_``/``price`` is given, or a shock is out
        of range.

    Examples
    --------
    >>> flows = np.full(24, 0.5); flows[-1] += 100.0
    >>> r = effective_duration_convexity(lambda k: flows, price=100.0, balance=100.0,
    ...                                  yield_shift=0.001)
    >>> round(r.yield_bey, 6)
    0.060755
    """
    if (yield_ is None) == (price is None):
        raise AnalyticsError("give exactly one of yield_ or price for effective duration")
    check_positive("yield_shift", yield_shift)
    if not (math.isfinite(speed_shock) and 0.0 <= speed_shock < 1.0):
        raise AnalyticsError(f"speed_shock {speed_shock!r} must be in [0, 1)")
    base = _total(project(1.0), 1.0)

    def full_price(flows: NDArray[np.float64], bey: float) -> float:
        return price_from_yield(
            flows,
            bey,
            balance=balance,
            coupon=coupon,
            settle=settle,
            accrual_start=accrual_start,
            delay_days=delay_days,
        ).full

    if price is not None:
        bey = yield_from_price(
            base,
            price,
            balance=balance,
            coupon=coupon,
            settle=settle,
            accrual_start=accrual_start,
            delay_days=delay_days,
        )
    else:
        assert yield_ is not None
        bey = to_bey(yield_, yield_type)
    up_mult, down_mult = 1.0 - speed_shock, 1.0 + speed_shock
    up = base if speed_shock == 0.0 else _total(project(up_mult), up_mult)
    down = base if speed_shock == 0.0 else _total(project(down_mult), down_mult)
    p0 = full_price(base, bey)
    p_up = full_price(up, bey + yield_shift)
    p_down = full_price(down, bey - yield_shift)
    duration, conv = effective_from_prices(p0, p_up, p_down, yield_shift)
    return EffectiveRisk(
        duration=duration,
        convexity=conv,
        price_base=p0,
        price_up=p_up,
        price_down=p_down,
        yield_bey=from_bey(bey, "bey"),
        yield_shift=float(yield_shift),
        speed_shock=float(speed_shock),
    )

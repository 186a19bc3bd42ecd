"""Static cash-flow duration and convexity (BMA Standard Formulas G.1.d-f).

All measures use the **bond-equivalent** yield ``Y`` (SF G.1.b: mortgage
yield "should not be used in the duration or convexity formulas"); a
mortgage yield passed with ``yield_type="mortgage"`` is converted first.
With ``v_k = (1 + Y/2)^(-2 T_k)`` and the full price ``P = sum CF_k v_k``:

* Macaulay duration ``D = sum T_k CF_k v_k / P`` (years, SF G.1.d);
* modified duration ``D / (1 + Y/2)`` = ``-(dP/dY)/P`` (SF G.1.e);
* cash-flow convexity ``sum T_k (T_k + 1/2) CF_k v_k / ((1 + Y/2)^2 P)``
  = ``(d^2P/dY^2)/P`` in years squared (SF G.1.f); divide by 100 for the
  "0.544326" style of quotation.

Cash flows are held fixed; for measures where prepayments respond to rates
see :mod:`trancheflow.analytics.effective`.

Examples
--------
A zero-coupon flow received in exactly one year has Macaulay duration 1:

>>> flows = [0.0] * 11 + [100.0]
>>> round(macaulay_duration(flows, 0.05), 12)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from numpy.typing import ArrayLike

from trancheflow.errors import AnalyticsError

from ._inputs import YieldType, as_vector
from .daycount import cash_flow_times
from .yields import discount_factors, to_bey


@dataclass(frozen=True)
class CashFlowRisk:
    """Static (fixed cash flow) risk measures at one yield.

    Attributes
    ----------
    macaulay : float
        Macaulay duration, years.
    modified : float
        Modified duration, years (percent price change per 100 bp).
    convexity : float
        Cash-flow convexity, years squared.
    """

    macaulay: float
    modified: float
    convexity: float


def cash_flow_risk(
    cash_flows: ArrayLike,
    yield_: float,
    *,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
) -> CashFlowRisk:
    """Macaulay and modified duration and cash-flow convexity together.

    Parameters
    ----------
    cash_flows : array_like
        Total cash flow of periods ``1..N``.
    yield_ : float
        Decimal yield on the ``yield_type`` basis.
    settle, accrual_start, delay_days
        Timing, as in :func:`trancheflow.analytics.yields.price_from_yield`.
    yield_type : {"bey", "mortgage"}
        Basis of ``yield_``.

    Returns
    -------
    CashFlowRisk

    Raises
    ------
    AnalyticsError
        If the present value of the cash flows is not positive.

    Examples
    --------
    >>> r = cash_flow_risk([0.0] * 11 + [100.0], 0.05)
    >>> round(r.modified, 6), round(r.convexity, 6)
    (0.97561, 1.427722)
    """
    flows = as_vector("cash_flows", cash_flows)
    bey = to_bey(yield_, yield_type)
    times = cash_flow_times(
        flows.size, delay_days=delay_days, settle=settle, accrual_start=accrual_start
    )
    pv = flows * discount_factors(bey, times)
    price = float(pv.sum())
    if not price > 0.0:
        raise AnalyticsError(
            f"duration needs a positive present value; cash flows discounted at "
            f"bond-equivalent yield {bey!r} sum to {price!r}"
        )
    macaulay = float(times @ pv) / price
    growth = 1.0 + bey / 2.0
    convexity = float((times * (times + 0.5)) @ pv) / (growth * growth * price)
    return CashFlowRisk(macaulay=macaulay, modified=macaulay / growth, convexity=convexity)


def macaulay_duration(
    cash_flows: ArrayLike,
    yield_: float,
    *,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
) -> float:
    """Macaulay duration in years (SF G.1.d); see :func:`cash_flow_risk`.

    Examples
    --------
    >>> round(macaulay_duration([50.0] + [0.0] * 10 + [50.0], 0.0), 6)
    0.541667
    """
    return cash_flow_risk(
        cash_flows,
        yield_,
        settle=settle,
        accrual_start=accrual_start,
        delay_days=delay_days,
        yield_type=yield_type,
    ).macaulay


def modified_duration(
    cash_flows: ArrayLike,
    yield_: float,
    *,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
) -> float:
    """Modified duration in years (SF G.1.e); see :func:`cash_flow_risk`.

    Examples
    --------
    >>> round(modified_duration([0.0] * 11 + [100.0], 0.10), 6)
    0.952381
    """
    return cash_flow_risk(
        cash_flows,
        yield_,
        settle=settle,
        accrual_start=accrual_start,
        delay_days=delay_days,
        yield_type=yield_type,
    ).modified


def convexity(
    cash_flows: ArrayLike,
    yield_: float,
    *,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    yield_type: YieldType = "bey",
) -> float:
    """Cash-flow convexity in years squared (SF G.1.f); see :func:`cash_flow_risk`.

    Examples
    --------
    >>> round(convexity([0.0] * 11 + [100.0], 0.10), 12) == round(1.0 * 1.5 / 1.05**2, 12)
    True
    """
    return cash_flow_risk(
        cash_flows,
        yield_,
        settle=settle,
        accrual_start=accrual_start,
        delay_days=delay_days,
        yield_type=yield_type,
    ).convexity

"""One call for the usual yield table of a pool or tranche: :class:`YieldMeasures`.

:func:`yield_measures` takes a principal and an interest vector (periods
``1..N``), a price *or* a yield, and the settlement conventions, and returns
price, bond-equivalent and mortgage yield, WAL, Macaulay and modified
duration, cash-flow convexity, accrued interest and (given a projection
callable) effective duration and convexity. Definitions are those of
:mod:`~trancheflow.analytics.yields`, :mod:`~trancheflow.analytics.duration`,
:mod:`~trancheflow.analytics.average_life` and
:mod:`~trancheflow.analytics.effective` (BMA Standard Formulas, section G).

Examples
--------
>>> principal = [0.0] * 11 + [100.0]
>>> interest = [0.5] * 12
>>> m = yield_measures(principal, interest, yield_=0.06, yield_type="mortgage")
>>> round(m.price, 6), round(m.wal, 6)
(100.0, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date

from numpy.typing import ArrayLike

from trancheflow.errors import AnalyticsError

from ._inputs import PriceType, YieldType, as_vector, check_positive, check_yield_type
from .average_life import average_life
from .duration import cash_flow_risk
from .effective import Projection, effective_duration_convexity
from .yields import bey_to_mortgage, price_from_yield, to_bey, yield_from_price


@dataclass(frozen=True)
class YieldMeasures:
    """Yield-table measures for one cash flow at one price.

    Attributes
    ----------
    price : float
        Clean price, percent of current face.
    full_price : float
        Price plus accrued interest.
    accrued : float
        Accrued interest, percent of current face (SF F.1.c).
    yield_bey : float
        Bond-equivalent (semiannual) cash-flow yield, decimal (SF G.1.a).
    yield_mortgage : float
        Monthly-compounded mortgage yield, decimal (SF G.1.b).
    wal : float
        Weighted average life in years, delay included (SF G.1.c).
    macaulay : float
        Macaulay duration, years (SF G.1.d).
    modified : float
        Modified duration, years (SF G.1.e).
    convexity : float
        Cash-flow convexity, years squared (SF G.1.f).
    effective_duration, effective_convexity : float or None
        From shifted speeds (SF G.1.g) when a projection was given.
    """

    price: float
    full_price: float
    accrued: float
    yield_bey: float
    yield_mortgage: float
    wal: float
    macaulay: float
    modified: float
    convexity: float
    effective_duration: float | None = None
    effective_convexity: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        """Return the measures as a plain dict (JSON-ready).

        Examples
        --------
        >>> m = YieldMeasures(100, 100, 0, 0.06, 0.059, 5, 4, 3.9, 20)
        >>> m.as_dict()["wal"]
        5
        """
        return asdict(self)


def yield_measures(
    principal: ArrayLike,
    interest: ArrayLike,
    *,
    price: float | None = None,
    yield_: float | None = None,
    yield_type: YieldType = "bey",
    balance: float | None = None,
    coupon: float | None = None,
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    project: Projection | None = None,
    yield_shift: float = 0.0025,
    speed_shock: float = 0.0,
    price_type: PriceType = "clean",
) -> YieldMeasures:
    """Compute :class:`YieldMeasures` from a price or a yield.

    Parameters
    ----------
    principal, interest : array_like
        Principal and (net) interest received in periods ``1..N``.
    price : float, optional
        Price, percent of current face: clean (default) or full, as
        ``price_type`` says.
    yield_ : float, optional
        Decimal yield on the ``yield_type`` basis. Exactly one of ``price`` and
        ``yield_`` must be given.
    yield_type : {"bey", "mortgage"}, default "bey"
        Basis of ``yield_``.
    balance : float, optional
        Current face at settlement; defaults to ``principal.sum()`` (right
        when the vector retires the whole balance; pass it when losses mean
        principal received is less than the face).
    coupon : float, optional
        Annual coupon for accrued interest; defaults to
        ``12 * interest[0] / balance``, the pass-through rate implied by a
        full first month of interest on the face.
    settle, accrual_start, delay_days
        Timing, see :mod:`trancheflow.analytics.daycount`.
    project : callable, optional
        ``project(speed_multiplier)`` for effective measures (see
        :func:`~trancheflow.analytics.effective.effective_duration_convexity`);
        ``project(1.0)`` should reproduce ``principal`` and ``interest``.
    yield_shift, speed_shock : float
        Passed to the effective measures.

    Returns
    -------
    YieldMeasures

    Raises
    ------
    AnalyticsError
        On mismatched vectors, a missing or duplicated price/yield, or a
        non-positive balance.
    SolverError
        If no yield reproduces ``price``.

    Examples
    --------
    >>> m = yield_measures([0.0, 100.0], [0.5, 0.5], price=100.0)
    >>> round(m.yield_mortgage, 10)
    0.06
    """
    pr = as_vector("principal", principal)
    it = as_vector("interest", interest)
    if pr.shape != it.shape:
        raise AnalyticsError(
            f"principal has {pr.size} periods but interest has {it.size}; they must match"
        )
    if (price is None) == (yield_ is None):
        raise AnalyticsError("give exactly one of price or yield_")
    check_yield_type(yield_type)
    face = check_positive("balance", float(pr.sum()) if balance is None else balance)
    rate = 12.0 * float(it[0]) / face if coupon is None else float(coupon)
    if not math.isfinite(rate):
        raise AnalyticsError(f"coupon {coupon!r} must be finite")
    flows = pr + it
    if price is not None:
        bey = yield_from_price(
            flows,
            price,
            balance=face,
            coupon=rate,
            settle=settle,
            accrual_start=accrual_start,
            delay_days=delay_days,
            price_type=price_type,
        )
    else:
        assert yield_ is not None
        bey = to_bey(yield_, yield_type)
    quote = price_from_yield(
        flows,
        bey,
        balance=face,
        coupon=rate,
        settle=settle,
        accrual_start=accrual_start,
        delay_days=delay_days,
    )
    risk = cash_flow_risk(
        flows, bey, settle=settle, accrual_start=accrual_start, delay_days=delay_days
    )
    wal = average_life(pr, settle=settle, accrual_start=accrual_start, delay_days=delay_days)
    eff_d: float | None = None
    eff_c: float | None = None
    if project is not None:
        eff = effective_duration_convexity(
            project,
            balance=face,
            yield_=bey,
            coupon=rate,
            yield_shift=yield_shift,
            speed_shock=speed_shock,
            settle=settle,
            accrual_start=accrual_start,
            delay_days=delay_days,
        )
        eff_d, eff_c = eff.duration, eff.convexity
    return YieldMeasures(
        price=quote.clean,
        full_price=quote.full,
        accrued=quote.accrued,
        yield_bey=bey,
        yield_mortgage=bey_to_mortgage(bey),
        wal=wal,
        macaulay=risk.macaulay,
        modified=risk.modified,
        convexity=risk.convexity,
        effective_duration=eff_d,
        effective_convexity=eff_c,
    )

"""Weighted average life of a principal vector (BMA Standard Formulas G.1.c, H.1).

SF G.1.c (page SF-49) defines average life as ``sum T_k PR_k / sum PR_k``
where ``T_k`` is measured *from settlement to the actual receipt of the
cash flow*: the payment delay **is included**, as is the settlement offset
into the accrual month. With ``delay_days=0`` and no settlement date the
result is the plain ``sum (k/12) PR_k / sum PR_k``.

Negative principal (negative amortization, accrual bonds) follows SF H.1
(page SF-56): the GPM/ARM convention keeps every payment in numerator and
denominator (default); the CMO Z-bond convention keeps only positive ones.

Examples
--------
>>> average_life([0.0] * 59 + [100.0])
5.0
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from trancheflow.errors import AnalyticsError

from ._inputs import as_vector
from .daycount import cash_flow_times


def average_life(
    principal: ArrayLike,
    *,
    delay_days: int = 0,
    settle: date | None = None,
    accrual_start: date | None = None,
    convention: Literal["gpm", "z_bond"] = "gpm",
) -> float:
    """Weighted average life in years (SF G.1.c), delay included.

    Parameters
    ----------
    principal : array_like
        Principal received in periods ``1..N`` (scheduled + prepaid +
        recovered), in money.
    delay_days : int, default 0
        Actual payment delay (SF E.2); included in each time.
    settle, accrual_start : datetime.date, optional
        Settlement inside the first accrual period; times are measured from
        settlement (see :mod:`trancheflow.analytics.daycount`).
    convention : {"gpm", "z_bond"}, default "gpm"
        SF H.1: ``"gpm"`` keeps negative principal payments, ``"z_bond"``
        counts only the positive ones.

    Returns
    -------
    float
        Average life in 30/360 years.

    Raises
    ------
    AnalyticsError
        If the counted principal does not sum to a positive amount.

    Examples
    --------
    A 14-day delay adds 14/360 years to a bullet's life:

    >>> round(average_life([0.0] * 11 + [1.0], delay_days=14), 6)
    1.038889
    """
    pr = as_vector("principal", principal)
    if convention == "z_bond":
        pr = np.where(pr > 0.0, pr, 0.0)
    elif convention != "gpm":
        raise AnalyticsError(f"convention {convention!r} must be 'gpm' or 'z_bond'")
    total = float(pr.sum())
    if not total > 0.0:
        raise AnalyticsError(
            f"average life needs principal that sums to a positive amount; got {total!r} "
            f"over {pr.size} periods (convention {convention!r})"
        )
    times = cash_flow_times(
        pr.size, delay_days=delay_days, settle=settle, accrual_start=accrual_start
    )
    return float(times @ pr) / total

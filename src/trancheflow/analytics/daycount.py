"""30/360 calendar and cash-flow timing for monthly pass-through cash flows.

Conventions (Bond Market Association, *Uniform Practices / Standard Formulas
for the Analysis of Mortgage-Backed Securities*, 1999, hereafter "SF"):

* Day counts follow the 30/360 procedure of SF section E.1 (page SF-44).
* A cash-flow vector holds periods ``1..N``; period ``k`` is the ``k``-th
  monthly accrual period starting at the *accrual start* (the factor's
  "as-of" date, the first day of the accrual month that contains the
  settlement date, SF F.1.c). Its payment reaches the investor ``delay_days``
  after the end of that month, where the delay is the **actual** delay of
  SF E.2 (page SF-44/45): 14 days for Ginnie Mae I, 19 for Ginnie Mae II, 24
  for Fannie Mae, 44 for Freddie Mac non-Gold and 14 for Freddie Mac Gold.
  The *stated* delay (days to first payment, 45/50/55/75/45) is the actual
  delay plus 31 days; pass the actual one.
* Times ``T_k`` are measured in 30/360 years from settlement to receipt:
  ``T_k = (30 k + delay_days - N_settle) / 360`` with ``N_settle`` the 30/360
  days from the accrual start to settlement (SF G.1.a, page SF-48).

Examples
--------
>>> from datetime import date
>>> days_30_360(date(2024, 3, 1), date(2024, 4, 15))
44
>>> cash_flow_times(2, delay_days=14).round(6).tolist()
[0.122222, 0.205556]
"""

from __future__ import annotations

import calendar
from datetime import date
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from trancheflow.errors import AnalyticsError

#: Actual payment delays in days (SF E.2, page SF-45 table).
ACTUAL_DELAY_DAYS = MappingProxyType(
    {
        "GNMA I": 14,
        "GNMA II": 19,
        "FNMA": 24,
        "FHLMC non-Gold": 44,
        "FHLMC Gold": 14,
    }
)


def days_30_360(start: date, end: date) -> int:
    """30/360 day count between two dates, per SF section E.1.

    If ``start`` is the last day of February, its day becomes 30; a 31st
    becomes 30; then if the start day is 30 and the end day 31, the end day
    becomes 30. The count is floored at zero.

    Parameters
    ----------
    start, end : datetime.date
        The dates; ``end`` earlier than ``start`` gives 0.

    Returns
    -------
    int
        Number of 30/360 days.

    Examples
    --------
    >>> days_30_360(date(2023, 2, 28), date(2023, 3, 31))
    30
    >>> days_30_360(date(2024, 1, 1), date(2024, 1, 31))
    30
    """
    d1, d2 = start.day, end.day
    if start.month == 2 and d1 == calendar.monthrange(start.year, 2)[1]:
        d1 = 30
    if d1 == 31:
        d1 = 30
    if d1 == 30 and d2 == 31:
        d2 = 30
    n = 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
    return max(n, 0)


def settlement_offset_days(settle: date | None, accrual_start: date | None = None) -> int:
    """30/360 days from the accrual start to settlement (``N`` in SF F.1.c).

    Parameters
    ----------
    settle : datetime.date or None
        Settlement date; ``None`` means settlement on the accrual start
        (a first-of-month quotation), offset 0.
    accrual_start : datetime.date, optional
        First day of the accrual period containing ``settle``; defaults to the
        first of the settlement month.

    Returns
    -------
    int
        Days in ``[0, 30]``.

    Raises
    ------
    AnalyticsError
        If settlement falls before the accrual start or after its 30-day
        accrual period.

    Examples
    --------
    >>> settlement_offset_days(date(2024, 3, 8))
    7
    """
    if settle is None:
        return 0
    start = accrual_start if accrual_start is not None else settle.replace(day=1)
    if settle < start:
        raise AnalyticsError(
            f"settle {settle.isoformat()} is before accrual_start {start.isoformat()}; "
            "settlement must fall inside the first accrual period of the cash flows"
        )
    n = days_30_360(start, settle)
    if n > 30:
        raise AnalyticsError(
            f"settle {settle.isoformat()} is {n} days (30/360) after accrual_start "
            f"{start.isoformat()}; it must fall inside the first 30-day accrual period "
            "(drop the periods already paid and move accrual_start forward)"
        )
    return n


def cash_flow_times(
    n_periods: int,
    *,
    delay_days: int = 0,
    settle: date | None = None,
    accrual_start: date | None = None,
) -> NDArray[np.float64]:
    """Years (30/360) from settlement to the receipt of each monthly cash flow.

    Parameters
    ----------
    n_periods : int
        Number of periods ``N``; periods are ``1..N``.
    delay_days : int, default 0
        Actual payment delay after the end of each accrual month (SF E.2).
    settle, accrual_start : datetime.date, optional
        See :func:`settlement_offset_days`.

    Returns
    -------
    numpy.ndarray
        ``T_k = (30 k + delay_days - N_settle) / 360`` for ``k = 1..N``.

    Raises
    ------
    AnalyticsError
        If ``n_periods`` or ``delay_days`` is negative, or settlement is
        outside the first accrual period.

    Examples
    --------
    >>> cash_flow_times(1, delay_days=24, settle=date(2024, 5, 15)).tolist()
    [0.1111111111111111]
    """
    if n_periods < 0:
        raise AnalyticsError(f"n_periods {n_periods} must be >= 0")
    if delay_days < 0:
        raise AnalyticsError(f"delay_days {delay_days} must be >= 0 (actual delay, SF E.2)")
    offset = settlement_offset_days(settle, accrual_start)
    k = np.arange(1, n_periods + 1, dtype=np.float64)
    return (30.0 * k + float(delay_days - offset)) / 360.0

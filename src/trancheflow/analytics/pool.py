"""Yield measures of a collateral pool projected with :mod:`trancheflow.collateral`.

The pool's balances are taken as of the accrual start (the factor date): the
projection's period 1 is the accrual month that contains settlement, its
``beginning_balance`` is the current face, ``total_principal`` and
``net_interest`` are what the pass-through investor receives (after any
losses), and the coupon for accrued interest is the balance-weighted net
rate of the loans or rep lines.

Effective duration and convexity scale the *prepayment* speed only
(``PrepaySpeed.scaled``), holding the default speed, severity, lag and
advancing fixed; see :mod:`trancheflow.analytics.effective` for the
convention.

Examples
--------
>>> from trancheflow.collateral import Assumptions, RepLine
>>> line = RepLine(1_000_000.0, 0.095, 0.09, 360, 360, 0)
>>> m = pool_measures(line, Assumptions("PSA 150", "CDR 0"), price=100.0, delay_days=14)
>>> round(100 * m.yield_bey, 5)  # BMA Standard Formulas example, page SF-51
9.10675
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from trancheflow.collateral import Assumptions, RepLine, project_pool
from trancheflow.errors import AnalyticsError

from ._inputs import PriceType, YieldType
from .measures import YieldMeasures, yield_measures

Pool = pd.DataFrame | RepLine | Sequence[RepLine]


def pool_net_rate(pool: Pool) -> float:
    """Balance-weighted net (pass-through) rate of a tape or rep lines.

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine or sequence of RepLine
        A normalised tape (``current_balance``, ``net_rate``) or rep lines.

    Returns
    -------
    float
        Annual decimal.

    Raises
    ------
    AnalyticsError
        If the pool has no balance or the tape lacks the columns.

    Examples
    --------
    >>> pool_net_rate([RepLine(100.0, 0.07, 0.06, 360, 360, 0),
    ...                RepLine(300.0, 0.08, 0.07, 360, 360, 0)])
    0.0675
    """
    if isinstance(pool, pd.DataFrame):
        missing = {"current_balance", "net_rate"} - set(pool.columns)
        if missing:
            raise AnalyticsError(f"loan tape lacks column(s) {sorted(missing)} for the net rate")
        balance = pool["current_balance"].to_numpy(dtype=np.float64)
        rate = pool["net_rate"].to_numpy(dtype=np.float64)
        where = "loan tape"
    else:
        lines = [pool] if isinstance(pool, RepLine) else list(pool)
        balance = np.array([line.balance for line in lines], dtype=np.float64)
        rate = np.array([line.net_rate for line in lines], dtype=np.float64)
        where = "rep lines"
    total = float(balance.sum())
    if not total > 0.0:
        raise AnalyticsError(f"{where} have a total current balance of {total!r}; need > 0")
    return float(balance @ rate) / total


def _flows(frame: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return (
        frame["total_principal"].to_numpy(dtype=np.float64),
        frame["net_interest"].to_numpy(dtype=np.float64),
    )


def pool_measures(
    pool: Pool,
    assumptions: Assumptions,
    *,
    price: float | None = None,
    yield_: float | None = None,
    yield_type: YieldType = "bey",
    settle: date | None = None,
    accrual_start: date | None = None,
    delay_days: int = 0,
    n_periods: int | None = None,
    speed_shock: float | None = None,
    yield_shift: float = 0.0025,
    price_type: PriceType = "clean",
) -> YieldMeasures:
    """Project a pool and compute its :class:`~trancheflow.analytics.YieldMeasures`.

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine or sequence of RepLine
        As accepted by :func:`trancheflow.collateral.project_pool`.
    assumptions : Assumptions
        Prepayment/default speeds, severity, lag, advancing.
    price, yield_, yield_type, settle, accrual_start, delay_days, price_type
        As in :func:`~trancheflow.analytics.yield_measures` (exactly one of
        ``price``/``yield_``).
    n_periods : int, optional
        Projection horizon (default: the longest loan's remaining life).
    speed_shock : float, optional
        Relative prepayment-speed shock for effective duration/convexity
        (e.g. 0.2 = speeds x1.2 when yields fall by ``yield_shift`` and x0.8
        when they rise); ``None`` skips the effective measures, ``0`` gives
        fixed-speed finite differences.
    yield_shift : float, default 0.0025
        Yield shift for the effective measures (decimal).

    Returns
    -------
    YieldMeasures

    Examples
    --------
    >>> m = pool_measures(RepLine(100.0, 0.07, 0.065, 360, 360, 0),
    ...                   Assumptions("PSA 100", "CDR 0"), yield_=0.065, speed_shock=0.2)
    >>> m.effective_duration < m.modified
    True
    """
    base = project_pool(pool, assumptions, n_periods=n_periods)
    n = len(base)
    principal, interest = _flows(base)
    balance = float(base["beginning_balance"].iloc[0]) if n else 0.0

    project = None
    if speed_shock is not None:

        def project(k: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
            if k == 1.0:
                return principal, interest
            shifted = Assumptions(
                assumptions.prepay.scaled(k),
                assumptions.default,
                severity=assumptions.severity,
                recovery_lag=assumptions.recovery_lag,
                advance=assumptions.advance,
            )
            return _flows(project_pool(pool, shifted, n_periods=n))

    return yield_measures(
        principal,
        interest,
        price=price,
        yield_=yield_,
        yield_type=yield_type,
        balance=balance,
        coupon=pool_net_rate(pool),
        settle=settle,
        accrual_start=accrual_start,
        delay_days=delay_days,
        project=project,
        yield_shift=yield_shift,
        speed_shock=0.0 if speed_shock is None else speed_shock,
        price_type=price_type,
    )

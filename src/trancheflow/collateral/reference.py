"""Plain NumPy implementation of the projection model, for cross-checks and benchmarks.

It implements the same BMA model as :mod:`trancheflow.collateral.kernel`
independently: vectorised over loans, looping over periods, with the
scheduled balance ratio computed from ``(1 + r)^n - 1`` directly each month and
the default cohorts kept in a ``(lag, n_loans)`` array. It returns the same
accumulator table, so the two can be compared number for number.

Examples
--------
>>> import numpy as np
>>> from trancheflow.collateral.kernel import P0
>>> acc = reference_project(
...     np.array([100.0]), np.array([0.08 / 12]), np.array([0.08 / 12]), np.zeros(1),
...     np.array([360]), np.zeros(1, dtype=np.int64), np.array([360]), np.zeros(1, dtype=np.int64),
...     np.zeros(400), 0, np.zeros(400), 0, 0.0, 0, True, 360)
>>> round(float(acc[1, P0]), 6)  # BMA SF-4 / SF-23: amortized balance after month 1
99.932902
"""

from __future__ import annotations

import numpy as np

from .kernel import ACT, ADB, DFL, EINT, F0, FEE, LOSS, LOST, NACC, ND, P0, PQ, VOL


def reference_project(
    bal: np.ndarray,
    rate_m: np.ndarray,
    net_m: np.ndarray,
    fee_m: np.ndarray,
    n_amort: np.ndarray,
    io_left: np.ndarray,
    life: np.ndarray,
    age0: np.ndarray,
    smm_tab: np.ndarray,
    smm_by_age: int,
    mdr_tab: np.ndarray,
    mdr_by_age: int,
    severity: float,
    lag: int,
    advance: bool,
    n_periods: int,
) -> np.ndarray:
    """Same inputs and output as :func:`~trancheflow.collateral.kernel.project_kernel`."""
    n = bal.shape[0]
    out = np.zeros((n_periods + 1, NACC))
    perf = bal.astype(np.float64).copy()
    fcl = np.zeros(n)
    sched = np.ones(n)
    cohort_raw = np.zeros((max(lag, 1), n))
    cohort_norm = np.zeros((max(lag, 1), n))
    log1p_r = np.log1p(rate_m)
    for t in range(1, n_periods + 1):
        nrem = (n_amort - t + 1).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(
                rate_m > 0.0,
                1.0 - rate_m / np.expm1(nrem * log1p_r),
                (nrem - 1.0) / nrem,
            )
        q = np.where(t >= life, 0.0, np.where(t <= io_left, 1.0, level))
        smm = smm_tab[age0 * smm_by_age + t]
        mdr = np.where(t <= life - lag, mdr_tab[age0 * mdr_by_age + t], 0.0)
        nd = perf * mdr
        d = perf - nd
        if lag == 0:
            raw = nd
            adb = nd
        else:
            k = t % lag
            raw = cohort_raw[k].copy()
            adb = cohort_norm[k] * sched if advance else raw
            cohort_raw[k] = nd
            with np.errstate(divide="ignore", invalid="ignore"):
                cohort_norm[k] = np.where(sched > 0.0, nd / sched, 0.0)
        loss = np.minimum(raw * severity, adb)
        pq = perf * q
        vol = np.minimum(pq * smm, d * q)
        fd = nd + fcl - adb
        row = out[t - 1]
        row[P0] = perf.sum()
        row[F0] = fcl.sum()
        row[PQ] = pq.sum()
        row[ND] = nd.sum()
        row[VOL] = vol.sum()
        row[ACT] = (d * (1.0 - q)).sum()
        row[DFL] = (fd * (1.0 - q)).sum()
        row[EINT] = ((perf + fcl) * net_m).sum()
        row[LOST] = ((nd + fcl) * net_m).sum()
        row[FEE] = (((perf + fcl) if advance else d) * fee_m).sum()
        row[ADB] = adb.sum()
        row[LOSS] = loss.sum()
        perf = d * q - vol
        fcl = np.where(t >= life, 0.0, fd * q if advance else fd)
        sched = sched * q
    out[n_periods, P0] = perf.sum()
    out[n_periods, F0] = fcl.sum()
    return out

"""Projection over loans x rate paths x months, with a rate-driven prepayment model.

:func:`project_paths` projects every loan of a pool on every mortgage-rate
path and returns the pool's cash flows per path: an array
``(n_paths, n_periods, len(CASHFLOW_COLUMNS))`` laid out as
:func:`~trancheflow.collateral.project_scenarios` lays out scenarios (so
:meth:`~trancheflow.deal.collections.Collections.from_scenarios` reads it).

The numba kernels run groups of ``LANES`` paths in parallel (``prange``) and
walk the loans one at a time over the months with the group's paths in the
vector lanes: a loan's amortization, default rate, seasoning and seasonality
do not depend on the path, so they are computed once for all the lanes; only
the mortgage rate, hence the SMM, and the balances differ. Pool totals are
reduced per path as they go: memory is ``paths x months x accumulators``,
never ``loans x paths x months``. Without defaults a lean kernel (five
accumulators, no liquidation pipeline) runs instead.

Per loan, path and month the voluntary SMM comes from
:class:`~trancheflow.collateral.prepay_model.RefiPrepayModel` (burnout is
carried per loan and path). Defaults, severity, liquidation lag, advancing and
amortization are the BMA standard-default engine's
(:mod:`trancheflow.collateral.kernel`): the MDR table, ``severity``,
``recovery_lag`` and ``advance`` of an
:class:`~trancheflow.collateral.Assumptions` are used unchanged. The per-month
BMA step (about twenty lines: new defaults, amortized default balance, loss,
voluntary prepayment, scheduled amortization) is **duplicated** from
``kernel.project_kernel`` because that kernel takes one SMM table shared by
all loans, while here the SMM differs per loan and path; the accumulator
layout and the conversion to cash-flow columns are the engine's own
(``kernel`` accumulator indices, ``projection._columns``). With no model
(``model=None``) the kernel reads the assumptions' constant speed table, and
the result equals :func:`~trancheflow.collateral.project_pool` on every path
(tested to 1e-12 relative), which guards the duplicate.

Examples
--------
>>> from trancheflow.collateral import Assumptions, RepLine, project_pool
>>> from trancheflow.collateral.prepay_model import RefiPrepayModel
>>> line = RepLine(1e6, 0.07, 0.065, 360, 360, 0)
>>> rates = np.array([[0.08] * 360, [0.05] * 360])      # two mortgage-rate paths
>>> cube = project_paths(line, RefiPrepayModel(), rates, Assumptions("CPR 0", "CDR 0"))
>>> cube.shape
(2, 360, 27)
>>> wal = (cube[..., CASHFLOW_COLUMNS.index("total_principal")] * np.arange(1, 361)).sum(1) / 1e6
>>> bool(wal[1] < wal[0])                                # rates fall -> faster prepayment
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from trancheflow.errors import AssumptionError, ModelError

from .assumptions import Assumptions, RepLine
from .kernel import ACT, ADB, DFL, EINT, F0, FEE, LANES, LOSS, LOST, NACC, ND, P0, PQ, VOL
from .loans import LoanArrays, loan_arrays
from .prepay_model import RefiPrepayModel
from .projection import CASHFLOW_COLUMNS, _columns, _tables

__all__ = ["path_accumulators", "project_paths", "season_by_period"]


@njit(cache=True, parallel=True, fastmath=False)
def path_kernel(
    bal: np.ndarray,
    rate_m: np.ndarray,
    net_m: np.ndarray,
    fee_m: np.ndarray,
    n_amort: np.ndarray,
    io_left: np.ndarray,
    life: np.ndarray,
    age0: np.ndarray,
    mrate_t: np.ndarray,
    use_model: bool,
    ratio: bool,
    tab4: np.ndarray,
    g_lo: float,
    g_hi: float,
    smm2: np.ndarray,
    cap_cpr: float,
    turnover: float,
    inv_seasoning: float,
    season_t: np.ndarray,
    smm_tab: np.ndarray,
    smm_by_age: int,
    mdr_tab: np.ndarray,
    mdr_by_age: int,
    severity: float,
    lag: int,
    advance: bool,
    n_periods: int,
) -> np.ndarray:
    """Pool accumulators per path, shape ``(n_paths, n_periods + 1, NACC)``.

    Lanes are **paths** (one loan at a time, ``LANES`` paths together):
    everything but the mortgage rate is path-independent, so the amortization
    factor ``q``, the scheduled-balance ratio, the MDR, the seasoning ramp and
    the seasonality are computed once per loan and month. ``mrate_t[t-1, p]``
    is the mortgage rate read in period ``t`` of path ``p`` (transposed
    layout); ``season_t[t]`` the seasonality multiplier of period ``t``. With
    ``use_model`` false the SMM is ``smm_tab`` (as in ``project_kernel``).
    """
    n = bal.shape[0]
    n_paths = mrate_t.shape[1]
    W = LANES
    n_groups = (n_paths + W - 1) // W
    ring_len = max(lag, 1)
    n_g = tab4.shape[0]
    g_inv = (n_g - 1) / (g_hi - g_lo)
    g_top = n_g - 1.000001
    n_c = smm2.shape[0]
    c_inv = (n_c - 1) / cap_cpr
    out = np.zeros((n_paths, n_periods + 1, NACC))
    for g in prange(n_groups):
        p_lo = g * W
        acc = np.zeros((n_periods + 1, NACC, W))
        perf = np.zeros(W)
        fcl = np.zeros(W)
        burn = np.ones(W)
        sm_w = np.zeros(W)
        mr = np.zeros(W)
        ring_raw = np.zeros((ring_len, W))
        ring_norm = np.zeros((ring_len, W))
        for i in range(n):
            r = rate_m[i]
            note = 12.0 * r
            rn = net_m[i]
            rs = fee_m[i]
            a = (1.0 + r) ** n_amort[i]
            inv1r = 1.0 / (1.0 + r)
            lw = life[i]
            iol = io_left[i]
            nam = n_amort[i]
            sidx = age0[i] * smm_by_age
            midx = age0[i] * mdr_by_age
            dcut = lw - lag
            sched = 1.0
            for w in range(W):
                perf[w] = bal[i]
                fcl[w] = 0.0
                burn[w] = 1.0
            for k in range(ring_len):
                for w in range(W):
                    ring_raw[k, w] = 0.0
                    ring_norm[k, w] = 0.0
            t_end = min(lw, n_periods)
            for t in range(1, t_end + 1):
                slot = t % ring_len
                row = acc[t - 1]
                md = mdr_tab[midx + t] if t <= dcut else 0.0
                if t >= lw:
                    q = 0.0
                elif t <= iol:
                    q = 1.0
                elif r > 0.0:
                    q = 1.0 - r / (a - 1.0)
                else:
                    nrem = nam - t + 1.0
                    q = (nrem - 1.0) / nrem
                a = a * inv1r
                if use_model:
                    scale = min((age0[i] + t) * inv_seasoning, 1.0) * season_t[t]
                    for w in range(W):
                        pp = p_lo + w
                        mr[w] = mrate_t[t - 1, pp] if pp < n_paths else 1.0
                    for w in range(W):
                        m = mr[w]
                        inc = 100.0 * (note / max(m, 1e-12) - 1.0) if ratio else 100.0 * (note - m)
                        x = min(max((inc - g_lo) * g_inv, 0.0), g_top)
                        k0 = int(x)
                        fr = x - k0
                        refi = tab4[k0, 0] + fr * tab4[k0, 1]
                        dec = tab4[k0, 2] + fr * tab4[k0, 3]
                        cpr = (turnover + refi * burn[w]) * scale
                        burn[w] = burn[w] * dec
                        xc = min(cpr, cap_cpr) * c_inv
                        kc = min(int(xc), n_c - 2)
                        sm_w[w] = smm2[kc, 0] + (xc - kc) * smm2[kc, 1]
                else:
                    sm = smm_tab[sidx + t]
                    for w in range(W):
                        sm_w[w] = sm
                s_prev = sched
                for w in range(W):
                    # --- BMA step, as in kernel.project_kernel (duplicated; see module doc)
                    p0 = perf[w]
                    f0 = fcl[w]
                    nd = p0 * md
                    d = p0 - nd
                    if lag == 0:
                        raw = nd
                        adb = nd
                    else:
                        raw = ring_raw[slot, w]
                        adb = ring_norm[slot, w] * s_prev if advance else raw
                        ring_raw[slot, w] = nd
                        ring_norm[slot, w] = nd / s_prev if s_prev > 0.0 else 0.0
                    loss = min(raw * severity, adb)
                    pq = p0 * q
                    vol = min(pq * sm_w[w], d * q)
                    act = d * (1.0 - q)
                    fd = nd + f0 - adb
                    dfl = fd * (1.0 - q)
                    perf[w] = d * q - vol
                    if t >= lw:
                        fcl[w] = 0.0
                    elif advance:
                        fcl[w] = fd * q
                    else:
                        fcl[w] = fd
                    row[P0, w] += p0
                    row[F0, w] += f0
                    row[PQ, w] += pq
                    row[ND, w] += nd
                    row[VOL, w] += vol
                    row[ACT, w] += act
                    row[DFL, w] += dfl
                    row[EINT, w] += (p0 + f0) * rn
                    row[LOST, w] += (nd + f0) * rn
                    if advance:
                        row[FEE, w] += (p0 + f0) * rs
                    else:
                        row[FEE, w] += d * rs
                    row[ADB, w] += adb
                    row[LOSS, w] += loss
                sched = s_prev * q
            for w in range(W):
                acc[n_periods, P0, w] += perf[w]
                acc[n_periods, F0, w] += fcl[w]
        for w in range(W):
            pp = p_lo + w
            if pp < n_paths:
                for t in range(n_periods + 1):
                    for c in range(NACC):
                        out[pp, t, c] = acc[t, c, w]
    return out


@njit(cache=True, parallel=True, fastmath=True)
def path_kernel_lean(
    bal: np.ndarray,
    rate_m: np.ndarray,
    net_m: np.ndarray,
    fee_m: np.ndarray,
    n_amort: np.ndarray,
    io_left: np.ndarray,
    life: np.ndarray,
    age0: np.ndarray,
    mrate_t: np.ndarray,
    ratio: bool,
    tab4: np.ndarray,
    g_lo: float,
    g_hi: float,
    smm2: np.ndarray,
    cap_cpr: float,
    turnover: float,
    inv_seasoning: float,
    season_t: np.ndarray,
    n_periods: int,
) -> np.ndarray:
    """The model without defaults: lanes are **paths** (one loan at a time).

    Everything but the mortgage rate is the same on every path, so the
    amortization factor ``q``, the seasoning ramp and the seasonality are
    computed once per loan and month for ``LANES`` paths. ``mrate_t`` is
    ``(n_periods, n_paths)`` (transposed). Returns the accumulators of
    :func:`path_kernel` (``ND, DFL, LOST, ADB, LOSS, F0`` are zero; ``ACT``
    is ``P0 - PQ``). The incentive's grid coordinate is precomputed per
    month and path; ``fastmath`` lets the lane loop vectorise (results agree
    with :func:`path_kernel` to about 1e-14 relative).
    """
    n = bal.shape[0]
    n_paths = mrate_t.shape[1]
    W = LANES
    n_groups = (n_paths + W - 1) // W
    n_g = tab4.shape[0]
    g_inv = (n_g - 1) / (g_hi - g_lo)
    g_top = n_g - 1.000001
    n_c = smm2.shape[0]
    c_inv = (n_c - 1) / cap_cpr
    out = np.zeros((n_paths, n_periods + 1, NACC))
    npad = n_groups * W
    vv = np.zeros((max(n_periods, 1), npad))
    uu = np.zeros((max(n_periods, 1), npad))
    alpha = 0.0 if ratio else 100.0 * g_inv
    for t in range(n_periods):
        for p in range(n_paths):
            if ratio:
                vv[t, p] = 100.0 * g_inv / max(mrate_t[t, p], 1e-12)
                uu[t, p] = (100.0 + g_lo) * g_inv
            else:
                uu[t, p] = (100.0 * mrate_t[t, p] + g_lo) * g_inv
    for g in prange(n_groups):
        p_lo = g * W
        acc = np.zeros((n_periods + 1, 5, W))
        perf = np.zeros(W)
        burn = np.ones(W)
        xs = np.zeros(W)
        for i in range(n):
            r = rate_m[i]
            note = 12.0 * r
            nx = note * alpha
            rn = net_m[i]
            rs = fee_m[i]
            a = (1.0 + r) ** n_amort[i]
            inv1r = 1.0 / (1.0 + r)
            lw = life[i]
            iol = io_left[i]
            nam = n_amort[i]
            for w in range(W):
                perf[w] = bal[i]
                burn[w] = 1.0
            t_end = min(lw, n_periods)
            for t in range(1, t_end + 1):
                if t >= lw:
                    q = 0.0
                elif t <= iol:
                    q = 1.0
                elif r > 0.0:
                    q = 1.0 - r / (a - 1.0)
                else:
                    nrem = nam - t + 1.0
                    q = (nrem - 1.0) / nrem
                a = a * inv1r
                scale = min((age0[i] + t) * inv_seasoning, 1.0) * season_t[t]
                row = acc[t - 1]
                urow = uu[t - 1, p_lo : p_lo + W]
                if ratio:
                    vrow = vv[t - 1, p_lo : p_lo + W]
                    for w in range(W):
                        xs[w] = note * vrow[w] - urow[w]
                else:
                    for w in range(W):
                        xs[w] = nx - urow[w]
                for w in range(W):
                    x = min(max(xs[w], 0.0), g_top)
                    k0 = int(x)
                    fr = x - k0
                    refi = tab4[k0, 0] + fr * tab4[k0, 1]
                    dec = tab4[k0, 2] + fr * tab4[k0, 3]
                    cpr = (turnover + refi * burn[w]) * scale
                    burn[w] = burn[w] * dec
                    xc = min(cpr, cap_cpr) * c_inv
                    kc = min(int(xc), n_c - 2)
                    fc = xc - kc
                    sm = smm2[kc, 0] + fc * smm2[kc, 1]
                    p0 = perf[w]
                    pq = p0 * q
                    vol = pq * sm
                    perf[w] = pq - vol
                    row[0, w] += p0
                    row[1, w] += pq
                    row[2, w] += vol
                    row[3, w] += p0 * rn
                    row[4, w] += p0 * rs
            for w in range(W):
                acc[n_periods, 0, w] += perf[w]
        for w in range(W):
            pp = p_lo + w
            if pp < n_paths:
                for t in range(n_periods + 1):
                    out[pp, t, P0] = acc[t, 0, w]
                    out[pp, t, PQ] = acc[t, 1, w]
                    out[pp, t, VOL] = acc[t, 2, w]
                    out[pp, t, ACT] = acc[t, 0, w] - acc[t, 1, w]
                    out[pp, t, EINT] = acc[t, 3, w]
                    out[pp, t, FEE] = acc[t, 4, w]
    return out


def season_by_period(
    model: RefiPrepayModel, start_month_of_year: int, n_periods: int
) -> np.ndarray:
    """Seasonality multiplier of periods ``0..n_periods`` (index 0 unused).

    Period 1 is calendar month ``start_month_of_year`` (1 = January).

    Examples
    --------
    >>> season_by_period(RefiPrepayModel(), 12, 3).tolist()
    [1.0, 0.85, 0.8, 0.8]
    """
    if isinstance(start_month_of_year, bool) or start_month_of_year not in range(1, 13):
        raise ModelError(f"start_month_of_year {start_month_of_year!r} must be 1..12")
    season = np.asarray(model.seasonality, dtype=np.float64)
    t = np.arange(1, n_periods + 1)
    return np.concatenate(([1.0], season[(start_month_of_year - 1 + t - 1) % 12]))


def _loans(pool: pd.DataFrame | RepLine | Sequence[RepLine] | LoanArrays) -> LoanArrays:
    loans = pool if isinstance(pool, LoanArrays) else loan_arrays(pool)
    # Blocks of loans with similar lives keep the lanes busy together (as project_pool).
    return loans.take(np.argsort(loans.life, kind="stable"))


def path_accumulators(
    pool: pd.DataFrame | RepLine | Sequence[RepLine] | LoanArrays,
    model: RefiPrepayModel | None,
    mortgage_rates: npt.ArrayLike,
    assumptions: Assumptions,
    *,
    start_month_of_year: int = 1,
    n_periods: int | None = None,
    lean: bool = True,
) -> np.ndarray:
    """The kernel's raw accumulators ``(n_paths, n_periods + 1, NACC)`` (see :func:`project_paths`).

    With a model and no defaults (an all-zero MDR table) the lean kernel runs
    (lanes over paths; ``lean=False`` forces the general one, for tests).
    """
    if not isinstance(assumptions, Assumptions):
        raise AssumptionError(f"assumptions {assumptions!r} must be an Assumptions instance")
    if model is not None and not isinstance(model, RefiPrepayModel):
        raise ModelError(f"model {model!r} must be a RefiPrepayModel or None")
    loans = _loans(pool)
    horizon = int(loans.life.max()) if loans.n_loans else 0
    n = horizon if n_periods is None else n_periods
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise AssumptionError(f"n_periods {n_periods!r} must be a whole number >= 0")
    n = int(n)
    mr = np.asarray(mortgage_rates, dtype=np.float64)
    if mr.ndim == 1:
        mr = mr[None, :]
    if mr.ndim != 2 or mr.shape[1] < n:
        raise ModelError(
            f"mortgage_rates has shape {mr.shape}; need (n_paths, >= {n}) "
            f"(column t-1 is read in period t)"
        )
    if not np.all(np.isfinite(mr[:, :n])):
        raise ModelError("mortgage_rates must be finite numbers")
    mr = np.ascontiguousarray(mr[:, : max(n, 1)])
    max_age = int(loans.age0.max()) if loans.n_loans else 0
    smm, smm_age, mdr, mdr_age = _tables(assumptions, max_age, n)
    m = model if model is not None else RefiPrepayModel()
    refi, decay, smm_cpr = m.kernel_tables()
    g_lo, g_hi, _ = m.incentive_grid()
    # value and slope side by side: one cache line per lookup
    tab4 = np.zeros((refi.size, 4))
    tab4[:, 0], tab4[:-1, 1], tab4[:, 2], tab4[:-1, 3] = refi, np.diff(refi), decay, np.diff(decay)
    smm2 = np.zeros((smm_cpr.size, 2))
    smm2[:, 0], smm2[:-1, 1] = smm_cpr, np.diff(smm_cpr)
    season = season_by_period(m, start_month_of_year, n)
    mr_t = np.ascontiguousarray(mr[:, :n].T) if n else np.zeros((1, mr.shape[0]))
    if model is not None and lean and not np.any(mdr):
        return path_kernel_lean(
            loans.bal,
            loans.rate_m,
            loans.net_m,
            loans.fee_m,
            loans.n_amort,
            loans.io_left,
            loans.life,
            loans.age0,
            mr_t,
            m.incentive == "ratio",
            tab4,
            g_lo,
            g_hi,
            smm2,
            float(m.cap_cpr),
            float(m.turnover_cpr),
            1.0 / float(m.seasoning_months),
            season,
            n,
        )
    return path_kernel(
        loans.bal,
        loans.rate_m,
        loans.net_m,
        loans.fee_m,
        loans.n_amort,
        loans.io_left,
        loans.life,
        loans.age0,
        mr_t,
        model is not None,
        m.incentive == "ratio",
        tab4,
        g_lo,
        g_hi,
        smm2,
        float(m.cap_cpr),
        float(m.turnover_cpr),
        1.0 / float(m.seasoning_months),
        season,
        smm,
        smm_age,
        mdr,
        mdr_age,
        assumptions.severity,
        assumptions.recovery_lag,
        assumptions.advance,
        n,
    )


def project_paths(
    pool: pd.DataFrame | RepLine | Sequence[RepLine] | LoanArrays,
    model: RefiPrepayModel | None,
    mortgage_rates: npt.ArrayLike,
    assumptions: Assumptions,
    *,
    start_month_of_year: int = 1,
    n_periods: int | None = None,
) -> np.ndarray:
    """Project a pool on every mortgage-rate path (loan level, rate-driven prepayments).

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine, sequence of RepLine or LoanArrays
        As :func:`~trancheflow.collateral.project_pool` takes it.
    model : RefiPrepayModel or None
        The prepayment model; ``None`` uses ``assumptions.prepay`` (a
        constant speed, the same on every path).
    mortgage_rates : array_like, shape (n_paths, >= n_periods)
        Mortgage rate (annual decimal) on each path; column ``t - 1`` is read
        in period ``t`` (e.g. ``MortgageRateModel().rate(paths)``, whose
        column 0 is today).
    assumptions : Assumptions
        Default speed, severity, recovery lag and advancing, as in the BMA
        engine (its prepayment speed is used only when ``model`` is None).
    start_month_of_year : int, default 1
        Calendar month (1-12) of period 1, for seasonality.
    n_periods : int, optional
        Months to project, default the longest remaining life.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_paths, n_periods, len(CASHFLOW_COLUMNS))``, last axis in
        :data:`~trancheflow.collateral.CASHFLOW_COLUMNS` order.
    """
    acc = path_accumulators(
        pool,
        model,
        mortgage_rates,
        assumptions,
        start_month_of_year=start_month_of_year,
        n_periods=n_periods,
    )
    n = acc.shape[1] - 1
    out = np.empty((acc.shape[0], n, len(CASHFLOW_COLUMNS)))
    for p in range(acc.shape[0]):
        out[p] = _columns(acc[p], assumptions)
    return out

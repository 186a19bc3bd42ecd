"""Projection over loans x rate paths x months, with a rate-driven prepayment model.

:func:`project_paths` projects every loan of a pool on every mortgage-rate
path and returns the pool's cash flows per path: an array
``(n_paths, n_periods, len(CASHFLOW_COLUMNS))`` laid out as
:func:`~trancheflow.collateral.project_scenarios` lays out scenarios (so
:meth:`~trancheflow.deal.collections.Collections.from_scenarios` reads it).

Two numba kernels, one model function
-------------------------------------
* :func:`mc_kernel` (a pool **without defaults**, the Monte Carlo workhorse):
  loans are the **innermost** loop. A loan's balance on a path is
  ``bal * S(t) * s``: the scheduled balance ratio ``S(t)`` does not depend on
  the path, so it is tabulated once (:func:`sched_table`, float64, stored in
  the kernel's float type) and the only path state is the prepayment
  survival ``s``, which is also the model's burnout state. Per path and
  month, a block of :data:`BLOCK` loans runs three short, branch-free loops
  that LLVM vectorises (AVX2: 8 float32 lanes): the model's CPR
  (:func:`~trancheflow.collateral.prepay_model.model_cpr`), CPR to SMM
  (:func:`~trancheflow.collateral.prepay_model.cpr_to_smm`) and the balances
  with five pool sums. No transcendental call and no table gather remains
  in them (see the model module for the approximations and their error).
  Paths of every scenario (base, up, down, key-rate curves) are jobs; chunks
  of :data:`JOBS_PER_CHUNK` jobs run on numba threads (``prange``, nothing
  pickled), each chunk walking the loan blocks outermost so a block's
  schedule table (361 x 256 float32, 370 KB) is read from memory once per
  chunk and then from L2. **float32** (the Monte Carlo default) keeps
  balances, survival and the model in single precision and the pool totals
  in float64: it moves prices by under 0.1 cent per 100 against float64
  (``tests/unit/analytics/test_oas.py``; ``bench/oas.py`` prints the
  figure); float64 equals the general kernel to 1e-11 relative.
* :func:`path_kernel` (defaults, or a constant speed): groups of ``LANES``
  paths in the vector lanes, one loan at a time, with the BMA
  standard-default step. Defaults, severity, liquidation lag, advancing and
  amortization are the BMA engine's (:mod:`trancheflow.collateral.kernel`):
  the MDR table, ``severity``, ``recovery_lag`` and ``advance`` of an
  :class:`~trancheflow.collateral.Assumptions` are used unchanged, and the
  per-month BMA step is the engine's own function
  (:func:`~trancheflow.collateral.kernel.bma_month`, inlined in both
  kernels; only the ring buffer of pending liquidations and the
  accumulator layout differ). With no model (``model=None``) it reads the
  assumptions' constant speed table and equals
  :func:`~trancheflow.collateral.project_pool` on every path (tested to
  1e-12 relative); with the model and no defaults it equals
  :func:`mc_kernel` in float64 (tested), which guards the
  second kernel.

Both kernels get the monthly prepayment rate from the one model function of
:mod:`~trancheflow.collateral.prepay_model` (``model_cpr(kind, ...)``, a
switch on the model kind). That is the seam for other behaviour models: a
compiled scorer (e.g. the tree ensembles of issue 14) becomes a new kind
reading the same per-loan, per-path inputs (incentive coordinate, loan-month
multiplier, burnout state) and returning the CPR; the kernels' loops, the
survival state and the accumulators do not change. Pool totals are reduced
per path as they go: memory is ``paths x months x accumulators``, never
``loans x paths x months``.

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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from trancheflow.errors import AssumptionError, ModelError

from .assumptions import Assumptions, RepLine
from .kernel import (
    ACT,
    ADB,
    DFL,
    EINT,
    F0,
    FEE,
    LANES,
    LOSS,
    LOST,
    NACC,
    ND,
    P0,
    PQ,
    VOL,
    bma_month,
)
from .loans import LoanArrays, loan_arrays
from .prepay_model import (
    COEF_ONE,
    KIND_ARCTAN,
    KIND_LOGISTIC,
    RefiPrepayModel,
    cpr_to_smm,
    kernel_coefficients,
    model_cpr,
    model_smm,
)
from .projection import CASHFLOW_COLUMNS, _columns, _tables

__all__ = [
    "KernelLoans",
    "has_defaults",
    "kernel_loans",
    "mc_accumulators",
    "mc_kernel",
    "path_accumulators",
    "project_paths",
    "season_by_period",
]

Precision = Literal["float32", "float64"]


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
    zn: np.ndarray,
    za_t: np.ndarray,
    zb_t: np.ndarray,
    use_model: bool,
    kind: int,
    mpar: tuple[float, ...],
    coef: tuple[float, ...],
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
    n_paths = za_t.shape[1]
    W = LANES
    n_groups = (n_paths + W - 1) // W
    ring_len = max(lag, 1)
    inv_seasoning = mpar[5]
    out = np.zeros((n_paths, n_periods + 1, NACC))
    for g in prange(n_groups):
        p_lo = g * W
        acc = np.zeros((n_periods + 1, NACC, W))
        perf = np.zeros(W)
        fcl = np.zeros(W)
        surv = np.ones(W)
        sm_w = np.zeros(W)
        za = np.zeros(W)
        zb = np.zeros(W)
        ring_raw = np.zeros((ring_len, W))
        ring_norm = np.zeros((ring_len, W))
        for i in range(n):
            r = rate_m[i]
            zni = zn[i]
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
                surv[w] = 1.0
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
                        pp = min(p_lo + w, n_paths - 1)
                        za[w] = za_t[t - 1, pp]
                        zb[w] = zb_t[t - 1, pp]
                    for w in range(W):
                        sm = model_smm(kind, zni * za[w] - zb[w], scale, surv[w], mpar, coef)
                        surv[w] = surv[w] * (1.0 - sm)
                        sm_w[w] = sm
                else:
                    sm = smm_tab[sidx + t]
                    for w in range(W):
                        sm_w[w] = sm
                s_prev = sched
                for w in range(W):
                    # --- the BMA month, shared with kernel.project_kernel
                    p0 = perf[w]
                    f0 = fcl[w]
                    nd = p0 * md
                    if lag == 0:
                        raw = nd
                        adb = nd
                    else:
                        raw = ring_raw[slot, w]
                        adb = ring_norm[slot, w] * s_prev if advance else raw
                        ring_raw[slot, w] = nd
                        ring_norm[slot, w] = nd / s_prev if s_prev > 0.0 else 0.0
                    d, pq, vol, fd, loss, p_new, f_new = bma_month(
                        p0, f0, nd, raw, adb, q, sm_w[w], severity, advance, t >= lw
                    )
                    perf[w] = p_new
                    fcl[w] = f_new
                    act = d * (1.0 - q)
                    dfl = fd * (1.0 - q)
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


#: Loans per block of the Monte Carlo kernel (a block's schedule table, 361 x BLOCK
#: float32, stays in a core's L2 cache while a chunk of paths reuses it).
BLOCK = 256
#: Paths (jobs) per parallel chunk of the Monte Carlo kernel.
JOBS_PER_CHUNK = 8
#: Accumulators of the Monte Carlo kernel.
MC_P0, MC_PQ, MC_VOL, MC_EINT, MC_FEE = range(5)


@njit(cache=True)
def sched_table(bal: np.ndarray, rate_m: np.ndarray, n_amort: np.ndarray, io_left: np.ndarray,
                life: np.ndarray, n_periods: int) -> np.ndarray:  # fmt: skip
    """``W[i, t] = bal_i * S_i(t)``: each loan's scheduled balance (no prepayment, no default).

    ``S(t)`` is the running product of :func:`path_kernel`'s ``q`` (zero from
    the loan's last month on), so ``W[:, t-1] * s`` is a loan's balance at the
    start of period ``t`` given its prepayment survival ``s``.
    """
    n = bal.shape[0]
    out = np.zeros((n, n_periods + 1))
    for i in range(n):
        r = rate_m[i]
        a = (1.0 + r) ** n_amort[i]
        inv1r = 1.0 / (1.0 + r)
        w = bal[i]
        out[i, 0] = w
        for t in range(1, min(life[i], n_periods) + 1):
            if t >= life[i]:
                q = 0.0
            elif t <= io_left[i]:
                q = 1.0
            elif r > 0.0:
                q = 1.0 - r / (a - 1.0)
            else:
                nrem = n_amort[i] - t + 1.0
                q = (nrem - 1.0) / nrem
            a = a * inv1r
            w = w * q
            out[i, t] = w
    return out


@njit(inline="always", fastmath=True, error_model="numpy")
def _block_month(kind, s, cpr, smm, w0, w1, zn, ramp0, rn, rs, za, zb, tt, se, mpar, coef, acc):  # type: ignore[no-untyped-def]
    """One month of one block of loans on one path: three branch-free, vectorised loops.

    The model, the CPR-to-SMM conversion and the balances run as separate
    loops over the block (``cpr``, ``smm`` are scratch rows in L1): each loop
    body is short enough for the core to overlap many iterations, where one
    fused body would be bound by its long dependency chain.
    """
    one = coef[COEF_ONE]
    width = s.shape[0]
    for i in range(width):
        cpr[i] = model_cpr(kind, zn[i] * za - zb, min(ramp0[i] + tt, one) * se, s[i], mpar, coef)
    for i in range(width):
        smm[i] = cpr_to_smm(cpr[i], coef)
    p0 = one - one
    pq = p0
    vol = p0
    ei = p0
    fe = p0
    for i in range(width):
        si = s[i]
        sm = smm[i]
        bp = w0[i] * si
        bq = w1[i] * si
        p0 += bp
        ei += bp * rn[i]
        fe += bp * rs[i]
        pq += bq
        vol += bq * sm
        s[i] = si - si * sm
    acc[MC_P0] += p0
    acc[MC_PQ] += pq
    acc[MC_VOL] += vol
    acc[MC_EINT] += ei
    acc[MC_FEE] += fe


@njit(cache=True, parallel=True, fastmath=True, error_model="numpy")
def mc_kernel(w_blk, zn, ramp0, rn, rs, t_end, za, zb, season, kind, mpar, coef):  # type: ignore[no-untyped-def]
    """Pool accumulators ``(n_jobs, T + 1, 5)`` (float64) of the model without defaults.

    Loans are the innermost loop (blocks of :data:`BLOCK`, SIMD lanes over
    loans); a job is one rate path of one scenario (base, up, down curves
    share the loan tables). ``w_blk[b, t, k]`` is :func:`sched_table` by
    block, ``zn, ramp0, rn, rs`` per loan ``(n_blocks, BLOCK)``, ``za, zb``
    ``(n_jobs, T)`` the path-month incentive coordinates, ``season`` ``(T+1,)``,
    all in one float type (float32 or float64); ``t_end[b]`` is the last
    month with a live loan in block ``b``. Chunks of :data:`JOBS_PER_CHUNK`
    jobs run in parallel (numba threads); each chunk walks the blocks in the
    outer loop so a block's table is read from memory once per chunk.
    Accumulators: ``MC_P0`` (balance at the start of the month), ``MC_PQ``
    (the same after scheduled amortization), ``MC_VOL`` (prepayments),
    ``MC_EINT``, ``MC_FEE``; row ``t - 1`` is period ``t`` and row ``T``
    holds the ending balance in ``MC_P0`` (as :func:`path_kernel`'s rows).
    """
    n_jobs, n_t = za.shape
    n_blocks, _, width = w_blk.shape
    out = np.zeros((n_jobs, n_t + 1, 5))
    n_chunks = (n_jobs + JOBS_PER_CHUNK - 1) // JOBS_PER_CHUNK
    one = coef[COEF_ONE]
    for ch in prange(n_chunks):
        s = np.empty(width, dtype=w_blk.dtype)
        cpr = np.empty(width, dtype=w_blk.dtype)
        smm = np.empty(width, dtype=w_blk.dtype)
        acc = np.zeros(5, dtype=np.float64)
        for b in range(n_blocks):
            wb = w_blk[b]
            te = min(t_end[b], n_t)
            for j in range(ch * JOBS_PER_CHUNK, min((ch + 1) * JOBS_PER_CHUNK, n_jobs)):
                s[:] = one
                tt = one - one
                for t in range(1, te + 1):
                    tt += mpar[5]
                    acc[:] = 0.0
                    a, c0 = za[j, t - 1], zb[j, t - 1]
                    if kind == KIND_ARCTAN:
                        _block_month(KIND_ARCTAN, s, cpr, smm, wb[t - 1], wb[t], zn[b],
                                     ramp0[b], rn[b], rs[b], a, c0, tt, season[t], mpar, coef,
                                     acc)  # fmt: skip
                    else:
                        _block_month(KIND_LOGISTIC, s, cpr, smm, wb[t - 1], wb[t], zn[b],
                                     ramp0[b], rn[b], rs[b], a, c0, tt, season[t], mpar, coef,
                                     acc)  # fmt: skip
                    for k in range(5):
                        out[j, t - 1, k] += acc[k]
                if te >= n_t:
                    end = 0.0
                    for i in range(width):
                        end += wb[n_t, i] * s[i]
                    out[j, n_t, MC_P0] += end
    return out


def season_by_period(
    model: RefiPrepayModel, start_month_of_year: int, n_periods: int
) -> np.ndarray:
    """Seasonality multiplier of periods ``0..n_periods`` (index 0 unused).

    Period 1 is calendar month ``start_month_of_year`` (1 = January).

    Examples
    --------
    >>> season_by_period(RefiPrepayModel(), 12, 3).tolist()
    [1.0, 0.981637, 0.941569, 0.761269]
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


@dataclass(frozen=True)
class KernelLoans:
    """The Monte Carlo kernel's per-loan tables, built once and shared by every scenario.

    Build with :func:`kernel_loans`; ``dtype`` is float32 (the Monte Carlo
    default) or float64.
    """

    w_blk: npt.NDArray[Any]
    zn: np.ndarray
    ramp0: np.ndarray
    rn: np.ndarray
    rs: np.ndarray
    t_end: np.ndarray
    n_periods: int
    dtype: type


def kernel_loans(
    loans: LoanArrays, model: RefiPrepayModel, n_periods: int, dtype: type = np.float32
) -> KernelLoans:
    """Block the loans for :func:`mc_kernel` (sorted by life, padded with empty loans)."""
    loans = loans.take(np.argsort(loans.life, kind="stable"))
    n = loans.n_loans
    nb = max(1, (n + BLOCK - 1) // BLOCK)
    pad = nb * BLOCK - n
    w = sched_table(loans.bal, loans.rate_m, loans.n_amort, loans.io_left, loans.life, n_periods)
    w = np.concatenate([w, np.zeros((pad, n_periods + 1))])
    w_blk: npt.NDArray[Any] = np.ascontiguousarray(
        w.reshape(nb, BLOCK, n_periods + 1).transpose(0, 2, 1), dtype
    )

    def blk(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x, np.zeros(pad)]).reshape(nb, BLOCK).astype(dtype)

    zn, _, _ = model.incentive_coordinates(12.0 * loans.rate_m, np.ones(1))
    life = np.concatenate([loans.life, np.zeros(pad, dtype=loans.life.dtype)]).reshape(nb, BLOCK)
    return KernelLoans(
        w_blk=w_blk,
        zn=blk(zn),
        ramp0=blk(loans.age0 / float(model.seasoning_months)),
        rn=blk(loans.net_m),
        rs=blk(loans.fee_m),
        t_end=life.max(axis=1).astype(np.int64),
        n_periods=n_periods,
        dtype=dtype,
    )


def mc_accumulators(
    tables: KernelLoans,
    model: RefiPrepayModel,
    mortgage_rates: np.ndarray,
    season: np.ndarray,
) -> np.ndarray:
    """Run :func:`mc_kernel` on ``(n_jobs, >= n_periods)`` mortgage rates; ``(n_jobs, T+1, 5)``."""
    t = tables.n_periods
    dt = tables.dtype
    _, za, zb = model.incentive_coordinates(np.zeros(1), mortgage_rates[:, :t])
    return mc_kernel(
        tables.w_blk,
        tables.zn,
        tables.ramp0,
        tables.rn,
        tables.rs,
        tables.t_end,
        np.ascontiguousarray(za, dt),
        np.ascontiguousarray(zb, dt),
        season.astype(dt),
        model.kind,
        tuple(model.kernel_params().astype(dt)),
        kernel_coefficients(dt),
    )


def _mc_to_nacc(acc5: np.ndarray) -> np.ndarray:
    out = np.zeros((*acc5.shape[:2], NACC))
    out[:, :, P0] = acc5[:, :, MC_P0]
    out[:, :, PQ] = acc5[:, :, MC_PQ]
    out[:, :, VOL] = acc5[:, :, MC_VOL]
    out[:, :-1, ACT] = acc5[:, :-1, MC_P0] - acc5[:, :-1, MC_PQ]
    out[:, :, EINT] = acc5[:, :, MC_EINT]
    out[:, :, FEE] = acc5[:, :, MC_FEE]
    return out


def has_defaults(loans: LoanArrays, assumptions: Assumptions, n_periods: int) -> bool:
    """Whether ``assumptions`` default any loan of ``loans`` within ``n_periods`` months."""
    max_age = int(loans.age0.max()) if loans.n_loans else 0
    return bool(np.any(_tables(assumptions, max_age, n_periods)[2]))


def path_accumulators(
    pool: pd.DataFrame | RepLine | Sequence[RepLine] | LoanArrays,
    model: RefiPrepayModel | None,
    mortgage_rates: npt.ArrayLike,
    assumptions: Assumptions,
    *,
    start_month_of_year: int = 1,
    n_periods: int | None = None,
    lean: bool = True,
    precision: Precision = "float64",
) -> np.ndarray:
    """The kernel's raw accumulators ``(n_paths, n_periods + 1, NACC)`` (see :func:`project_paths`).

    With a model and no defaults (an all-zero MDR table) the Monte Carlo
    kernel :func:`mc_kernel` runs in ``precision`` (``lean=False`` forces the
    general one, for tests).
    """
    if not isinstance(assumptions, Assumptions):
        raise AssumptionError(f"assumptions {assumptions!r} must be an Assumptions instance")
    if model is not None and not isinstance(model, RefiPrepayModel):
        raise ModelError(f"model {model!r} must be a RefiPrepayModel or None")
    if precision not in ("float32", "float64"):
        raise ModelError(f"precision {precision!r} must be 'float32' or 'float64'")
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
    if model is not None and n and np.any(mr[:, :n] <= 0) and model.incentive == "ratio":
        raise ModelError("mortgage_rates must be > 0 for the ratio incentive")
    mr = np.ascontiguousarray(mr[:, : max(n, 1)])
    max_age = int(loans.age0.max()) if loans.n_loans else 0
    smm, smm_age, mdr, mdr_age = _tables(assumptions, max_age, n)
    m = model if model is not None else RefiPrepayModel()
    season = season_by_period(m, start_month_of_year, n)
    if model is not None and lean and not np.any(mdr) and loans.n_loans:
        dt = np.float32 if precision == "float32" else np.float64
        return _mc_to_nacc(mc_accumulators(kernel_loans(loans, m, n, dt), m, mr, season))
    zn, za, zb = m.incentive_coordinates(12.0 * loans.rate_m, mr[:, :n].T if n else np.ones((1, 1)))
    return path_kernel(
        loans.bal,
        loans.rate_m,
        loans.net_m,
        loans.fee_m,
        loans.n_amort,
        loans.io_left,
        loans.life,
        loans.age0,
        zn,
        np.ascontiguousarray(za),
        np.ascontiguousarray(zb),
        model is not None,
        m.kind,
        tuple(m.kernel_params()),
        kernel_coefficients(np.float64),
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
    precision: Precision = "float64",
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
    precision : {"float64", "float32"}
        Float type of the Monte Carlo kernel (model without defaults).

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
        precision=precision,
    )
    n = acc.shape[1] - 1
    out = np.empty((acc.shape[0], n, len(CASHFLOW_COLUMNS)))
    for p in range(acc.shape[0]):
        out[p] = _columns(acc[p], assumptions)
    return out

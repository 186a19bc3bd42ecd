"""ML-driven projection over loans × rate paths × months, and its Monte Carlo OAS.

:func:`ml_path_accumulators` projects a tape on mortgage-rate paths with a
trained :class:`~trancheflow.models.model.HazardModel` compiled by
:mod:`trancheflow.models.compiled`. Everything but the incentive and burnout
is the same on every path, so :func:`loan_month_rates` evaluates once per
loan and month

* the prepay log-odds of the loan's covariates (per loan), age × month of
  year and mark-to-market LTV (scheduled balance over the origination value
  grown at ``hpa`` a year: the HPI is one deterministic scenario, not
  simulated) as one odds multiplier ``A``;
* the monthly **buyout** rate: the default-start probability times the
  chance that the loan does not cure in the next three months (cure model at
  ``d30``, ``d60``, ``d90p``), so it reaches 90+ days delinquent and is
  bought out of the pool at par, as agency pass-throughs treat seriously
  delinquent loans (credit losses are the guarantor's; the timing of the
  buyout three months later is ignored);

and per path only ``odds = A · exp(G[incentive, burnout])`` from one table
(the prepay model's incentive × burnout trees, tabulated exactly), the SMM
``odds / (1 + odds)`` plus the buyout rate, and the balances. Burnout starts
at zero (a tape carries no incentive history). Two kernels: :func:`ml_mc_kernel`
(default; float32, loans innermost in blocks of :data:`BLOCK`, a loan's
balance on a path is its scheduled balance times its prepayment survival,
paths in chunks on numba threads; the layout of the collateral engine's
Monte Carlo kernel) and :func:`ml_path_kernel` (float64, paths in the vector
lanes; the reference it is tested against, to 1e-5 relative). The
accumulators are those of ``path_kernel`` (P0, PQ, VOL, ACT, EINT, FEE; the
rest zero), turned into cash-flow columns by the collateral engine.

Examples
--------
>>> from trancheflow.models.simulate import simulate_panel
>>> from trancheflow.models.train import train_hazard_model
>>> from trancheflow.tape import generate_tape
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> rates = np.array([[0.08] * 360, [0.03] * 360])
>>> acc = ml_path_accumulators(generate_tape(20, seed=1), m, rates)
>>> bool(acc[1, :60, 4].sum() > acc[0, :60, 4].sum())   # VOL: low rates prepay faster
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from trancheflow.analytics.montecarlo import MonteCarloSettings, PathValues
from trancheflow.analytics.zspread import flow_times
from trancheflow.collateral.assumptions import Assumptions
from trancheflow.collateral.kernel import ACT, EINT, FEE, LANES, NACC, P0, PQ, VOL
from trancheflow.collateral.loans import loan_arrays
from trancheflow.collateral.projection import CASHFLOW_COLUMNS, _columns
from trancheflow.errors import ModelError
from trancheflow.rates import HullWhite1F, ZeroCurve

from .compiled import GRIDS, CompiledRisk, compile_risk
from .features import BURNOUT_STEP, INCENTIVE_STEP, LOAN_COLUMNS, loan_features
from .model import HazardModel

__all__ = [
    "CompiledModel",
    "compile_model",
    "compress_table",
    "loans_from_tape",
    "ml_path_accumulators",
    "project_paths_ml",
    "project_pool_ml",
]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CompiledModel:
    """A hazard model's risks compiled for the kernel (see :mod:`trancheflow.models.compiled`)."""

    model: HazardModel
    risks: dict[str, CompiledRisk]


def compile_model(model: HazardModel) -> CompiledModel:
    """Compile every risk of ``model`` (prepay, default and cure are needed for pricing)."""
    missing = {"prepay", "default", "cure"} - set(model.boosters)
    if missing:
        raise ModelError(f"pricing needs the risks {sorted(missing)}, missing from the model")
    return CompiledModel(model, {r: compile_risk(b, r) for r, b in model.boosters.items()})


def loans_from_tape(tape: pd.DataFrame) -> pd.DataFrame:
    """The model's loan frame (panel units: percent LTV/DTI/rate) from a normalised tape."""
    n = len(tape)

    def col(name: str, scale: float = 1.0) -> F:
        if name not in tape.columns:
            return np.full(n, np.nan)
        return tape[name].to_numpy(dtype=np.float64) * scale

    def cat(name: str) -> npt.NDArray[np.object_]:
        if name not in tape.columns:
            return np.full(n, None, dtype=object)
        return tape[name].astype(object).to_numpy()

    out = pd.DataFrame(
        {
            "loan_id": cat("loan_id"),
            "fico": col("fico"),
            "ltv": col("ltv", 100.0),
            "cltv": col("cltv", 100.0),
            "dti": col("dti", 100.0),
            "orig_upb": col("original_balance"),
            "orig_rate": col("note_rate", 100.0),
            "orig_term": col("original_term"),
            "state": cat("state"),
            "occupancy": cat("occupancy"),
            "purpose": cat("purpose"),
            "channel": cat("channel"),
            "property_type": cat("property_type"),
            "first_payment": cat("first_payment_date"),
            "vintage": np.zeros(n, dtype=np.int32),
        }
    )
    return out[list(LOAN_COLUMNS)]


def _static_matrix(cr: CompiledRisk, static: dict[str, F], n: int) -> F:
    X = np.zeros((n, len(cr.feature_names)))
    for j, name in enumerate(cr.feature_names):
        if name in static:
            X[:, j] = static[name]
    return X


@njit(cache=True, parallel=True)
def loan_month_rates(
    bal: np.ndarray,
    rate_m: np.ndarray,
    n_amort: np.ndarray,
    io_left: np.ndarray,
    life: np.ndarray,
    age0: np.ndarray,
    inv_value: np.ndarray,
    hpi_inv: np.ndarray,
    moy0: int,
    s_pre: np.ndarray,
    s_def: np.ndarray,
    s_cure: np.ndarray,
    t_pre: np.ndarray,
    t_def: np.ndarray,
    t_cure: np.ndarray,
    l_pre: np.ndarray,
    l_def: np.ndarray,
    l_cure: np.ndarray,
    st_cure: np.ndarray,
    ltv_inv_step: float,
    n_periods: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path-independent parts per loan and month: prepay odds factor, buyout rate, ``q``.

    ``A[i, t-1] = exp(loan + age x month + MTM LTV parts of the prepay log-odds)``,
    ``buy[i, t-1]`` the default-start probability times the no-cure chance over
    ``d30``, ``d60``, ``d90p``; ``q[i, t-1]`` the scheduled-balance factor.
    """
    n = bal.shape[0]
    n_age = t_pre.shape[0]
    n_ltv = l_pre.shape[0]
    A = np.zeros((n, max(n_periods, 1)))
    buy = np.zeros((n, max(n_periods, 1)))
    qq = np.zeros((n, max(n_periods, 1)))
    for i in prange(n):
        r = rate_m[i]
        a = (1.0 + r) ** n_amort[i]
        inv1r = 1.0 / (1.0 + r)
        lw = life[i]
        sched = 1.0
        for t in range(1, min(lw, n_periods) + 1):
            if t >= lw:
                q = 0.0
            elif t <= io_left[i]:
                q = 1.0
            elif r > 0.0:
                q = 1.0 - r / (a - 1.0)
            else:
                nrem = n_amort[i] - t + 1.0
                q = (nrem - 1.0) / nrem
            a = a * inv1r
            age = min(age0[i] + t, n_age - 1)
            moy = (moy0 - 1 + t - 1) % 12
            lt = bal[i] * sched * inv_value[i] * hpi_inv[t - 1] * ltv_inv_step
            li = min(int(lt + 0.5), n_ltv - 1)
            A[i, t - 1] = np.exp(s_pre[i] + t_pre[age, moy] + l_pre[li])
            zd = s_def[i] + t_def[age, moy] + l_def[li]
            zc = s_cure[i] + t_cure[age, moy] + l_cure[li]
            roll = 1.0
            for k in range(1, 4):
                roll *= 1.0 - 1.0 / (1.0 + np.exp(-(zc + st_cure[k])))
            buy[i, t - 1] = roll / (1.0 + np.exp(-zd))
            qq[i, t - 1] = q
            sched = sched * q
    return A, buy, qq


@njit(cache=True, parallel=True, fastmath=True)
def ml_path_kernel(
    bal: np.ndarray,
    net_m: np.ndarray,
    fee_m: np.ndarray,
    life: np.ndarray,
    note_units: np.ndarray,
    A: np.ndarray,
    buy: np.ndarray,
    qq: np.ndarray,
    g_exp: np.ndarray,
    mrate_t: np.ndarray,
    inc_lo_units: float,
    burn_div: int,
    n_periods: int,
) -> np.ndarray:
    """Pool accumulators per path ``(n_paths, n_periods + 1, NACC)`` (module docstring).

    Lanes are paths; per lane: the incentive's grid cell, the burnout cell,
    one lookup of ``exp(G)`` (flattened ``incentive x burnout`` table), the
    SMM and the balance step. Burnout units are carried as floats (whole
    numbers, exact), and cells come from multiplications, so the lane loop
    has no integer division and no branch.
    """
    n = bal.shape[0]
    n_paths = mrate_t.shape[1]
    W = LANES
    n_groups = (n_paths + W - 1) // W
    n_inc = g_exp.shape[0]
    n_burn = g_exp.shape[1]
    g_flat = g_exp.ravel()
    top_i = float(n_inc - 1)
    top_b = n_burn - 1
    zero_cell = -inc_lo_units
    inv_div = 1.0 / burn_div
    half = burn_div // 2 + 0.5
    out = np.zeros((n_paths, n_periods + 1, NACC))
    npad = n_groups * W
    # incentive grid position = note_units - mm[t, p] (both in INCENTIVE_STEP units)
    mm = np.zeros((max(n_periods, 1), npad))
    for t in range(n_periods):
        for p in range(n_paths):
            mm[t, p] = mrate_t[t, p] + inc_lo_units
    for g in prange(n_groups):
        p_lo = g * W
        acc = np.zeros((n_periods + 1, 5, W))
        perf = np.zeros(W)
        bu = np.zeros(W)
        for i in range(n):
            rn = net_m[i]
            rs = fee_m[i]
            nu = note_units[i]
            for w in range(W):
                perf[w] = bal[i]
                bu[w] = 0.0
            t_end = min(life[i], n_periods)
            for t in range(1, t_end + 1):
                q = qq[i, t - 1]
                a_i = A[i, t - 1]
                b_i = buy[i, t - 1]
                row = acc[t - 1]
                mrow = mm[t - 1, p_lo : p_lo + W]
                for w in range(W):
                    kf = min(max(np.rint(nu - mrow[w]), 0.0), top_i)
                    kb = min(int((bu[w] + half) * inv_div), top_b)
                    odds = a_i * g_flat[int(kf) * n_burn + kb]
                    sm = min(odds / (1.0 + odds) + b_i, 1.0)
                    bu[w] += max(kf - zero_cell, 0.0)
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


#: Loans per block of :func:`ml_mc_kernel` (its tables, 3 x 361 x BLOCK float32, stay in L2).
BLOCK = 128
#: Paths per parallel job of :func:`ml_mc_kernel`.
JOBS_PER_CHUNK = 8


@njit(cache=True, parallel=True, fastmath=True)
def ml_mc_kernel(
    A: np.ndarray,
    buy: np.ndarray,
    sb: np.ndarray,
    rn: np.ndarray,
    rs: np.ndarray,
    nu: np.ndarray,
    blk_life: np.ndarray,
    mm: np.ndarray,
    imap: np.ndarray,
    bmap: np.ndarray,
    g_flat: np.ndarray,
    n_burn: int,
    top_i: float,
    top_b: int,
    zero_cell: float,
    half: float,
    inv_div: float,
    n_periods: int,
) -> np.ndarray:
    """Loans-innermost float32 kernel: accumulators ``(n_paths, n_periods + 1, 6)`` float64.

    ``A``, ``buy`` ``(n_blocks, T, BLOCK)`` and ``sb`` ``(n_blocks, T + 1, BLOCK)``
    (scheduled dollar balance at the start of each period) per block of
    loans; ``mm`` ``(n_paths, T)`` the mortgage rate in incentive units less
    the grid's lowest incentive. A loan's balance on a path is ``sb * s``
    with ``s`` its prepayment survival, so the per-path state is ``s`` and
    the burnout units. The ``exp(G)`` table is stored compressed: ``imap``
    and ``bmap`` send a grid cell to its interval between the trees' split
    thresholds, and ``g_flat`` holds one value per pair of intervals (exact,
    and small enough to stay in L1). Paths run in chunks on numba threads; each chunk walks
    the loan blocks outermost, so a block's tables are read from memory once
    per chunk. Columns: start balance, after scheduled principal, prepaid +
    bought out, net interest, fee, scheduled principal (summed directly: the
    difference of the first two would lose digits in float32).
    """
    n_blocks = A.shape[0]
    W = A.shape[2]
    n_paths = mm.shape[0]
    n_chunks = (n_paths + JOBS_PER_CHUNK - 1) // JOBS_PER_CHUNK
    out = np.zeros((n_paths, n_periods + 1, 6))
    one = np.float32(1.0)
    zero = np.float32(0.0)
    ti = np.float32(top_i)
    zc = np.float32(zero_cell)
    hf = np.float32(half)
    idv = np.float32(inv_div)
    for c in prange(n_chunks):
        p_lo = c * JOBS_PER_CHUNK
        p_hi = min(p_lo + JOBS_PER_CHUNK, n_paths)
        s = np.empty(W, dtype=np.float32)
        bu = np.empty(W, dtype=np.float32)
        gv = np.empty(W, dtype=np.float32)
        cell = np.empty(W, dtype=np.int32)
        bcell = np.empty(W, dtype=np.int32)
        top_b32 = np.int32(top_b)
        for b in range(n_blocks):
            t_end = min(blk_life[b], n_periods)
            nub = nu[b]
            rnb = rn[b]
            rsb = rs[b]
            for p in range(p_lo, p_hi):
                for i in range(W):
                    s[i] = one
                    bu[i] = zero
                for t in range(1, t_end + 1):
                    m = mm[p, t - 1]
                    a_row = A[b, t - 1]
                    d_row = buy[b, t - 1]
                    s0 = sb[b, t - 1]
                    s1 = sb[b, t]
                    x0 = zero
                    x1 = zero
                    x2 = zero
                    x3 = zero
                    x4 = zero
                    x5 = zero
                    # three short loops: cells (vectorised), table reads, balances (vectorised)
                    for i in range(W):
                        kf = min(max(np.rint(nub[i] - m), zero), ti)
                        cell[i] = np.int32(kf)
                        bcell[i] = min(np.int32((bu[i] + hf) * idv), top_b32)
                        bu[i] += max(kf - zc, zero)
                    for i in range(W):
                        gv[i] = g_flat[imap[cell[i]] * n_burn + bmap[bcell[i]]]
                    for i in range(W):
                        odds = a_row[i] * gv[i]
                        sm = min(odds / (one + odds) + d_row[i], one)
                        si = s[i]
                        p0 = s0[i] * si
                        pq = s1[i] * si
                        x0 += p0
                        x1 += pq
                        x2 += pq * sm
                        x3 += p0 * rnb[i]
                        x4 += p0 * rsb[i]
                        x5 += (s0[i] - s1[i]) * si
                        s[i] = si - si * sm
                    out[p, t - 1, 0] += x0
                    out[p, t - 1, 1] += x1
                    out[p, t - 1, 2] += x2
                    out[p, t - 1, 3] += x3
                    out[p, t - 1, 4] += x4
                    out[p, t - 1, 5] += x5
                tail = zero
                for i in range(W):
                    tail += sb[b, n_periods, i] * s[i] if t_end >= n_periods else zero
                out[p, n_periods, 0] += tail
    return out


def compress_table(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact compression of a piecewise-constant 2-d table: ``g == small[imap][:, bmap]``.

    Consecutive equal rows (columns) share one row (column) of ``small``.

    Examples
    --------
    >>> g = np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 2.0], [3.0, 3.0, 4.0]])
    >>> i, b, small = compress_table(g)
    >>> small.tolist(), i.tolist(), b.tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [0, 0, 1], [0, 0, 1])
    """
    rows = np.concatenate([[0], np.cumsum(np.any(g[1:] != g[:-1], axis=1))]).astype(np.int32)
    cols = np.concatenate([[0], np.cumsum(np.any(g[:, 1:] != g[:, :-1], axis=0))]).astype(np.int32)
    r_first = np.flatnonzero(np.concatenate([[True], np.diff(rows) > 0]))
    c_first = np.flatnonzero(np.concatenate([[True], np.diff(cols) > 0]))
    small = np.ascontiguousarray(g[np.ix_(r_first, c_first)])
    return rows, cols, small


def _blocks(x: np.ndarray, n_blocks: int) -> np.ndarray:
    """Loans on the last axis -> ``(n_blocks, ..., BLOCK)`` float32, zero-padded."""
    n = x.shape[-1]
    pad = n_blocks * BLOCK - n
    y = np.concatenate([x, np.zeros((*x.shape[:-1], pad), dtype=x.dtype)], axis=-1)
    y = y.reshape(*x.shape[:-1], n_blocks, BLOCK)
    return np.ascontiguousarray(np.moveaxis(y, -2, 0), dtype=np.float32)


def ml_path_accumulators(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    n_periods: int | None = None,
    engine: str = "blocks",
) -> np.ndarray:
    """Kernel accumulators ``(n_paths, n_periods + 1, NACC)`` of a tape under an ML model.

    Parameters
    ----------
    tape : pandas.DataFrame
        A normalised loan tape (:mod:`trancheflow.tape`).
    model : HazardModel or CompiledModel
    mortgage_rates : array_like, shape (n_paths, >= n_periods)
        Column ``t - 1`` is read in period ``t`` (annual decimals).
    start_month_of_year : int
        Calendar month of period 1.
    hpa : float
        House-price appreciation a year (decimal) for mark-to-market LTV.
    n_periods : int, optional
        Default the longest remaining life.
    engine : {"blocks", "lanes"}
        ``"blocks"`` (default): :func:`ml_mc_kernel`, float32, loans innermost;
        ``"lanes"``: :func:`ml_path_kernel`, float64, paths in the lanes
        (the reference the tests compare the first with).
    """
    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    if isinstance(start_month_of_year, bool) or start_month_of_year not in range(1, 13):
        raise ModelError(f"start_month_of_year {start_month_of_year!r} must be 1..12")
    la = loan_arrays(tape)
    order = np.argsort(la.life, kind="stable")
    la = la.take(order)
    loans = loans_from_tape(tape).iloc[order].reset_index(drop=True)
    n_loans = la.n_loans
    horizon = int(la.life.max()) if n_loans else 0
    n = horizon if n_periods is None else int(n_periods)
    mr = np.asarray(mortgage_rates, dtype=np.float64)
    if mr.ndim == 1:
        mr = mr[None, :]
    if mr.ndim != 2 or mr.shape[1] < n or not np.all(np.isfinite(mr[:, :n])):
        raise ModelError(f"mortgage_rates has shape {mr.shape}; need finite (n_paths, >= {n})")
    static = loan_features(loans, cm.model.codes)
    parts = {}
    for risk in ("prepay", "default", "cure"):
        cr = cm.risks[risk]
        parts[risk] = (
            cr.static_score(_static_matrix(cr, static, n_loans)),
            np.ascontiguousarray(cr.dense("loan_age", "month_of_year")),
            np.ascontiguousarray(cr.dense("mtm_ltv")),
        )
        known = {("loan_age", "month_of_year"), ("mtm_ltv",), ("incentive", "burnout"), ("status",)}
        for key in cr.tables:
            if not any(set(key) <= set(k) for k in known):
                raise ModelError(f"{risk}: trees over {list(key)} do not fit the kernel's groups")
        if risk != "prepay" and cr.dense("incentive", "burnout").any():
            raise ModelError(f"{risk}: the kernel reads incentive and burnout for prepay only")
    st = np.ascontiguousarray(cm.risks["cure"].dense("status"))
    g_exp = np.exp(cm.risks["prepay"].dense("incentive", "burnout"))
    ltv = loans["ltv"].to_numpy(dtype=np.float64) / 100.0
    value0 = np.where(
        np.isfinite(ltv) & (ltv > 0),
        loans["orig_upb"].to_numpy(dtype=np.float64) / np.where(ltv > 0, ltv, 1.0),
        np.nan,
    )
    if "property_value" in tape.columns:
        pv = tape["property_value"].to_numpy(dtype=np.float64)[order]
        value0 = np.where(np.isfinite(pv) & (pv > 0), pv, value0)
    inv_value = np.where(
        np.isfinite(value0) & (value0 > 0), 100.0 / np.nan_to_num(value0, nan=1.0), 0.0
    )
    hpi_inv = (1.0 + hpa) ** (-np.arange(max(n, 1)) / 12.0)
    note_units = loans["orig_rate"].to_numpy(dtype=np.float64) / INCENTIVE_STEP
    inc_lo = GRIDS["incentive"][0] / INCENTIVE_STEP  # -300
    mr_units = (
        np.ascontiguousarray((100.0 * mr[:, :n] / INCENTIVE_STEP).T)
        if n
        else np.zeros((1, mr.shape[0]))
    )
    A, buy, qq = loan_month_rates(
        la.bal,
        la.rate_m,
        la.n_amort,
        la.io_left,
        la.life,
        la.age0,
        inv_value,
        hpi_inv,
        int(start_month_of_year),
        parts["prepay"][0],
        parts["default"][0],
        parts["cure"][0],
        parts["prepay"][1],
        parts["default"][1],
        parts["cure"][1],
        parts["prepay"][2],
        parts["default"][2],
        parts["cure"][2],
        st,
        1.0 / GRIDS["mtm_ltv"][1],
        n,
    )
    if engine == "blocks":
        imap, bmap, g_small = compress_table(g_exp)
        n_blocks = max((n_loans + BLOCK - 1) // BLOCK, 1)
        sched = np.concatenate([np.ones((n_loans, 1)), np.cumprod(qq, axis=1)], axis=1)
        sb = (la.bal[:, None] * sched).T  # (T + 1, n_loans)
        life_pad = np.concatenate([la.life, np.zeros(n_blocks * BLOCK - n_loans, np.int64)])
        acc5 = ml_mc_kernel(
            _blocks(A.T, n_blocks),
            _blocks(buy.T, n_blocks),
            _blocks(sb, n_blocks),
            _blocks(la.net_m, n_blocks),
            _blocks(la.fee_m, n_blocks),
            _blocks(note_units, n_blocks),
            life_pad.reshape(n_blocks, BLOCK).max(axis=1),
            np.ascontiguousarray(mr_units.T + inc_lo, dtype=np.float32),
            imap,
            bmap,
            np.ascontiguousarray(g_small, dtype=np.float32).ravel(),
            int(g_small.shape[1]),
            float(g_exp.shape[0] - 1),
            int(g_exp.shape[1] - 1),
            float(-inc_lo),
            round(BURNOUT_STEP / INCENTIVE_STEP) // 2 + 0.5,
            1.0 / round(BURNOUT_STEP / INCENTIVE_STEP),
            n,
        )
        out = np.zeros((acc5.shape[0], n + 1, NACC))
        out[:, :, P0] = acc5[:, :, 0]
        out[:, :, PQ] = acc5[:, :, 1]
        out[:, :, VOL] = acc5[:, :, 2]
        out[:, :, ACT] = acc5[:, :, 5]
        out[:, n, ACT] = acc5[:, n, 0]
        out[:, :, EINT] = acc5[:, :, 3]
        out[:, :, FEE] = acc5[:, :, 4]
        return out
    if engine != "lanes":
        raise ModelError(f"engine {engine!r} must be 'blocks' or 'lanes'")
    return ml_path_kernel(
        la.bal,
        la.net_m,
        la.fee_m,
        la.life,
        note_units,
        A,
        buy,
        qq,
        np.ascontiguousarray(g_exp, dtype=np.float32),
        mr_units,
        float(inc_lo),
        round(BURNOUT_STEP / INCENTIVE_STEP),
        n,
    )


def project_paths_ml(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    n_periods: int | None = None,
) -> np.ndarray:
    """Cash flows ``(n_paths, n_periods, len(CASHFLOW_COLUMNS))`` under an ML model.

    Buyouts of seriously delinquent loans are paid as principal at par
    (inside ``prepayments``); there are no credit losses (agency pass-through).
    """
    acc = ml_path_accumulators(
        tape,
        model,
        mortgage_rates,
        start_month_of_year=start_month_of_year,
        hpa=hpa,
        n_periods=n_periods,
    )
    a = Assumptions("CPR 0", "CDR 0")
    out = np.empty((acc.shape[0], acc.shape[1] - 1, len(CASHFLOW_COLUMNS)))
    for p in range(acc.shape[0]):
        out[p] = _columns(acc[p], a)
    return out


def ml_path_values(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    name: str = "pool",
) -> PathValues:
    """Discounted pass-through cash flows per Hull-White path under an ML model.

    The rate paths, mortgage rates and discounting are those of
    :func:`~trancheflow.analytics.montecarlo.simulate_values` (same settings,
    same seed, same paths); the projection is :func:`project_paths_ml`, run
    inline (numba threads over path groups). Prices and OAS follow with
    :func:`~trancheflow.analytics.oas.oas_from_price`.
    """
    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    la = loan_arrays(tape)
    T = int(la.life.max())
    hw = HullWhite1F(curve, settings.mean_reversion, settings.volatility)
    paths = hw.simulate(
        settings.n_paths,
        T,
        seed=settings.seed,
        antithetic=settings.antithetic,
        sobol=settings.sobol,
    )
    mrates = settings.mortgage.rate(paths)[:, :T]
    disc = paths.discount[:, 1 : T + 1]
    if settings.delay_days:
        disc = disc * np.exp(-paths.short_rate[:, 1 : T + 1] * (settings.delay_days / 360.0))
    cube = project_paths_ml(
        tape, cm, mrates, start_month_of_year=start_month_of_year, hpa=hpa, n_periods=T
    )
    cf = cube[:, :, CASHFLOW_COLUMNS.index("total_cash_flow")][:, :, None]
    return PathValues(
        dcf=cf * disc[:, :, None],
        times=flow_times(T, settings.delay_days),
        names=(name,),
        faces=np.array([float(la.bal.sum())]),
        antithetic=settings.antithetic,
        mean_cash_flow=cf.mean(axis=0),
        paths=paths,
    )


def project_pool_ml(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
) -> pd.DataFrame:
    """Deterministic projection under an ML model: one mortgage-rate path, a cash-flow table.

    ``mortgage_rates`` is one path (e.g. flat today's rate, or the forward
    path); the result has :data:`~trancheflow.collateral.CASHFLOW_COLUMNS`
    per period, as :func:`~trancheflow.collateral.project_pool` returns, so
    the yield-table and waterfall code read it unchanged.
    """
    mr = np.asarray(mortgage_rates, dtype=np.float64)
    if mr.ndim != 1:
        raise ModelError(f"one mortgage-rate path expected, got shape {mr.shape}")
    cube = project_paths_ml(
        tape, model, mr[None, :], start_month_of_year=start_month_of_year, hpa=hpa
    )
    df = pd.DataFrame(cube[0], columns=list(CASHFLOW_COLUMNS))
    df.insert(0, "period", np.arange(1, len(df) + 1, dtype=np.int64))
    return df

"""Numba kernels of the ML path projection (see :mod:`trancheflow.models.pricing`).

:func:`loan_month_rates` evaluates the path-independent parts of the hazards
per loan and month; :func:`ml_mc_kernel` (float32, loans innermost in blocks
of :data:`BLOCK`) and :func:`ml_path_kernel` (float64 reference, paths in the
vector lanes) run the rate paths. :func:`compress_table` and :func:`_blocks`
prepare their inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from trancheflow.collateral.kernel import ACT, EINT, FEE, LANES, NACC, P0, PQ, VOL

__all__ = [
    "BLOCK",
    "JOBS_PER_CHUNK",
    "compress_table",
    "loan_month_rates",
    "ml_mc_kernel",
    "ml_path_kernel",
]


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
    """Loans-innermost float32 kernel: accumulators ``(n_paths, n_periods + 1, 7)`` float64.

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
    difference of the first two would lose digits in float32), and the part
    of column 2 that is the default buyout (``pq * min(buy, smm)``), so a
    caller can treat it as a credit loss instead of a par payment.
    """
    n_blocks = A.shape[0]
    W = A.shape[2]
    n_paths = mm.shape[0]
    n_chunks = (n_paths + JOBS_PER_CHUNK - 1) // JOBS_PER_CHUNK
    out = np.zeros((n_paths, n_periods + 1, 7))
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
                    x6 = zero
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
                        x6 += pq * min(d_row[i], sm)
                        s[i] = si - si * sm
                    out[p, t - 1, 0] += x0
                    out[p, t - 1, 1] += x1
                    out[p, t - 1, 2] += x2
                    out[p, t - 1, 3] += x3
                    out[p, t - 1, 4] += x4
                    out[p, t - 1, 5] += x5
                    out[p, t - 1, 6] += x6
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

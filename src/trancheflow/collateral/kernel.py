"""The numba projection kernel: BMA cash flows with defaults over loans x periods.

One kernel serves loan-level projection (every loan of a tape) and rep-line
projection (one aggregate loan per rep line). It never materialises a
loans x periods array: loans are processed in blocks of ``LANES`` (periods
outer, the lanes of a block inner and branch-free, so LLVM vectorizes them),
and every period's pool totals are accumulated per lane as the block goes.
Blocks are split into chunks run in parallel, each with its own accumulator;
the chunks and lanes are summed at the end in a fixed order.

Per loan and period ``t`` (BMA SF-18/19, section C.3; ``q`` is the scheduled
balance ratio ``SCH AM(t) / SCH AM(t-1)``, ``S`` its running product)::

    NEW DEF  = PERF(t-1) * MDR(t)                    (0 in the last `lag` months)
    ADB      = NEW DEF(t-lag) * S(t-1)/S(t-1-lag)    advancing
             = NEW DEF(t-lag)                        not advancing
    LOSS     = min(NEW DEF(t-lag) * severity, ADB);  RECOVERY = ADB - LOSS
    VOL      = min(PERF(t-1) * q * SMM(t), (PERF(t-1) - NEW DEF) * q)
    ACT AM   = (PERF(t-1) - NEW DEF) * (1 - q)
    AM DEF   = (NEW DEF + FCL(t-1) - ADB) * (1 - q)  (amortization due on defaulted loans)
    PERF(t)  = (PERF(t-1) - NEW DEF) * q - VOL
    FCL(t)   = (NEW DEF + FCL(t-1) - ADB) * q        advancing (AM DEF advanced)
             = NEW DEF + FCL(t-1) - ADB              not advancing
    EXP INT  = (PERF(t-1) + FCL(t-1)) * net / 12;    LOST INT = (NEW DEF + FCL(t-1)) * net / 12
    FEE      = (PERF(t-1) + FCL(t-1)) * (gross - net) / 12   advancing
             = (PERF(t-1) - NEW DEF) * (gross - net) / 12    not advancing

``q`` comes from the loan's gross rate and amortization type: level pay over
the remaining ``n`` months gives ``q = 1 - r / ((1 + r)^n - 1)``; interest-only
months give ``q = 1``; the loan's last projected month (maturity or balloon)
gives ``q = 0``. ``E = (1 + r)^n - 1`` is computed once per loan with
``expm1``/``log1p`` and stepped down a month at a time as
``E' = (E - r) / (1 + r)``, which stays accurate for tiny rates.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

LANES = 64
"""Loans per block. A compile-time constant so every per-lane index is
``constant + w``: LLVM then proves the lane loop free of overlaps and
vectorizes it (AVX2/AVX-512)."""

# Accumulator columns (per period; row ``t-1`` holds period ``t``; row
# ``n_periods`` holds the state after the last period in P0/F0).
P0, F0, PQ, ND, VOL, ACT, DFL, EINT, LOST, FEE, ADB, LOSS = range(12)
NACC = 12
ACC_NAMES = (
    "perf_begin",
    "fcl_begin",
    "perf_sched",
    "new_defaults",
    "voluntary_prepayment",
    "actual_amortization",
    "defaulted_amortization",
    "expected_interest",
    "interest_lost",
    "servicing_fee",
    "amortized_default_balance",
    "loss",
)

# Rows of a block's state, each LANES wide.
_PERF, _FCL, _ANN, _SCHED, _R, _INV1R, _RN, _RS, _NAM, _IOL, _LIFE, _DCUT, _SMM, _MDR = range(14)
_NSTATE = 14


@njit(inline="always", error_model="numpy")
def bma_month(p0, f0, nd, raw, adb, q, smm, severity, advance, ended):  # type: ignore[no-untyped-def]
    """The BMA month of one loan (shared by this kernel and the path kernels).

    Given the performing and foreclosure balances ``p0, f0``, the new
    defaults ``nd``, the liquidation arriving this month (``raw`` defaulted
    balance, ``adb`` its amortized balance), the scheduled ratio ``q``, the
    SMM and whether the loan's last month has passed (``ended``), returns
    ``(d, pq, vol, fd, loss, perf, fcl)``: performing balance after
    defaults, scheduled balance, voluntary prepayment, defaulted balance
    before liquidation, loss, and the new performing and foreclosure balances
    (the formulas of the module docstring).
    """
    d = p0 - nd
    loss = min(raw * severity, adb)
    pq = p0 * q
    vol = min(pq * smm, d * q)
    fd = nd + f0 - adb
    perf = d * q - vol
    f_new = fd * q if advance else fd
    fcl = 0.0 if ended else f_new
    return d, pq, vol, fd, loss, perf, fcl


@njit(cache=True, parallel=True, fastmath=False, error_model="numpy")
def project_kernel(
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
    n_chunks: int,
) -> np.ndarray:
    """Pool totals per period, shape ``(n_periods + 1, NACC)``.

    Parameters
    ----------
    bal, rate_m, net_m, fee_m : float64 arrays (n_loans,)
        Current balance; gross, net and servicing rates per month (annual / 12).
    n_amort : int64 array
        Amortization months remaining at period 1 (level-pay horizon).
    io_left : int64 array
        Interest-only months remaining (periods ``1..io_left`` pay no principal).
    life : int64 array
        Last projected period of each loan (maturity or balloon); ``q = 0`` there.
    age0 : int64 array
        Loan age (WALA); period ``t`` reads age-indexed tables at ``age0 + t``.
    smm_tab, mdr_tab : float64 arrays
        Monthly rates, indexed by ``age0 + t`` when the ``*_by_age`` flag is 1,
        by ``t`` when it is 0. Length must cover ``max(age0) + n_periods``.
    severity, lag, advance
        Loss severity, months to liquidation, servicer P&I advancing.
    n_periods, n_chunks
        Periods to project; parallel chunks of loan blocks.

    Notes
    -----
    Division follows IEEE rules (``error_model="numpy"``): lanes whose
    formula divides by zero (zero-rate loans, ended loans) compute a NaN that
    a select then discards, which keeps the lane loop branch-free.
    """
    n = bal.shape[0]
    W = LANES
    n_blocks = (n + W - 1) // W
    ring_len = max(lag, 1)
    no_lag = lag == 0
    partial = np.zeros((n_chunks, (n_periods + 1) * NACC * W))
    for ch in prange(n_chunks):
        acc = partial[ch]
        st = np.zeros(_NSTATE * W)
        idx = np.zeros(2 * W, dtype=np.int64)
        ring = np.zeros(ring_len * 2 * W)
        # Round-robin blocks: loans arrive sorted by life, so chunks stay balanced.
        for b in range(ch, n_blocks, n_chunks):
            tmax = 0
            for w in range(W):
                i = b * W + w
                if i < n:
                    st[_PERF * W + w] = bal[i]
                    st[_R * W + w] = rate_m[i]
                    st[_RN * W + w] = net_m[i]
                    st[_RS * W + w] = fee_m[i]
                    st[_NAM * W + w] = n_amort[i]
                    st[_IOL * W + w] = io_left[i]
                    st[_LIFE * W + w] = life[i]
                    st[_ANN * W + w] = math.expm1(n_amort[i] * math.log1p(rate_m[i]))
                    st[_INV1R * W + w] = 1.0 / (1.0 + rate_m[i])
                    idx[w] = age0[i] * smm_by_age
                    idx[W + w] = age0[i] * mdr_by_age
                    tmax = max(tmax, life[i])
                else:
                    for k in range(_NSTATE):
                        st[k * W + w] = 0.0
                    st[_INV1R * W + w] = 1.0
                    idx[w] = 0
                    idx[W + w] = 0
                st[_FCL * W + w] = 0.0
                st[_SCHED * W + w] = 1.0
                st[_DCUT * W + w] = st[_LIFE * W + w] - lag
            ring[:] = 0.0
            t_end = min(tmax, n_periods)
            for t in range(1, t_end + 1):
                for w in range(W):
                    st[_SMM * W + w] = smm_tab[idx[w] + t]
                    st[_MDR * W + w] = mdr_tab[idx[W + w] + t]
                tf = float(t)
                slot = t % ring_len
                rg = ring[slot * 2 * W : (slot + 1) * 2 * W]
                row = acc[(t - 1) * NACC * W : t * NACC * W]
                for w in range(W):
                    p0 = st[_PERF * W + w]
                    f0 = st[_FCL * W + w]
                    a = st[_ANN * W + w]
                    s_prev = st[_SCHED * W + w]
                    r = st[_R * W + w]
                    lw = st[_LIFE * W + w]
                    md = st[_MDR * W + w] if tf <= st[_DCUT * W + w] else 0.0
                    nrem = st[_NAM * W + w] - tf + 1.0
                    q = 1.0 - r / a if r > 0.0 else (nrem - 1.0) / nrem
                    q = 1.0 if tf <= st[_IOL * W + w] else q
                    q = 0.0 if tf >= lw else q
                    st[_ANN * W + w] = (a - r) * st[_INV1R * W + w]
                    nd = p0 * md
                    old_raw = rg[w]
                    old_norm = rg[W + w]
                    rg[w] = nd
                    norm = nd / s_prev
                    rg[W + w] = norm if s_prev > 0.0 else 0.0
                    lagged_adb = old_norm * s_prev if advance else old_raw
                    raw = nd if no_lag else old_raw
                    adb = nd if no_lag else lagged_adb
                    d, pq, vol, fd, loss, perf, fcl = bma_month(
                        p0, f0, nd, raw, adb, q, st[_SMM * W + w], severity, advance, tf >= lw
                    )
                    omq = 1.0 - q
                    st[_PERF * W + w] = perf
                    st[_FCL * W + w] = fcl
                    st[_SCHED * W + w] = s_prev * q
                    row[P0 * W + w] += p0
                    row[F0 * W + w] += f0
                    row[PQ * W + w] += pq
                    row[ND * W + w] += nd
                    row[VOL * W + w] += vol
                    row[ACT * W + w] += d * omq
                    row[DFL * W + w] += fd * omq
                    row[EINT * W + w] += (p0 + f0) * st[_RN * W + w]
                    row[LOST * W + w] += (nd + f0) * st[_RN * W + w]
                    row[FEE * W + w] += ((p0 + f0) if advance else d) * st[_RS * W + w]
                    row[ADB * W + w] += adb
                    row[LOSS * W + w] += loss
            last = acc[n_periods * NACC * W : (n_periods + 1) * NACC * W]
            for w in range(W):
                last[P0 * W + w] += st[_PERF * W + w]
                last[F0 * W + w] += st[_FCL * W + w]
    out = np.zeros((n_periods + 1, NACC))
    for ch in range(n_chunks):
        for t in range(n_periods + 1):
            for c in range(NACC):
                base = (t * NACC + c) * W
                s = 0.0
                for w in range(W):
                    s += partial[ch, base + w]
                out[t, c] += s
    return out


project_kernel_serial = njit(cache=True, fastmath=False, error_model="numpy")(
    project_kernel.py_func
)
"""The same kernel compiled without threads, for small pools (rep lines)."""

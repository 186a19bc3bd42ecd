"""The numba projection kernel: BMA cash flows with defaults over loans x periods.

One kernel serves loan-level projection (every loan of a tape) and rep-line
projection (one aggregate loan per rep line). It never materialises a
loans x periods array: loans are processed in blocks of ``LANES`` (periods
outer, the lanes of a block inner, so the compiler can keep a block's state in
vector registers), and every period's pool totals are accumulated per lane as
the block goes. Blocks are split into chunks run in parallel, each with its own
accumulator; the chunks and lanes are summed at the end in a fixed order.

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
gives ``q = 0``. ``(1 + r)^n`` is computed once per loan and divided by
``1 + r`` each month.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

LANES = 8
"""Loans per block (one AVX-512 register of doubles)."""

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


@njit(cache=True, parallel=True, fastmath=False)
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
    """
    n = bal.shape[0]
    W = LANES
    n_blocks = (n + W - 1) // W
    ring_len = max(lag, 1)
    partial = np.zeros((n_chunks, n_periods + 1, NACC, W))
    for ch in prange(n_chunks):
        b_lo = ch * n_blocks // n_chunks
        b_hi = (ch + 1) * n_blocks // n_chunks
        acc = np.zeros((n_periods + 1, NACC, W))
        perf = np.zeros(W)
        fcl = np.zeros(W)
        ann = np.ones(W)
        sched = np.ones(W)
        r = np.zeros(W)
        inv1r = np.ones(W)
        rn = np.zeros(W)
        rs = np.zeros(W)
        nam = np.zeros(W, dtype=np.int64)
        iol = np.zeros(W, dtype=np.int64)
        lif = np.zeros(W, dtype=np.int64)
        dcut = np.zeros(W, dtype=np.int64)
        sidx = np.zeros(W, dtype=np.int64)
        midx = np.zeros(W, dtype=np.int64)
        ring_raw = np.zeros((ring_len, W))
        ring_norm = np.zeros((ring_len, W))
        for b in range(b_lo, b_hi):
            tmax = 0
            for w in range(W):
                i = b * W + w
                if i < n:
                    perf[w] = bal[i]
                    r[w] = rate_m[i]
                    rn[w] = net_m[i]
                    rs[w] = fee_m[i]
                    nam[w] = n_amort[i]
                    iol[w] = io_left[i]
                    lif[w] = life[i]
                    ann[w] = (1.0 + rate_m[i]) ** n_amort[i]
                    inv1r[w] = 1.0 / (1.0 + rate_m[i])
                    sidx[w] = age0[i] * smm_by_age
                    midx[w] = age0[i] * mdr_by_age
                else:
                    perf[w] = 0.0
                    r[w] = 0.0
                    rn[w] = 0.0
                    rs[w] = 0.0
                    nam[w] = 0
                    iol[w] = 0
                    lif[w] = 0
                    ann[w] = 1.0
                    inv1r[w] = 1.0
                    sidx[w] = 0
                    midx[w] = 0
                fcl[w] = 0.0
                sched[w] = 1.0
                dcut[w] = lif[w] - lag
                tmax = max(tmax, lif[w])
            for k in range(ring_len):
                for w in range(W):
                    ring_raw[k, w] = 0.0
                    ring_norm[k, w] = 0.0
            t_end = min(tmax, n_periods)
            for t in range(1, t_end + 1):
                slot = t % ring_len
                row = acc[t - 1]
                for w in range(W):
                    p0 = perf[w]
                    f0 = fcl[w]
                    lw = lif[w]
                    sm = smm_tab[sidx[w] + t]
                    md = mdr_tab[midx[w] + t] if t <= dcut[w] else 0.0
                    a = ann[w]
                    if t >= lw:
                        q = 0.0
                    elif t <= iol[w]:
                        q = 1.0
                    elif r[w] > 0.0:
                        q = 1.0 - r[w] / (a - 1.0)
                    else:
                        nrem = nam[w] - t + 1.0
                        q = (nrem - 1.0) / nrem
                    ann[w] = a * inv1r[w]
                    nd = p0 * md
                    d = p0 - nd
                    s_prev = sched[w]
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
                    vol = min(pq * sm, d * q)
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
                    sched[w] = s_prev * q
                    row[P0, w] += p0
                    row[F0, w] += f0
                    row[PQ, w] += pq
                    row[ND, w] += nd
                    row[VOL, w] += vol
                    row[ACT, w] += act
                    row[DFL, w] += dfl
                    row[EINT, w] += (p0 + f0) * rn[w]
                    row[LOST, w] += (nd + f0) * rn[w]
                    if advance:
                        row[FEE, w] += (p0 + f0) * rs[w]
                    else:
                        row[FEE, w] += d * rs[w]
                    row[ADB, w] += adb
                    row[LOSS, w] += loss
            for w in range(W):
                acc[n_periods, P0, w] += perf[w]
                acc[n_periods, F0, w] += fcl[w]
        partial[ch] = acc
    out = np.zeros((n_periods + 1, NACC))
    for ch in range(n_chunks):
        for t in range(n_periods + 1):
            for c in range(NACC):
                s = 0.0
                for w in range(W):
                    s += partial[ch, t, c, w]
                out[t, c] += s
    return out

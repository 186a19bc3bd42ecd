"""Compiled float waterfall: the steps of docs/waterfall.md, one path at a time.

:class:`~trancheflow.deal.waterfall.FloatWaterfall` prepares everything that
does not depend on the waterfall's state in NumPy (coupons of every path and
period, including floating coupons and the net-WAC cap, since the pool
balance path is fixed by the collections; the shifting-interest percentage
of every period; the active-rule inputs) and calls :func:`run_kernel`, which
carries the state through the periods of each path (and, when asked, the
first-loss fund's assets: ``fund += premium - cover`` each period, the cover
available being ``min(fund, cap)`` at the start of the period). The NumPy
engine in ``waterfall.py`` is the readable twin; tests hold the two together.
"""

from __future__ import annotations

import numba
import numpy as np

# deal-level output rows (out_deal[k, path, t])
D_POOL_BEG, D_POOL_END, D_CASH_IN, D_DRAW, D_TOPUP, D_RELEASE = 0, 1, 2, 3, 4, 5
D_RESERVE, D_TURBO, D_PDA, D_LEFTOVER, D_RESIDUAL = 6, 7, 8, 9, 10
D_PREMIUM, D_COVER, D_FUND = 11, 12, 13
N_DEAL = 14
# tranche-level output rows (out_tr[k, path, t, i])
T_BEG, T_DUE, T_PAID, T_SHORT, T_ACC, T_PRIN, T_WD, T_FGV, T_END = range(9)
N_TR = 9


@numba.njit(cache=True)
def _seq(amount: float, bal: np.ndarray, paid: np.ndarray, lo: int, hi: int) -> float:
    for i in range(lo, hi):
        if amount <= 0.0:
            break
        x = min(amount, bal[i] - paid[i])
        if x > 0.0:
            paid[i] += x
            amount -= x
    return amount


@numba.njit(cache=True)
def _one_path(
    p: int,
    interest: np.ndarray,  # (P, T)
    sched_prin: np.ndarray,
    prep: np.ndarray,
    rec: np.ndarray,
    loss: np.ndarray,
    d60: np.ndarray,
    pool0: np.ndarray,  # (P,)
    coupons: np.ndarray,  # (P, T, n)
    originals: np.ndarray,  # (n,)
    accrual: np.ndarray,  # (n,) bool
    fee_rates: np.ndarray,  # (m,)
    fee_amts: np.ndarray,  # (m,)
    oc: float,
    res_t: float,
    res_floor: float,
    base_rule: int,
    trig_metric: np.ndarray,  # (K,)
    trig_dir: np.ndarray,
    trig_thr: np.ndarray,
    trig_then: np.ndarray,
    no_rule: int,
    senior_count: int,
    shift: np.ndarray,  # (T,)
    tol: float,
    premium_rate: float,
    ins_cap: float,  # np.inf when uncapped
    ins_avail: np.ndarray,  # (P, T) cover available, read when track_fund is False
    fund0: np.ndarray,  # (P,) fund assets at closing, when track_fund
    track_fund: bool,
    out_tr: np.ndarray,  # (N_TR, P, T, n)
    out_fee: np.ndarray,  # (3, P, T, m)
    out_deal: np.ndarray,  # (N_DEAL, P, T)
    out_rule: np.ndarray,  # (P, T) int64
    out_trig: np.ndarray,  # (P, T, K) bool
) -> None:
    T = interest.shape[1]
    n = originals.shape[0]
    m = fee_rates.shape[0]
    K = trig_metric.shape[0]
    if True:
        bal = np.empty(n)
        b0 = np.empty(n)
        ish = np.empty(n)
        paid = np.empty(n)
        due = np.empty(n)
        fsh = np.empty(m)
        breached = np.empty(K, dtype=np.bool_)
        for i in range(n):
            bal[i] = originals[i]
            ish[i] = 0.0
        for j in range(m):
            fsh[j] = 0.0
        for k in range(K):
            breached[k] = False
        reserve = 0.0
        cum_loss = 0.0
        pool = pool0[p]
        orig_pool = pool0[p]
        fund = fund0[p]
        for t in range(T):
            it = interest[p, t]
            pr = prep[p, t]
            rc = rec[p, t]
            P0 = pool
            IA = it
            PA = sched_prin[p, t] + pr + rc
            P1 = P0 - PA - loss[p, t]
            cum_loss += loss[p, t]
            for i in range(n):
                b0[i] = bal[i]
            # fees
            for j in range(m):
                fd = P0 * fee_rates[j] / 12.0 + fee_amts[j] + fsh[j]
                fp = min(fd, IA)
                IA -= fp
                fsh[j] = fd - fp
                out_fee[0, p, t, j] = fd
                out_fee[1, p, t, j] = fp
                out_fee[2, p, t, j] = fsh[j]
            # interest
            senior_out = False
            draws = 0.0
            due_tot = 0.0
            for i in range(n):
                c = coupons[p, t, i]
                d = (b0[i] + ish[i]) * c / 12.0 + ish[i]
                due[i] = d
                due_tot += d
                acc = 0.0
                pay = 0.0
                if accrual[i] and senior_out:
                    acc = min(d, IA)
                    IA -= acc
                    PA += acc
                    bal[i] += acc
                    ish[i] = d - acc
                else:
                    pay = min(d, IA)
                    IA -= pay
                    if d > pay:
                        dr = min(d - pay, reserve)
                        reserve -= dr
                        draws += dr
                        pay += dr
                    ish[i] = d - pay
                out_tr[T_BEG, p, t, i] = b0[i]
                out_tr[T_DUE, p, t, i] = d
                out_tr[T_PAID, p, t, i] = pay
                out_tr[T_ACC, p, t, i] = acc
                if b0[i] > tol:
                    senior_out = True
            # insurance premium (3b), never carried forward
            premium = min(P0 * premium_rate / 12.0, IA)
            IA -= premium
            # triggers
            rule = base_rule
            if K > 0:
                sb0 = 0.0
                for i in range(n):
                    sb0 += b0[i]
                for k in range(K):
                    mt = trig_metric[k]
                    if mt == 0:
                        num, den, inf = cum_loss, orig_pool, True
                    elif mt == 1:
                        num, den, inf = d60[p, t], P1, False
                    elif mt == 2:
                        num, den, inf = P0, sb0, True
                    else:
                        num, den, inf = it, due_tot, True
                    if den > tol:
                        val = num / den
                    elif inf:
                        val = np.inf
                    else:
                        val = 0.0
                    hit = val > trig_thr[k] if trig_dir[k] == 0 else val < trig_thr[k]
                    breached[k] = breached[k] or hit
                    out_trig[p, t, k] = breached[k]
                for k in range(K):
                    if breached[k] and trig_then[k] != no_rule:
                        rule = trig_then[k]
            out_rule[p, t] = rule
            # principal distribution amount
            S = 0.0
            for i in range(n):
                S += bal[i]
            deficiency = max(0.0, S - PA - max(0.0, P1 - P1 * oc))
            turbo = min(IA, deficiency)
            IA -= turbo
            avail = fund if track_fund else ins_avail[p, t]
            loss_gap = max(0.0, S - PA - turbo - P1)  # never pays toward the OC target
            cover = max(0.0, min(loss_gap, avail, ins_cap))
            PDA = min(PA + turbo + cover, S)
            leftover = PA + turbo + cover - PDA
            if track_fund:
                fund += premium - cover
            # allocation
            for i in range(n):
                paid[i] = 0.0
            if rule == 0:
                _seq(PDA, bal, paid, 0, n)
            elif rule == 1:
                if S > 0.0:
                    f = PDA / S
                    tot = 0.0
                    for i in range(n):
                        paid[i] = min(bal[i] * f, bal[i])
                        tot += paid[i]
                    _seq(max(0.0, PDA - tot), bal, paid, 0, n)
            else:
                k0 = senior_count
                SB = 0.0
                for i in range(k0):
                    SB += bal[i]
                senior = 0.0
                if S > 0.0:
                    U = min(PDA, pr + rc)
                    frac = SB / S
                    senior = min(SB, (PDA - U) * frac + U * (frac + shift[t] * (1.0 - frac)))
                left = _seq(senior, bal, paid, 0, k0)
                left += PDA - senior
                left = _seq(left, bal, paid, k0, n)
                _seq(left, bal, paid, 0, k0)
            tot_bal = 0.0
            for i in range(n):
                bal[i] -= paid[i]
                tot_bal += bal[i]
            # writedowns, junior first
            excess = max(0.0, tot_bal - P1)
            for i in range(n - 1, -1, -1):
                x = min(excess, bal[i]) if excess > 0.0 else 0.0
                bal[i] -= x
                excess -= x
                tot_bal -= x
                out_tr[T_WD, p, t, i] = x
                fg = 0.0
                if x > 0.0 and bal[i] <= tol:
                    fg = ish[i]
                    ish[i] = 0.0
                out_tr[T_FGV, p, t, i] = fg
            for i in range(n):
                out_tr[T_PRIN, p, t, i] = paid[i]
                out_tr[T_SHORT, p, t, i] = ish[i]
                out_tr[T_END, p, t, i] = bal[i]
            # reserve
            target = 0.0 if tot_bal <= tol else max(P1 * res_t, res_floor)
            topup = min(IA, max(0.0, target - reserve))
            IA -= topup
            reserve += topup
            release = max(0.0, reserve - target)
            reserve -= release
            pool = P1
            out_deal[D_POOL_BEG, p, t] = P0
            out_deal[D_POOL_END, p, t] = P1
            out_deal[D_CASH_IN, p, t] = it + sched_prin[p, t] + pr + rc
            out_deal[D_DRAW, p, t] = draws
            out_deal[D_TOPUP, p, t] = topup
            out_deal[D_RELEASE, p, t] = release
            out_deal[D_RESERVE, p, t] = reserve
            out_deal[D_TURBO, p, t] = turbo
            out_deal[D_PDA, p, t] = PDA
            out_deal[D_LEFTOVER, p, t] = leftover
            out_deal[D_RESIDUAL, p, t] = IA + release + leftover
            out_deal[D_PREMIUM, p, t] = premium
            out_deal[D_COVER, p, t] = cover
            out_deal[D_FUND, p, t] = fund if track_fund else 0.0


@numba.njit(cache=True, parallel=True)
def run_kernel(
    interest: np.ndarray,  # (P, T)
    sched_prin: np.ndarray,
    prep: np.ndarray,
    rec: np.ndarray,
    loss: np.ndarray,
    d60: np.ndarray,
    pool0: np.ndarray,  # (P,)
    coupons: np.ndarray,  # (P, T, n)
    originals: np.ndarray,  # (n,)
    accrual: np.ndarray,  # (n,) bool
    fee_rates: np.ndarray,  # (m,)
    fee_amts: np.ndarray,  # (m,)
    oc: float,
    res_t: float,
    res_floor: float,
    base_rule: int,
    trig_metric: np.ndarray,  # (K,)
    trig_dir: np.ndarray,
    trig_thr: np.ndarray,
    trig_then: np.ndarray,
    no_rule: int,
    senior_count: int,
    shift: np.ndarray,  # (T,)
    tol: float,
    premium_rate: float,
    ins_cap: float,  # np.inf when uncapped
    ins_avail: np.ndarray,  # (P, T) cover available, read when track_fund is False
    fund0: np.ndarray,  # (P,) fund assets at closing, when track_fund
    track_fund: bool,
    out_tr: np.ndarray,  # (N_TR, P, T, n)
    out_fee: np.ndarray,  # (3, P, T, m)
    out_deal: np.ndarray,  # (N_DEAL, P, T)
    out_rule: np.ndarray,  # (P, T) int64
    out_trig: np.ndarray,  # (P, T, K) bool
) -> None:
    """All paths; each path's periods run in order, paths in parallel threads."""
    for p in numba.prange(interest.shape[0]):
        _one_path(
            p,
            interest,
            sched_prin,
            prep,
            rec,
            loss,
            d60,
            pool0,
            coupons,
            originals,
            accrual,
            fee_rates,
            fee_amts,
            oc,
            res_t,
            res_floor,
            base_rule,
            trig_metric,
            trig_dir,
            trig_thr,
            trig_then,
            no_rule,
            senior_count,
            shift,
            tol,
            premium_rate,
            ins_cap,
            ins_avail,
            fund0,
            track_fund,
            out_tr,
            out_fee,
            out_deal,
            out_rule,
            out_trig,
        )

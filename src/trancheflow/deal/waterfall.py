"""Float waterfall: the steps of docs/waterfall.md in float64, vectorised over paths.

Two engines run the same steps: ``engine="numba"`` (default) compiles one
path's periods in :mod:`trancheflow.deal._kernel` and runs paths in parallel
threads; ``engine="numpy"`` keeps every quantity of a period as an array of
shape ``(n_paths,)`` and loops over periods and tranches only. Tests hold the
two equal on random deals with every feature. It supports everything the spec does:
floating coupons (an index path per scenario), the net-WAC cap, shifting
interest, pro rata, OC target, reserve, triggers (breached per path, so the
active principal rule may differ between paths).

Float agrees with :class:`~trancheflow.deal.exact.ExactWaterfall` to within
rounding: exact floors each division, so per period each of its amounts is
at most one unit per division below the float one, and balance differences
accumulate at most linearly in the number of periods (see the tests for the
bound used). Discrete switches (an accrual tranche's senior retiring, a
trigger's threshold) can flip one period apart when a balance or metric sits
within rounding of the switch.

A first-loss insurance fund (params ``insurance_premium_rate`` and
``insurance_cap``) is modelled two ways. Given ``insurance_available``
(``(n_paths, n_periods)``, or anything that broadcasts to it), each period
reads its cover limit from it, as exact mode reads
:attr:`~trancheflow.deal.exact.PeriodInput.insurance_available` and the
contract reads the fund. Given ``fund_assets`` (the fund's assets at
closing, per path or one number), the float waterfall models the fund's
balance itself, path by path, for analytics: the cover available in a period
is ``min(assets, cap)`` as at the start of the period, and after it
``assets += premium - cover`` (no deposits or withdrawals between periods);
``FloatResult.fund_assets`` holds the balance after each period.

Amounts are in currency by default (``unit_scale = 10**decimals`` units per
currency unit); ``unit_scale=1`` runs in token units, as exact mode does.

Examples
--------
>>> import numpy as np
>>> from trancheflow.deal.collections import Collections
>>> from trancheflow.deal.params import WaterfallParams
>>> p = WaterfallParams(tranche_balances=(600, 400), coupons=(60_000_000, 90_000_000))
>>> c = Collections.from_arrays({"interest": [[8.0]], "scheduled_principal": [[10.0]],
...     "prepayments": [[5.0]], "recoveries": [[0.0]], "losses": [[0.0]]})
>>> r = FloatWaterfall(p, unit_scale=1).run(c, pool_balance=1_000)
>>> r.interest_paid[0, 0].tolist(), r.principal_paid[0, 0].tolist(), r.residual[0].tolist()
([3.0, 3.0], [15.0, 0.0], [2.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trancheflow.deal.collections import Collections
from trancheflow.deal.params import NO_RULE, RATE_SCALE, RULE_IDS, RULE_NAMES, WaterfallParams
from trancheflow.deal.spec import DealSpec
from trancheflow.errors import WaterfallError

__all__ = ["FloatResult", "FloatWaterfall", "allocate_sequential"]

F = npt.NDArray[np.float64]


def allocate_sequential(amount: F, balances: F) -> F:
    """Pay ``amount`` (n_paths,) across ``balances`` (n_tranches, n_paths) in row order.

    Examples
    --------
    >>> allocate_sequential(np.array([15.0]), np.array([[10.0], [10.0]])).ravel().tolist()
    [10.0, 5.0]
    """
    before = np.cumsum(balances, axis=0) - balances
    return np.clip(amount[None, :] - before, 0.0, balances)


@dataclass
class FloatResult:
    """Per-period results: tranche arrays ``(n_paths, n_periods, n_tranches)``,
    fee arrays ``(n_paths, n_periods, n_fees)``, deal arrays ``(n_paths, n_periods)``,
    ``triggers`` ``(n_paths, n_periods, n_triggers)`` (bool), ``active_rule``
    rule ids (names in :data:`~trancheflow.deal.params.RULE_NAMES`).
    ``insurance_premium`` / ``insurance_cover`` are paid to / by the first-loss
    fund; ``fund_assets`` is the fund's balance after each period when the
    waterfall models it (``fund_assets=`` given to :meth:`FloatWaterfall.run`),
    else 0. Conservation: ``cash_in + insurance_cover == cash_out``."""

    params: WaterfallParams
    unit_scale: float
    beginning_balance: F
    coupon: F
    interest_due: F
    interest_paid: F
    interest_shortfall: F
    accreted: F
    principal_paid: F
    writedown: F
    interest_forgiven: F
    ending_balance: F
    fee_due: F
    fee_paid: F
    fee_shortfall: F
    pool_beginning: F
    pool_ending: F
    cash_in: F
    reserve_draw: F
    reserve_topup: F
    reserve_release: F
    reserve_balance: F
    turbo: F
    principal_distribution: F
    principal_leftover: F
    residual: F
    active_rule: npt.NDArray[np.int64]
    triggers: npt.NDArray[np.bool_]
    insurance_premium: F
    insurance_cover: F
    fund_assets: F

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.residual.shape[0])

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.residual.shape[1])

    @property
    def cash_flow(self) -> F:
        """Tranche cash to holders (interest paid + principal paid)."""
        return self.interest_paid + self.principal_paid

    @property
    def cash_out(self) -> F:
        """Fees + interest + premium + principal + residual + reserve change, per path
        and period."""
        reserve_start = np.concatenate(
            [np.zeros_like(self.reserve_balance[:, :1]), self.reserve_balance[:, :-1]], axis=1
        )
        return (
            self.fee_paid.sum(-1)
            + self.insurance_premium
            + self.cash_flow.sum(-1)
            + self.residual
            + self.reserve_balance
            - reserve_start
        )


class FloatWaterfall:
    """Vectorised float64 waterfall.

    Parameters
    ----------
    params : WaterfallParams, OnchainParams or DealSpec
    unit_scale : float, optional
        Token units per amount unit: ``10**decimals`` (default, amounts in
        currency) or 1 (amounts in units).
    """

    def __init__(self, params: object, *, unit_scale: float | None = None) -> None:
        from trancheflow.deal.onchain import OnchainParams

        if isinstance(params, DealSpec):
            params = WaterfallParams.from_spec(params)
        elif isinstance(params, OnchainParams):
            params = params.to_waterfall_params()
        if not isinstance(params, WaterfallParams):
            raise TypeError("FloatWaterfall needs WaterfallParams, OnchainParams or a DealSpec")
        self.params: WaterfallParams = params
        self.unit_scale = float(10**params.decimals if unit_scale is None else unit_scale)

    def _index_rates(
        self, index_paths: Mapping[str, npt.ArrayLike] | None, n_paths: int, n_periods: int
    ) -> dict[str, F]:
        out: dict[str, F] = {}
        for fl in self.params.floating:
            if fl is None or fl.index in out:
                continue
            if index_paths is None or fl.index not in index_paths:
                raise WaterfallError(f"no path given for index {fl.index!r} (floating coupon)")
            a = np.asarray(index_paths[fl.index], dtype=np.float64)
            if a.ndim == 0:
                a = np.full(n_periods, float(a))
            if a.ndim == 1:
                if a.shape[0] < n_periods:  # hold the last rate flat
                    a = np.concatenate([a, np.full(n_periods - a.shape[0], a[-1])])
                a = np.broadcast_to(a[:n_periods], (n_paths, n_periods))
            if a.shape[0] != n_paths or a.shape[1] < n_periods:
                raise WaterfallError(
                    f"index {fl.index!r}: path shape {a.shape} does not cover "
                    f"{n_paths} paths x {n_periods} periods"
                )
            out[fl.index] = a
        return out

    def run(
        self,
        collections: Collections,
        *,
        pool_balance: float | npt.ArrayLike | None = None,
        index_paths: Mapping[str, npt.ArrayLike] | None = None,
        engine: str = "numba",
        insurance_available: npt.ArrayLike | None = None,
        fund_assets: float | npt.ArrayLike | None = None,
    ) -> FloatResult:
        """Run every path of ``collections`` from closing.

        Parameters
        ----------
        collections : Collections
            Arrays ``(n_paths, n_periods)`` (or ``(n_periods,)`` for one path).
        pool_balance : float or array, optional
            Pool balance at closing (amount units); default the params' pool balance.
        index_paths : mapping, optional
            Index name -> rate path as decimals: a number, a vector over
            periods, or ``(n_paths, n_periods)``.
        engine : {'numba', 'numpy'}
            The compiled kernel (default) or the NumPy twin it is tested against.
        insurance_available : array, optional
            Cover the first-loss fund can pay, per path and period (amount
            units; broadcast to ``(n_paths, n_periods)``); default 0.
        fund_assets : float or array, optional
            The fund's assets at closing (per path or one number): the
            waterfall then tracks the fund itself (module doc). Give at most
            one of ``insurance_available`` and ``fund_assets``.
        """
        if engine not in ("numba", "numpy"):
            raise WaterfallError(f"engine {engine!r} must be 'numba' or 'numpy'")
        P, T = np.atleast_2d(np.asarray(collections.interest)).shape
        ins = self._insurance(insurance_available, fund_assets, P, T)
        run = self._run_numpy if engine == "numpy" else self._run_numba
        return run(collections, pool_balance=pool_balance, index_paths=index_paths, insurance=ins)

    def _insurance(
        self,
        available: npt.ArrayLike | None,
        fund_assets: float | npt.ArrayLike | None,
        n_paths: int,
        n_periods: int,
    ) -> tuple[F, F, bool, float]:
        """``(available (P, T), fund at closing (P,), track the fund?, cap)``."""
        if available is not None and fund_assets is not None:
            raise WaterfallError("give insurance_available or fund_assets, not both")
        cap = self.params.insurance_cap / self.unit_scale if self.params.insurance_cap else np.inf
        try:
            avail = np.ascontiguousarray(
                np.broadcast_to(
                    np.asarray(0.0 if available is None else available, dtype=np.float64),
                    (n_paths, n_periods),
                )
            )
            fund0 = np.ascontiguousarray(
                np.broadcast_to(
                    np.asarray(0.0 if fund_assets is None else fund_assets, dtype=np.float64),
                    (n_paths,),
                )
            )
        except ValueError:
            raise WaterfallError(
                f"insurance_available / fund_assets must broadcast to {n_paths} paths x "
                f"{n_periods} periods / {n_paths} paths"
            ) from None
        if (avail < 0).any() or (fund0 < 0).any() or not np.isfinite(fund0).all():
            raise WaterfallError("insurance_available and fund_assets must be finite and >= 0")
        return avail, fund0, fund_assets is not None, float(cap)

    def _run_numba(
        self,
        collections: Collections,
        *,
        pool_balance: float | npt.ArrayLike | None,
        index_paths: Mapping[str, npt.ArrayLike] | None,
        insurance: tuple[F, F, bool, float],
    ) -> FloatResult:
        from trancheflow.deal import _kernel as kern

        p = self.params
        us = self.unit_scale
        rs = float(RATE_SCALE)
        names = ("interest", "scheduled_principal", "prepayments", "recoveries", "losses")
        cols = {
            f: np.ascontiguousarray(
                np.atleast_2d(np.asarray(getattr(collections, f), dtype=np.float64))
            )
            for f in (*names, "delinquent_60_plus")
        }
        P, T = cols["interest"].shape
        n, m, K = p.n_tranches, len(p.fee_rates), len(p.triggers)
        if pool_balance is None:
            if p.pool_balance <= 0:
                raise WaterfallError("the pool balance at closing is unknown; pass pool_balance")
            pool_balance = p.pool_balance / us
        pool0 = np.broadcast_to(np.asarray(pool_balance, dtype=np.float64), (P,)).copy()
        idx = self._index_rates(index_paths, P, T)
        # the pool balance path does not depend on the waterfall: coupons up front
        outflow = sum(cols[f] for f in names[1:])
        P0 = pool0[:, None] - np.concatenate(
            [np.zeros((P, 1)), np.cumsum(outflow, axis=1)[:, :-1]], axis=1
        )
        coupons = np.empty((P, T, n))
        wac = None
        for i in range(n):
            fl = p.floating[i]
            if fl is None:
                c = np.full((P, T), p.coupons[i] / rs)
            else:
                c = np.maximum(fl.floor / rs, idx[fl.index][:, :T] + fl.margin / rs)
                if fl.cap >= 0:
                    c = np.minimum(c, fl.cap / rs)
                c = np.maximum(c, 0.0)
            if p.wac_cap[i]:
                if wac is None:
                    wac = np.divide(cols["interest"] * 12.0, P0, out=np.zeros((P, T)), where=P0 > 0)
                c = np.minimum(c, wac)
            coupons[:, :, i] = c
        sp = p.shifting
        shift = np.array([1.0 if sp is None else sp.shift(t + 1) / rs for t in range(T)])
        out_tr = np.zeros((kern.N_TR, P, T, n))
        out_fee = np.zeros((3, P, T, m))
        out_deal = np.zeros((kern.N_DEAL, P, T))
        out_rule = np.zeros((P, T), dtype=np.int64)
        out_trig = np.zeros((P, T, K), dtype=np.bool_)
        kern.run_kernel(
            cols["interest"],
            cols["scheduled_principal"],
            cols["prepayments"],
            cols["recoveries"],
            cols["losses"],
            cols["delinquent_60_plus"],
            pool0,
            coupons,
            np.array(p.tranche_balances, dtype=np.float64) / us,
            np.array(p.accrual, dtype=np.bool_),
            np.array(p.fee_rates, dtype=np.float64) / rs,
            np.array(p.fee_amounts, dtype=np.float64) / us,
            p.oc_target / rs,
            p.reserve_target / rs,
            p.reserve_floor / us,
            p.principal_rule,
            np.array([t.metric for t in p.triggers], dtype=np.int64),
            np.array([t.direction for t in p.triggers], dtype=np.int64),
            np.array([t.threshold / rs for t in p.triggers], dtype=np.float64),
            np.array([t.then_rule for t in p.triggers], dtype=np.int64),
            NO_RULE,
            0 if sp is None else sp.senior_count,
            shift,
            0.5 / us,
            p.insurance_premium_rate / rs,
            insurance[3],
            insurance[0],
            insurance[1],
            insurance[2],
            out_tr,
            out_fee,
            out_deal,
            out_rule,
            out_trig,
        )
        deal_rows = {
            "pool_beginning": kern.D_POOL_BEG,
            "pool_ending": kern.D_POOL_END,
            "cash_in": kern.D_CASH_IN,
            "reserve_draw": kern.D_DRAW,
            "reserve_topup": kern.D_TOPUP,
            "reserve_release": kern.D_RELEASE,
            "reserve_balance": kern.D_RESERVE,
            "turbo": kern.D_TURBO,
            "principal_distribution": kern.D_PDA,
            "principal_leftover": kern.D_LEFTOVER,
            "residual": kern.D_RESIDUAL,
            "insurance_premium": kern.D_PREMIUM,
            "insurance_cover": kern.D_COVER,
            "fund_assets": kern.D_FUND,
        }
        return FloatResult(
            params=p,
            unit_scale=us,
            beginning_balance=out_tr[kern.T_BEG],
            coupon=coupons,
            interest_due=out_tr[kern.T_DUE],
            interest_paid=out_tr[kern.T_PAID],
            interest_shortfall=out_tr[kern.T_SHORT],
            accreted=out_tr[kern.T_ACC],
            principal_paid=out_tr[kern.T_PRIN],
            writedown=out_tr[kern.T_WD],
            interest_forgiven=out_tr[kern.T_FGV],
            ending_balance=out_tr[kern.T_END],
            fee_due=out_fee[0],
            fee_paid=out_fee[1],
            fee_shortfall=out_fee[2],
            active_rule=out_rule,
            triggers=out_trig,
            **{k: out_deal[r] for k, r in deal_rows.items()},
        )

    def _run_numpy(
        self,
        collections: Collections,
        *,
        pool_balance: float | npt.ArrayLike | None = None,
        index_paths: Mapping[str, npt.ArrayLike] | None = None,
        insurance: tuple[F, F, bool, float],
    ) -> FloatResult:
        """The NumPy engine: vectorised over paths, looping over periods and tranches."""
        p = self.params
        us = self.unit_scale
        cols = {
            f: np.atleast_2d(np.asarray(getattr(collections, f), dtype=np.float64))
            for f in ("interest", "scheduled_principal", "prepayments", "recoveries", "losses")
        }
        d60 = np.atleast_2d(np.asarray(collections.delinquent_60_plus, dtype=np.float64))
        n_paths, T = cols["interest"].shape
        n, m, K = p.n_tranches, len(p.fee_rates), len(p.triggers)
        tol = 0.5 / us  # half a token unit: below this a balance counts as retired
        if pool_balance is None:
            if p.pool_balance <= 0:
                raise WaterfallError("the pool balance at closing is unknown; pass pool_balance")
            pool_balance = p.pool_balance / us
        pool = np.broadcast_to(np.asarray(pool_balance, dtype=np.float64), (n_paths,)).copy()
        idx = self._index_rates(index_paths, n_paths, T)

        rs = float(RATE_SCALE)
        coupons = np.array(p.coupons, dtype=np.float64) / rs
        fee_rates = np.array(p.fee_rates, dtype=np.float64) / rs
        fee_amts = np.array(p.fee_amounts, dtype=np.float64) / us
        oc = p.oc_target / rs
        res_t, res_floor = p.reserve_target / rs, p.reserve_floor / us
        orig_pool = pool.copy()
        ins_avail, fund, track_fund, ins_cap = insurance
        fund = fund.copy()
        premium_rate = p.insurance_premium_rate / rs

        bal = np.repeat(np.array(p.tranche_balances, dtype=np.float64)[:, None] / us, n_paths, 1)
        ish = np.zeros((n, n_paths))
        fsh = np.zeros((m, n_paths))
        reserve = np.zeros(n_paths)
        cum_loss = np.zeros(n_paths)
        breached = np.zeros((K, n_paths), dtype=bool)

        def tr3() -> F:
            return np.zeros((T, n, n_paths))

        o_beg, o_cpn, o_due, o_ip, o_ish, o_acc = tr3(), tr3(), tr3(), tr3(), tr3(), tr3()
        o_pp, o_wd, o_fgv, o_end = tr3(), tr3(), tr3(), tr3()
        o_fdue, o_fpaid, o_fsh = (np.zeros((T, m, n_paths)) for _ in range(3))
        deal = {
            k: np.zeros((T, n_paths))
            for k in (
                "pool_beginning",
                "pool_ending",
                "cash_in",
                "reserve_draw",
                "reserve_topup",
                "reserve_release",
                "reserve_balance",
                "turbo",
                "principal_distribution",
                "principal_leftover",
                "residual",
                "insurance_premium",
                "insurance_cover",
                "fund_assets",
            )
        }
        o_rule = np.zeros((T, n_paths), dtype=np.int64)
        o_trig = np.zeros((T, K, n_paths), dtype=bool)
        rule_ids_present = {p.principal_rule} | {
            tr.then_rule for tr in p.triggers if tr.then_rule != NO_RULE
        }

        for t in range(T):
            interest = cols["interest"][:, t]
            sched, prep = cols["scheduled_principal"][:, t], cols["prepayments"][:, t]
            rec, loss = cols["recoveries"][:, t], cols["losses"][:, t]
            P0 = pool
            B0 = bal.copy()
            reserve0 = reserve.copy()
            # 1. collections
            IA = interest.copy()
            PA = sched + prep + rec
            P1 = P0 - PA - loss
            cum_loss = cum_loss + loss
            # 2. fees
            for j in range(m):
                due = P0 * fee_rates[j] / 12.0 + fee_amts[j] + fsh[j]
                paid = np.minimum(due, IA)
                IA -= paid
                fsh[j] = due - paid
                o_fdue[t, j], o_fpaid[t, j], o_fsh[t, j] = due, paid, fsh[j]
            # 3. interest
            wac = None
            senior_out = np.zeros(n_paths, dtype=bool)
            draws = np.zeros(n_paths)
            due_tot = np.zeros(n_paths)
            for i in range(n):
                fl = p.floating[i]
                if fl is None:
                    c: F | float = coupons[i]
                else:
                    c = np.maximum(fl.floor / rs, idx[fl.index][:, t] + fl.margin / rs)
                    if fl.cap >= 0:
                        c = np.minimum(c, fl.cap / rs)
                    c = np.maximum(c, 0.0)
                if p.wac_cap[i]:
                    if wac is None:
                        wac = np.divide(interest * 12.0, P0, out=np.zeros(n_paths), where=P0 > 0)
                    c = np.minimum(c, wac)
                o_cpn[t, i] = c
                due = (B0[i] + ish[i]) * c / 12.0 + ish[i]
                due_tot += due
                if p.accrual[i] and senior_out.any():
                    a = np.where(senior_out, np.minimum(due, IA), 0.0)
                    IA -= a
                    PA = PA + a
                    bal[i] += a
                    o_acc[t, i] = a
                    pay = np.where(senior_out, 0.0, np.minimum(due, IA))
                else:
                    a = np.zeros(n_paths)
                    pay = np.minimum(due, IA)
                IA -= pay
                need = due - a - pay
                if p.accrual[i]:
                    need = np.where(senior_out, 0.0, need)
                dr = np.minimum(need, reserve)
                reserve -= dr
                draws += dr
                pay = pay + dr
                ish[i] = due - a - pay
                o_due[t, i], o_ip[t, i] = due, pay
                senior_out |= B0[i] > tol
            # 3b. insurance premium, never carried forward
            premium = np.minimum(P0 * premium_rate / 12.0, IA)
            IA -= premium
            # 4. triggers
            if K:
                sb0 = B0.sum(0)
                for k, tr in enumerate(p.triggers):
                    thr = tr.threshold / rs
                    if tr.metric == 0:
                        num, den, inf = cum_loss, orig_pool, True
                    elif tr.metric == 1:
                        num, den, inf = d60[:, t], P1, False
                    elif tr.metric == 2:
                        num, den, inf = P0, sb0, True
                    else:
                        num, den, inf = interest, due_tot, True
                    ok = den > tol
                    val = np.divide(num, den, out=np.zeros(n_paths), where=ok)
                    if inf:
                        val = np.where(ok, val, np.inf)
                    hit = val > thr if tr.direction == 0 else val < thr
                    breached[k] |= hit
                rule = np.full(n_paths, p.principal_rule, dtype=np.int64)
                for k, tr in enumerate(p.triggers):
                    if tr.then_rule != NO_RULE:
                        rule = np.where(breached[k], tr.then_rule, rule)
            else:
                rule = np.full(n_paths, p.principal_rule, dtype=np.int64)
            # 5. principal distribution amount
            S = bal.sum(0)
            OCT = P1 * oc
            deficiency = np.maximum(0.0, S - PA - np.maximum(0.0, P1 - OCT))
            turbo = np.minimum(IA, deficiency)
            IA -= turbo
            avail = np.minimum(fund if track_fund else ins_avail[:, t], ins_cap)
            loss_gap = np.maximum(0.0, S - PA - turbo - P1)  # never pays toward the OC target
            cover = np.maximum(0.0, np.minimum(loss_gap, avail))
            PDA = np.minimum(PA + turbo + cover, S)
            leftover = PA + turbo + cover - PDA
            if track_fund:
                fund = fund + premium - cover
            # 6. allocation (each rule present computed, selected per path)
            paid = np.zeros_like(bal)
            for rid in rule_ids_present:
                sel = rule == rid
                if not sel.any():
                    continue
                x = self._allocate(rid, PDA, bal, S, prep + rec, t + 1)
                paid = x if sel.all() else np.where(sel[None, :], x, paid)
            bal -= paid
            # 7. writedowns, junior first
            excess = np.maximum(0.0, bal.sum(0) - P1)
            wd = allocate_sequential(excess, bal[::-1])[::-1]
            bal -= wd
            fgv = np.where((wd > 0) & (bal <= tol), ish, 0.0)
            ish -= fgv
            # 8. reserve
            retired = bal.sum(0) <= tol
            target = np.where(retired, 0.0, np.maximum(P1 * res_t, res_floor))
            topup = np.minimum(IA, np.maximum(0.0, target - reserve))
            IA -= topup
            reserve += topup
            release = np.maximum(0.0, reserve - target)
            reserve -= release
            # 9. residual; 10. advance
            pool = P1
            o_beg[t], o_pp[t], o_wd[t], o_fgv[t], o_end[t] = B0, paid, wd, fgv, bal
            o_ish[t] = ish
            o_rule[t] = rule
            o_trig[t] = breached
            for key, val in (
                ("pool_beginning", P0),
                ("pool_ending", P1),
                ("cash_in", interest + sched + prep + rec),
                ("reserve_draw", draws),
                ("reserve_topup", topup),
                ("reserve_release", release),
                ("reserve_balance", reserve),
                ("turbo", turbo),
                ("principal_distribution", PDA),
                ("principal_leftover", leftover),
                ("residual", IA + release + leftover),
                ("insurance_premium", premium),
                ("insurance_cover", cover),
                ("fund_assets", fund if track_fund else np.zeros(n_paths)),
            ):
                deal[key][t] = val
            del reserve0

        def tranche(a: F) -> F:
            return np.ascontiguousarray(a.transpose(2, 0, 1))

        return FloatResult(
            params=p,
            unit_scale=us,
            beginning_balance=tranche(o_beg),
            coupon=tranche(o_cpn),
            interest_due=tranche(o_due),
            interest_paid=tranche(o_ip),
            interest_shortfall=tranche(o_ish),
            accreted=tranche(o_acc),
            principal_paid=tranche(o_pp),
            writedown=tranche(o_wd),
            interest_forgiven=tranche(o_fgv),
            ending_balance=tranche(o_end),
            fee_due=tranche(o_fdue),
            fee_paid=tranche(o_fpaid),
            fee_shortfall=tranche(o_fsh),
            active_rule=o_rule.T.copy(),
            triggers=np.ascontiguousarray(o_trig.transpose(2, 0, 1)),
            **{k: v.T.copy() for k, v in deal.items()},
        )

    def _allocate(self, rid: int, PDA: F, bal: F, S: F, unscheduled: F, period: int) -> F:
        """Principal paid per tranche under rule ``rid`` (balances not changed)."""
        if rid == RULE_IDS["sequential"]:
            return allocate_sequential(PDA, bal)
        if rid == RULE_IDS["pro_rata"]:
            share = bal * np.divide(PDA, S, out=np.zeros_like(S), where=S > 0)[None, :]
            share = np.minimum(share, bal)
            rest = np.maximum(0.0, PDA - share.sum(0))
            return share + allocate_sequential(rest, bal - share)
        if rid == RULE_IDS["shifting_interest"]:
            sp = self.params.shifting
            if sp is None:
                raise WaterfallError("shifting interest without its parameters")
            k = sp.senior_count
            SB = bal[:k].sum(0)
            U = np.minimum(PDA, unscheduled)
            Sch = PDA - U
            shift = sp.shift(period) / float(RATE_SCALE)
            ok = S > 0
            frac = np.divide(SB, S, out=np.zeros_like(S), where=ok)
            senior = np.minimum(SB, Sch * frac + U * (frac + shift * (1.0 - frac)))
            out = np.zeros_like(bal)
            out[:k] = allocate_sequential(senior, bal[:k])
            left = PDA - out[:k].sum(0)
            out[k:] = allocate_sequential(left, bal[k:])
            left = np.maximum(0.0, left - out[k:].sum(0))
            out[:k] += allocate_sequential(left, bal[:k] - out[:k])
            return out
        raise WaterfallError(f"unknown principal rule id {rid} ({RULE_NAMES.get(rid, '?')})")

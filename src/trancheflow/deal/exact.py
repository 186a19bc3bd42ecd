"""Exact waterfall: Python integers in token units, to the letter of docs/waterfall.md.

This is the reference the on-chain ``Deal`` contract is tested against, unit
for unit: every division rounds down and every remainder ends in the
residual. :meth:`ExactWaterfall.run_period` is pure: it copies the state it
is given and returns the new state inside the :class:`PeriodResult`.

Examples
--------
>>> from trancheflow.deal.params import WaterfallParams
>>> params = WaterfallParams(tranche_balances=(600, 400), coupons=(60_000_000, 90_000_000))
>>> wf = ExactWaterfall(params)
>>> state = wf.initial_state(1_000)
>>> r = wf.run_period(state, PeriodInput(interest=8, scheduled_principal=10, prepayments=5,
...                                      recoveries=0, losses=0, delinquent_60_plus=0))
>>> [(t.interest_paid, t.principal_paid, t.ending_balance) for t in r.tranches]
[(3, 15, 585), (3, 0, 400)]
>>> r.residual, r.cash_in == r.cash_out
(2, True)
>>> state.pool_balance, r.state.pool_balance   # the input state is untouched
(1000, 985)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from trancheflow.deal.params import (
    NO_RULE,
    RATE_SCALE,
    RULE_IDS,
    RULE_NAMES,
    WaterfallParams,
)
from trancheflow.deal.spec import DealSpec
from trancheflow.errors import WaterfallError

__all__ = [
    "DealState",
    "ExactWaterfall",
    "FeeFlows",
    "PeriodInput",
    "PeriodResult",
    "TrancheFlows",
    "mdiv",
]

_MONTHLY = 12 * RATE_SCALE


def mdiv(x: int, rate: int) -> int:
    """One month of 30/360 accrual: ``floor(x * rate / (12 * RATE_SCALE))``."""
    return x * rate // _MONTHLY


@dataclass(frozen=True)
class PeriodInput:
    """One servicer report, in token units (all non-negative integers).

    ``indices`` maps an index name to its rate x ``RATE_SCALE`` for the period
    (only deals with floating coupons read it). ``insurance_available`` is what
    the first-loss fund can pay this period, ``min(fund assets, cap)`` as the
    contract reads it when the period is finalized (0 without a fund); the
    waterfall further caps it at the params' ``insurance_cap`` when one is set.

    The two integration faults of docs/waterfall.md ("Integration faults")
    are inputs too, as the contract observes them at finalize:
    ``cover_refused`` (the fund's cover could not be pulled: no cover, the
    loss is written down) and ``premium_refused`` (the premium could not be
    pushed: it stays owed to the fund, ``DealState.premium_owed``). Auction
    proceeds that could not be taken are simply not in ``recoveries``.
    """

    interest: int
    scheduled_principal: int
    prepayments: int
    recoveries: int
    losses: int
    delinquent_60_plus: int = 0
    indices: Mapping[str, int] = field(default_factory=dict)
    insurance_available: int = 0
    cover_refused: bool = False
    premium_refused: bool = False

    @property
    def cash(self) -> int:
        """Cash deposited: interest + scheduled principal + prepayments + recoveries."""
        return self.interest + self.scheduled_principal + self.prepayments + self.recoveries


@dataclass
class DealState:
    """State carried between periods (docs/waterfall.md, "State")."""

    period: int
    pool_balance: int
    original_pool_balance: int
    balances: list[int]
    originals: tuple[int, ...]
    interest_shortfall: list[int]
    fee_shortfall: list[int]
    reserve: int
    cumulative_loss: int
    breached: list[bool]
    #: Premium paid by the waterfall that could not be pushed to the fund
    #: (held by the deal, pushed with the next premium).
    premium_owed: int = 0

    def copy(self) -> DealState:
        """A deep copy (lists copied)."""
        return replace(
            self,
            balances=list(self.balances),
            interest_shortfall=list(self.interest_shortfall),
            fee_shortfall=list(self.fee_shortfall),
            breached=list(self.breached),
        )

    @property
    def retired(self) -> bool:
        """True when every tranche balance is zero."""
        return not any(self.balances)


@dataclass(frozen=True)
class TrancheFlows:
    """One tranche in one period (amounts in units; ``coupon`` x ``RATE_SCALE``)."""

    name: str
    beginning_balance: int
    coupon: int
    interest_due: int
    interest_paid: int
    interest_shortfall: int
    accreted: int
    principal_paid: int
    writedown: int
    interest_forgiven: int
    ending_balance: int

    @property
    def cash_flow(self) -> int:
        """Cash paid to holders: interest paid + principal paid."""
        return self.interest_paid + self.principal_paid


@dataclass(frozen=True)
class FeeFlows:
    """One fee in one period."""

    name: str
    due: int
    paid: int
    shortfall: int


@dataclass(frozen=True)
class PeriodResult:
    """Everything one period did; ``state`` is the state after it.

    ``insurance_premium`` is paid to the first-loss fund (step 3b),
    ``insurance_cover`` paid in by it (step 5); conservation reads
    ``cash_in + insurance_cover == cash_out``.
    """

    period: int
    cash_in: int
    pool_beginning: int
    pool_ending: int
    tranches: tuple[TrancheFlows, ...]
    fees: tuple[FeeFlows, ...]
    reserve_beginning: int
    reserve_draw: int
    reserve_topup: int
    reserve_release: int
    reserve_balance: int
    turbo: int
    principal_distribution: int
    principal_leftover: int
    residual: int
    triggers: tuple[bool, ...]
    active_rule: str
    state: DealState
    insurance_premium: int = 0
    insurance_cover: int = 0
    #: Premium actually pushed to the fund this period (this period's plus
    #: any owed), 0 when the push was refused.
    premium_pushed: int = 0

    @property
    def cash_out(self) -> int:
        """Fees + interest + insurance premium + principal paid + residual + reserve change."""
        return (
            sum(f.paid for f in self.fees)
            + self.insurance_premium
            + sum(t.interest_paid + t.principal_paid for t in self.tranches)
            + self.residual
            + self.reserve_balance
            - self.reserve_beginning
        )

    def tranche(self, name: str) -> TrancheFlows:
        """The flows of tranche ``name``."""
        for t in self.tranches:
            if t.name == name:
                return t
        raise KeyError(name)


def _check_input(inp: PeriodInput, pool: int, period: int) -> None:
    for name in (
        "interest",
        "scheduled_principal",
        "prepayments",
        "recoveries",
        "losses",
        "delinquent_60_plus",
        "insurance_available",
    ):
        v = getattr(inp, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise WaterfallError(f"period {period}: {name} = {v!r} must be a non-negative integer")
    out = inp.scheduled_principal + inp.prepayments + inp.recoveries + inp.losses
    if out > pool:
        raise WaterfallError(
            f"period {period}: scheduled_principal + prepayments + recoveries + losses = {out} "
            f"exceeds the pool balance {pool}"
        )


def _breach(direction: int, threshold: int, num: int, den: int, *, no_den_is_inf: bool) -> bool:
    """Compare ``num/den`` with ``threshold / RATE_SCALE`` by cross-multiplication.

    When ``den == 0`` the metric is infinite (``no_den_is_inf``: above breaches,
    below never does) or zero.
    """
    if den == 0:
        if no_den_is_inf:
            return direction == 0
        return direction == 1 and threshold > 0
    lhs, rhs = num * RATE_SCALE, threshold * den
    return lhs > rhs if direction == 0 else lhs < rhs


def _pay_sequential(amount: int, balances: list[int], paid: list[int], order: Sequence[int]) -> int:
    """Pay ``amount`` to ``order`` in turn, each up to its balance; return what is left."""
    for i in order:
        if amount == 0:
            break
        x = min(amount, balances[i])
        balances[i] -= x
        paid[i] += x
        amount -= x
    return amount


class ExactWaterfall:
    """The integer waterfall of ``docs/waterfall.md``.

    Parameters
    ----------
    params : OnchainParams, WaterfallParams or DealSpec
        The deal. A spec is scaled with :meth:`WaterfallParams.from_spec`.
    """

    def __init__(self, params: object) -> None:
        from trancheflow.deal.onchain import OnchainParams

        if isinstance(params, DealSpec):
            params = WaterfallParams.from_spec(params)
        elif isinstance(params, OnchainParams):
            params = params.to_waterfall_params()
        if not isinstance(params, WaterfallParams):
            raise TypeError("ExactWaterfall needs OnchainParams, WaterfallParams or a DealSpec")
        self.params: WaterfallParams = params

    # ------------------------------------------------------------ state
    def initial_state(self, pool_balance_units: int | None = None) -> DealState:
        """State at closing: tranches at original face, nothing owed, empty reserve."""
        p = self.params
        pool = p.pool_balance if pool_balance_units is None else pool_balance_units
        if pool <= 0 and pool_balance_units is None:
            raise WaterfallError("the pool balance at closing is unknown; pass pool_balance_units")
        return DealState(
            period=0,
            pool_balance=pool,
            original_pool_balance=pool,
            balances=list(p.tranche_balances),
            originals=tuple(p.tranche_balances),
            interest_shortfall=[0] * p.n_tranches,
            fee_shortfall=[0] * len(p.fee_rates),
            reserve=0,
            cumulative_loss=0,
            breached=[False] * len(p.triggers),
        )

    def coupon(self, i: int, inp: PeriodInput, pool_start: int) -> int:
        """Coupon of tranche ``i`` for the period (floating, WAC cap applied)."""
        p = self.params
        fl = p.floating[i]
        if fl is None:
            c = p.coupons[i]
        else:
            if fl.index not in inp.indices:
                raise WaterfallError(
                    f"tranche {p.names[i]}: the period input has no rate for index {fl.index!r}"
                )
            c = fl.coupon(inp.indices[fl.index])
        if p.wac_cap[i]:
            wac = inp.interest * _MONTHLY // pool_start if pool_start else 0
            c = min(c, wac)
        return c

    # ------------------------------------------------------------ period
    def run_period(self, state: DealState, inp: PeriodInput) -> PeriodResult:
        """Run one period on a copy of ``state``; the new state is ``result.state``."""
        p = self.params
        n = p.n_tranches
        s = state.copy()
        t_no = s.period + 1
        _check_input(inp, s.pool_balance, t_no)
        P0 = s.pool_balance
        B0 = list(s.balances)
        reserve0 = s.reserve

        # 1. collections
        IA = inp.interest
        PA = inp.scheduled_principal + inp.prepayments + inp.recoveries
        P1 = P0 - PA - inp.losses
        s.cumulative_loss += inp.losses

        # 2. fees
        fees = []
        for j in range(len(p.fee_rates)):
            fdue = mdiv(P0, p.fee_rates[j]) + p.fee_amounts[j] + s.fee_shortfall[j]
            paid = min(fdue, IA)
            IA -= paid
            s.fee_shortfall[j] = fdue - paid
            fees.append(FeeFlows(p.fee_names[j], fdue, paid, fdue - paid))

        # 3. interest
        coupons = [self.coupon(i, inp, P0) for i in range(n)]
        due = [0] * n
        ipaid = [0] * n
        accreted = [0] * n
        draw_total = 0
        for i in range(n):
            c = coupons[i]
            sh = s.interest_shortfall[i]
            d = mdiv(B0[i], c) + mdiv(sh, c) + sh
            due[i] = d
            if p.accrual[i] and any(B0[k] > 0 for k in range(i)):
                a = min(d, IA)
                IA -= a
                PA += a
                s.balances[i] += a
                accreted[i] = a
                s.interest_shortfall[i] = d - a
            else:
                x = min(d, IA)
                IA -= x
                if d > x:
                    dr = min(d - x, s.reserve)
                    s.reserve -= dr
                    draw_total += dr
                    x += dr
                ipaid[i] = x
                s.interest_shortfall[i] = d - x

        # 3b. insurance premium (not carried forward when unpaid); a push the
        # fund refuses leaves it (and any earlier one) owed to the fund
        premium = min(mdiv(P0, p.insurance_premium_rate), IA)
        IA -= premium
        due_premium = s.premium_owed + premium
        if inp.premium_refused:
            s.premium_owed, pushed = due_premium, 0
        else:
            s.premium_owed, pushed = 0, due_premium

        # 4. triggers (sticky)
        sum_b0 = sum(B0)
        sum_due = sum(due)
        for k, tr in enumerate(p.triggers):
            if s.breached[k]:
                continue
            if tr.metric == 0:
                hit = _breach(
                    tr.direction,
                    tr.threshold,
                    s.cumulative_loss,
                    s.original_pool_balance,
                    no_den_is_inf=True,
                )
            elif tr.metric == 1:
                hit = _breach(
                    tr.direction, tr.threshold, inp.delinquent_60_plus, P1, no_den_is_inf=False
                )
            elif tr.metric == 2:
                hit = _breach(tr.direction, tr.threshold, P0, sum_b0, no_den_is_inf=True)
            elif tr.metric == 3:
                hit = _breach(tr.direction, tr.threshold, inp.interest, sum_due, no_den_is_inf=True)
            else:
                raise WaterfallError(f"trigger {p.trigger_names[k]}: unknown metric id {tr.metric}")
            s.breached[k] = hit
        rule = p.principal_rule
        for k, tr in enumerate(p.triggers):
            if s.breached[k] and tr.then_rule != NO_RULE:
                rule = tr.then_rule

        # 5. principal distribution amount
        S = sum(s.balances)
        OCT = P1 * p.oc_target // RATE_SCALE
        deficiency = max(0, S - PA - max(0, P1 - OCT))
        turbo = min(IA, deficiency)
        IA -= turbo
        available = inp.insurance_available
        if p.insurance_cap:
            available = min(available, p.insurance_cap)
        # The fund covers only what would be written down (tranches above the
        # pool after principal), never the overcollateralization build-up.
        loss_gap = max(0, S - PA - turbo - P1)
        cover = 0 if inp.cover_refused else min(loss_gap, available)
        PDA = min(PA + turbo + cover, S)
        leftover = PA + turbo + cover - PDA

        # 6. principal allocation
        ppaid = [0] * n
        bal = s.balances
        if rule == RULE_IDS["sequential"]:
            _pay_sequential(PDA, bal, ppaid, range(n))
        elif rule == RULE_IDS["pro_rata"]:
            rest = PDA
            if S > 0:
                for i in range(n):
                    share = min(PDA * bal[i] // S, bal[i])
                    bal[i] -= share
                    ppaid[i] += share
                    rest -= share
            _pay_sequential(rest, bal, ppaid, range(n))
        elif rule == RULE_IDS["shifting_interest"]:
            sp = p.shifting
            assert sp is not None
            m = sp.senior_count
            SB = sum(bal[:m])
            senior = 0
            if S > 0:
                U = min(PDA, inp.prepayments + inp.recoveries)
                Sch = PDA - U
                shift = sp.shift(t_no)
                senior = Sch * SB // S + U * (SB * RATE_SCALE + shift * (S - SB)) // (
                    S * RATE_SCALE
                )
                senior = min(SB, senior)
            left = _pay_sequential(senior, bal, ppaid, range(m))
            left += PDA - senior
            left = _pay_sequential(left, bal, ppaid, range(m, n))
            _pay_sequential(left, bal, ppaid, range(m))
        else:
            raise WaterfallError(f"unknown principal rule id {rule}")

        # 7. writedowns, junior first
        wd = [0] * n
        forgiven = [0] * n
        excess = max(0, sum(bal) - P1)
        for i in reversed(range(n)):
            if excess == 0:
                break
            x = min(excess, bal[i])
            bal[i] -= x
            wd[i] = x
            excess -= x
        for i in range(n):
            if wd[i] and bal[i] == 0 and s.interest_shortfall[i]:
                forgiven[i] = s.interest_shortfall[i]
                s.interest_shortfall[i] = 0

        # 8. reserve
        target = 0 if not any(bal) else max(P1 * p.reserve_target // RATE_SCALE, p.reserve_floor)
        topup = min(IA, max(0, target - s.reserve))
        IA -= topup
        s.reserve += topup
        release = max(0, s.reserve - target)
        s.reserve -= release

        # 9. residual; 10. advance
        residual = IA + release + leftover
        s.pool_balance = P1
        s.period = t_no

        tranches = tuple(
            TrancheFlows(
                name=p.names[i],
                beginning_balance=B0[i],
                coupon=coupons[i],
                interest_due=due[i],
                interest_paid=ipaid[i],
                interest_shortfall=s.interest_shortfall[i],
                accreted=accreted[i],
                principal_paid=ppaid[i],
                writedown=wd[i],
                interest_forgiven=forgiven[i],
                ending_balance=bal[i],
            )
            for i in range(n)
        )
        return PeriodResult(
            period=t_no,
            cash_in=inp.cash,
            pool_beginning=P0,
            pool_ending=P1,
            tranches=tranches,
            fees=tuple(fees),
            reserve_beginning=reserve0,
            reserve_draw=draw_total,
            reserve_topup=topup,
            reserve_release=release,
            reserve_balance=s.reserve,
            turbo=turbo,
            principal_distribution=PDA,
            principal_leftover=leftover,
            residual=residual,
            triggers=tuple(s.breached),
            active_rule=RULE_NAMES[rule],
            state=s,
            insurance_premium=premium,
            insurance_cover=cover,
            premium_pushed=pushed,
        )

    def run(
        self, inputs: Sequence[PeriodInput], state: DealState | int | None = None
    ) -> list[PeriodResult]:
        """Run ``inputs`` in order from ``state`` (a state, a closing pool balance
        in units, or None for the params' pool balance); one result per period."""
        if not isinstance(state, DealState):
            state = self.initial_state(state)
        out = []
        for inp in inputs:
            r = self.run_period(state, inp)
            out.append(r)
            state = r.state
        return out

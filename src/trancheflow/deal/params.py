"""Integer waterfall parameters: the form both executions (exact, float) run from.

A :class:`WaterfallParams` is a deal spec turned into numbers at the
contract's scales: amounts in token units, rates times ``RATE_SCALE``. It is a
superset of :class:`~trancheflow.deal.onchain.OnchainParams` (shifting
interest, fixed-amount fees, floating coupons and WAC caps are float/exact
only). See ``docs/waterfall.md`` for the meaning of every field.

Examples
--------
>>> to_units(194_500_000, 6), scale_rate(0.075)
(194500000000000, 75000000)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR

from trancheflow.deal.spec import DealSpec, FloatingCoupon, ShiftingInterest, exact_decimal
from trancheflow.units import to_units  # the one money -> units conversion

__all__ = [
    "DIRECTIONS",
    "METRIC_IDS",
    "NO_RULE",
    "RATE_SCALE",
    "RULE_IDS",
    "RULE_NAMES",
    "FloatingParams",
    "ShiftingParams",
    "TriggerParams",
    "WaterfallParams",
    "scale_rate",
    "to_units",
]

#: Rates are integers scaled by this (0.075 -> 75_000_000).
RATE_SCALE = 10**9
#: Principal rule ids (on-chain encoding).
RULE_IDS = {"sequential": 0, "pro_rata": 1, "shifting_interest": 2}
RULE_NAMES = {v: k for k, v in RULE_IDS.items()}
#: Trigger metric ids (on-chain encoding).
METRIC_IDS = {"cumulative_loss_pct": 0, "delinquency_60_pct": 1, "oc_ratio": 2, "ic_ratio": 3}
#: Trigger directions: 0 breaches when metric > threshold, 1 when metric < threshold.
DIRECTIONS = {"above": 0, "below": 1}
#: ``then_rule`` of a trigger that switches nothing.
NO_RULE = 255


def scale_rate(rate: float | int) -> int:
    """Decimal rate to an integer at ``RATE_SCALE``, rounding down."""
    d = exact_decimal(rate) * RATE_SCALE
    return int(d.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class TriggerParams:
    """One trigger: metric id, direction id, threshold x 1e9, then-rule id (or NO_RULE)."""

    metric: int
    direction: int
    threshold: int
    then_rule: int = NO_RULE

    def as_tuple(self) -> tuple[int, int, int, int]:
        """The on-chain tuple ``(metric, direction, threshold, then_rule)``."""
        return (self.metric, self.direction, self.threshold, self.then_rule)


@dataclass(frozen=True)
class ShiftingParams:
    """Shifting interest: senior group size, lockout and ``((start, pct x 1e9), ...)``."""

    senior_count: int
    lockout: int
    step_down: tuple[tuple[int, int], ...]

    def shift(self, period: int) -> int:
        """Shift percentage (x 1e9) for the 1-based period number ``period``."""
        if period <= self.lockout:
            return RATE_SCALE
        pct = RATE_SCALE
        for start, p in self.step_down:
            if start <= period:
                pct = p
            else:
                break
        return pct


@dataclass(frozen=True)
class FloatingParams:
    """Floating coupon: index name, margin/cap/floor x 1e9 (cap -1 when none)."""

    index: str
    margin: int
    cap: int
    floor: int

    def coupon(self, index_rate: int) -> int:
        """``max(0, min(cap, max(floor, index + margin)))`` at ``RATE_SCALE``."""
        c = max(self.floor, index_rate + self.margin)
        if self.cap >= 0:
            c = min(c, self.cap)
        return max(0, c)


@dataclass(frozen=True)
class WaterfallParams:
    """Everything a waterfall execution needs, as integers (see module doc).

    ``insurance_premium_rate`` (annual, x ``RATE_SCALE``) and ``insurance_cap``
    (cover per period in units, 0 = no cap) describe a first-loss fund; both
    0 means no fund (the premium is 0 and a run gives the fund nothing to pay).
    """

    tranche_balances: tuple[int, ...]
    coupons: tuple[int, ...]
    accrual: tuple[bool, ...] = ()
    fee_rates: tuple[int, ...] = ()
    principal_rule: int = 0
    reserve_target: int = 0
    reserve_floor: int = 0
    oc_target: int = 0
    triggers: tuple[TriggerParams, ...] = ()
    fee_amounts: tuple[int, ...] = ()
    wac_cap: tuple[bool, ...] = ()
    floating: tuple[FloatingParams | None, ...] = ()
    shifting: ShiftingParams | None = None
    decimals: int = 6
    pool_balance: int = 0
    names: tuple[str, ...] = ()
    fee_names: tuple[str, ...] = ()
    trigger_names: tuple[str, ...] = ()
    residual_name: str = "R"
    extras: dict[str, object] = field(default_factory=dict, compare=False)
    insurance_premium_rate: int = 0
    insurance_cap: int = 0

    def __post_init__(self) -> None:
        n, m = len(self.tranche_balances), len(self.fee_rates)
        fill = {
            "accrual": (False,) * n,
            "wac_cap": (False,) * n,
            "floating": (None,) * n,
            "fee_amounts": (0,) * m,
            "names": tuple(f"T{i}" for i in range(n)),
            "fee_names": tuple(f"fee{j}" for j in range(m)),
            "trigger_names": tuple(f"trigger{k}" for k in range(len(self.triggers))),
        }
        for key, default in fill.items():
            if not getattr(self, key):
                object.__setattr__(self, key, default)
        if len(self.coupons) != n or len(self.accrual) != n or len(self.names) != n:
            raise ValueError(
                "tranche_balances, coupons, accrual and names must have one entry per tranche"
            )
        if self.principal_rule == RULE_IDS["shifting_interest"] and self.shifting is None:
            raise ValueError("principal_rule shifting_interest needs shifting parameters")
        if self.insurance_premium_rate < 0 or self.insurance_cap < 0:
            raise ValueError("insurance_premium_rate and insurance_cap must be >= 0")

    @property
    def n_tranches(self) -> int:
        """Number of non-residual tranches."""
        return len(self.tranche_balances)

    @classmethod
    def from_spec(cls, spec: DealSpec) -> WaterfallParams:
        """Scale a spec: amounts to units (floored), rates to ``RATE_SCALE`` (floored)."""
        dec = spec.currency.decimals
        debt = spec.debt_tranches
        ins = spec.insurance
        coupons: list[int] = []
        floating: list[FloatingParams | None] = []
        for t in debt:
            if isinstance(t.coupon, FloatingCoupon):
                c = t.coupon
                floating.append(
                    FloatingParams(
                        index=c.index,
                        margin=scale_rate(c.margin),
                        cap=-1 if c.cap is None else scale_rate(c.cap),
                        floor=scale_rate(c.floor),
                    )
                )
                coupons.append(0)
            else:
                floating.append(None)
                coupons.append(scale_rate(t.coupon or 0.0))
        p = spec.waterfall.principal
        shifting = None
        if isinstance(p, ShiftingInterest):
            shifting = ShiftingParams(
                senior_count=len(p.senior),
                lockout=p.lockout,
                step_down=tuple((s, scale_rate(x)) for s, x in p.step_down),
            )
        triggers = tuple(
            TriggerParams(
                metric=METRIC_IDS[tr.metric],
                direction=DIRECTIONS[tr.direction],
                threshold=scale_rate(tr.threshold),
                then_rule=NO_RULE if tr.then is None else RULE_IDS[tr.then.principal],
            )
            for tr in spec.triggers
        )
        return cls(
            tranche_balances=tuple(to_units(t.balance or 0.0, dec) for t in debt),
            coupons=tuple(coupons),
            accrual=tuple(t.accrual for t in debt),
            fee_rates=tuple(scale_rate(f.rate) for f in spec.fees),
            principal_rule=RULE_IDS[spec.rule],
            reserve_target=0 if spec.reserve is None else scale_rate(spec.reserve.target),
            reserve_floor=0 if spec.reserve is None else to_units(spec.reserve.floor, dec),
            oc_target=0
            if spec.overcollateralization is None
            else scale_rate(spec.overcollateralization.target),
            triggers=triggers,
            fee_amounts=tuple(to_units(f.amount, dec) for f in spec.fees),
            wac_cap=tuple(t.wac_cap for t in debt),
            floating=tuple(floating),
            shifting=shifting,
            decimals=dec,
            pool_balance=sum(to_units(r.balance, dec) for r in spec.collateral.rep_lines or []),
            names=tuple(t.name for t in debt),
            fee_names=tuple(f.name for f in spec.fees),
            trigger_names=tuple(tr.name for tr in spec.triggers),
            residual_name=spec.residual.name,
            insurance_premium_rate=0 if ins is None else scale_rate(ins.premium_rate),
            insurance_cap=0 if ins is None else to_units(ins.cap_per_period, dec),
        )

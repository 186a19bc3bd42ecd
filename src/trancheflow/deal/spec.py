"""The deal spec: one YAML document describing a deal, validated with pydantic.

A spec names the collateral (a tape file or representative lines), the
behaviour assumptions, fees, tranches (senior first, residual last), the
principal rule, and optional reserve, overcollateralization and triggers.
Every problem is reported as a :class:`~trancheflow.errors.SpecError` naming
the key path (``tranches[2].coupon``) and the rule broken; all problems of a
document are listed at once.

Examples
--------
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-1",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 360, "wam": 360}]},
...     "tranches": [{"name": "A", "balance": 900, "coupon": 0.06},
...                  {"name": "R", "residual": True}],
... })
>>> [t.name for t in spec.tranches], spec.waterfall.rule
(['A', 'R'], 'sequential')
>>> DealSpec.model_validate({"deal": "X", "collateral": {"rep_lines": []},
...                          "tranches": [{"name": "R", "residual": True}]})
Traceback (most recent call last):
...
trancheflow.errors.SpecError: collateral: ...
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from trancheflow.errors import SpecError, TrancheflowError, YamlError
from trancheflow.units import format_money, sum_units, to_units
from trancheflow.yaml_io import load_yaml

__all__ = [
    "METRICS",
    "PRINCIPAL_RULES",
    "AssumptionsSpec",
    "CollateralSpec",
    "Currency",
    "DealSpec",
    "FeeSpec",
    "FloatingCoupon",
    "InsuranceSpec",
    "OvercollateralizationSpec",
    "RepLineSpec",
    "ReserveSpec",
    "ShiftingInterest",
    "TrancheSpec",
    "TriggerSpec",
    "WaterfallSpec",
    "load_spec",
    "parse_spec",
]

#: Largest amount of money a spec may state, in currency (ten trillion: more than the
#: whole agency MBS market; a bigger number is a typo or a unit mistake).
MAX_AMOUNT = 1e13
#: Principal rules a deal or a trigger may name.
PRINCIPAL_RULES = ("sequential", "pro_rata", "shifting_interest")
#: Trigger metrics (see docs/waterfall.md, step 4).
METRICS = ("cumulative_loss_pct", "delinquency_60_pct", "oc_ratio", "ic_ratio")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Currency(_Model):
    """Settlement token: ``symbol`` and ``decimals`` (units per 1 = 10**decimals)."""

    symbol: str = "USDC"
    decimals: int = Field(6, ge=0, le=18)


class RepLineSpec(_Model):
    """A representative collateral line (balance in currency, rates as decimals)."""

    balance: float = Field(gt=0, le=MAX_AMOUNT)
    gross_rate: float = Field(ge=0, lt=1)
    net_rate: float = Field(ge=0, lt=1)
    term: int = Field(gt=0, le=600)
    wam: int = Field(gt=0, le=600)
    wala: int = Field(0, ge=0, le=600)

    @model_validator(mode="after")
    def _rates(self) -> RepLineSpec:
        if self.net_rate > self.gross_rate:
            raise PydanticCustomError("rule", "net_rate must not exceed gross_rate")
        return self


class CollateralSpec(_Model):
    """Collateral: ``tape`` (path relative to the spec file) or ``rep_lines``."""

    tape: str | None = None
    rep_lines: list[RepLineSpec] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CollateralSpec:
        if (self.tape is None) == (self.rep_lines is None):
            raise PydanticCustomError("rule", "give exactly one of 'tape' or 'rep_lines'")
        if self.rep_lines is not None and not self.rep_lines:
            raise PydanticCustomError("rule", "rep_lines must not be empty")
        return self

    @property
    def balance(self) -> float | None:
        """Total rep-line balance, or None when the collateral is a tape."""
        return None if self.rep_lines is None else sum(r.balance for r in self.rep_lines)


class AssumptionsSpec(_Model):
    """Collateral behaviour, in market notation (``PSA 165``, ``SDA 100``, ``CPR 6``)."""

    prepay: str = "PSA 100"
    default: str = "SDA 0"
    severity: float = Field(0.35, ge=0, le=1)
    recovery_lag: int = Field(12, ge=0, le=120)
    advance: bool = True


_Rate = Annotated[float, Field(ge=0, lt=1)]


class FloatingCoupon(_Model):
    """A floating coupon: ``min(cap, max(floor, index + margin))``, at least 0."""

    index: str = Field(min_length=1)
    margin: float = Field(ge=-1, le=1)
    cap: _Rate | None = None
    floor: _Rate = 0.0

    @model_validator(mode="after")
    def _cap_floor(self) -> FloatingCoupon:
        if self.cap is not None and self.cap < self.floor:
            raise PydanticCustomError("rule", "cap must not be below floor")
        return self


def _coupon_kind(v: Any) -> str:
    return "floating-coupon" if isinstance(v, dict | FloatingCoupon) else "fixed-coupon"


Coupon = Annotated[
    Annotated[_Rate, Tag("fixed-coupon")] | Annotated[FloatingCoupon, Tag("floating-coupon")],
    Discriminator(_coupon_kind),
]


class TrancheSpec(_Model):
    """A tranche. Non-residual tranches need ``balance`` and ``coupon``."""

    name: str = Field(min_length=1, max_length=32)
    balance: float | None = Field(None, gt=0, le=MAX_AMOUNT)
    coupon: Coupon | None = None
    accrual: bool = False
    wac_cap: bool = False
    residual: bool = False

    @model_validator(mode="after")
    def _shape(self) -> TrancheSpec:
        if self.residual:
            extra = [
                k
                for k, bad in (
                    ("balance", self.balance is not None),
                    ("coupon", self.coupon is not None),
                    ("accrual", self.accrual),
                    ("wac_cap", self.wac_cap),
                )
                if bad
            ]
            if extra:
                raise PydanticCustomError(
                    "rule", "the residual tranche takes no {keys}", {"keys": ", ".join(extra)}
                )
        else:
            if self.balance is None:
                raise PydanticCustomError("rule", "a non-residual tranche needs a balance")
            if self.coupon is None:
                raise PydanticCustomError("rule", "a non-residual tranche needs a coupon")
        return self

    @property
    def floating(self) -> bool:
        """True when the coupon floats over an index."""
        return isinstance(self.coupon, FloatingCoupon)


class FeeSpec(_Model):
    """A senior fee: ``rate`` per annum on the pool balance and/or a monthly ``amount``."""

    name: str = Field(min_length=1, max_length=32)
    rate: _Rate = 0.0
    amount: float = Field(0.0, ge=0, le=MAX_AMOUNT)
    basis: Literal["pool_balance"] = "pool_balance"

    @model_validator(mode="after")
    def _something(self) -> FeeSpec:
        if self.rate == 0 and self.amount == 0:
            raise PydanticCustomError("rule", "a fee needs a rate or an amount")
        return self


class ShiftingInterest(_Model):
    """Shifting-interest principal: the senior group gets its pro-rata share of
    scheduled principal and a stepped-down share of prepayments (docs/waterfall.md)."""

    rule: Literal["shifting_interest"]
    senior: list[str] = Field(min_length=1)
    lockout: int = Field(60, ge=0, le=600)
    step_down: list[tuple[int, Annotated[float, Field(ge=0, le=1)]]] = Field(
        default_factory=lambda: [(61, 0.7), (73, 0.6), (85, 0.4), (97, 0.2), (109, 0.0)]
    )

    @field_validator("step_down")
    @classmethod
    def _increasing(cls, v: list[tuple[int, float]]) -> list[tuple[int, float]]:
        starts = [s for s, _ in v]
        if any(b <= a for a, b in itertools.pairwise(starts)) or any(s < 1 for s in starts):
            raise PydanticCustomError("rule", "step_down periods must be >= 1 and increasing")
        return v


def _rule_kind(v: Any) -> str:
    return "shifting-rule" if isinstance(v, dict | ShiftingInterest) else "simple-rule"


PrincipalRule = Annotated[
    Annotated[Literal["sequential", "pro_rata"], Tag("simple-rule")]
    | Annotated[ShiftingInterest, Tag("shifting-rule")],
    Discriminator(_rule_kind),
]


class WaterfallSpec(_Model):
    """Principal rule and loss allocation."""

    principal: PrincipalRule = "sequential"
    losses: Literal["reverse_seniority"] = "reverse_seniority"

    @property
    def rule(self) -> str:
        """The principal rule's name."""
        p = self.principal
        return p.rule if isinstance(p, ShiftingInterest) else p


class ReserveSpec(_Model):
    """Reserve fund: target as a fraction of the pool balance, floor in currency."""

    target: _Rate
    floor: float = Field(0.0, ge=0, le=MAX_AMOUNT)


class InsuranceSpec(_Model):
    """First-loss insurance fund (docs/waterfall.md, steps 3b and 5).

    ``premium_rate`` is an annual rate on the pool balance, paid monthly after
    tranche interest (like a fee, never carried forward when unpaid);
    ``cap_per_period`` caps the fund's cover in one period, in currency
    (0 means no cap).
    """

    premium_rate: _Rate = 0.0
    cap_per_period: float = Field(0.0, ge=0, le=MAX_AMOUNT)


class OvercollateralizationSpec(_Model):
    """OC target as a fraction of the current pool balance."""

    target: _Rate


class TriggerThen(_Model):
    """What a breached trigger switches."""

    principal: Literal["sequential", "pro_rata"]


class TriggerSpec(_Model):
    """A sticky trigger: ``metric`` ``above``/``below`` a threshold."""

    name: str = Field(min_length=1, max_length=32)
    metric: Literal["cumulative_loss_pct", "delinquency_60_pct", "oc_ratio", "ic_ratio"]
    above: float | None = Field(None, ge=0, le=1000)
    below: float | None = Field(None, ge=0, le=1000)
    then: TriggerThen | None = None

    @model_validator(mode="after")
    def _one_side(self) -> TriggerSpec:
        if (self.above is None) == (self.below is None):
            raise PydanticCustomError("rule", "give exactly one of 'above' or 'below'")
        return self

    @property
    def direction(self) -> str:
        """``"above"`` or ``"below"``."""
        return "above" if self.above is not None else "below"

    @property
    def threshold(self) -> float:
        """The threshold value."""
        return self.above if self.above is not None else self.below  # type: ignore[return-value]


IndexPath = float | list[float]


class DealSpec(_Model):
    """A whole deal. Validate with :meth:`model_validate` or :func:`load_spec`.

    ``indices`` holds the index paths floating coupons read (``{SOFR: 0.043}``
    or a monthly vector); :func:`~trancheflow.deal.run.run_deal` may override
    them per scenario.
    """

    deal: str = Field(min_length=1, max_length=64)
    currency: Currency = Field(default_factory=lambda: Currency.model_validate({}))
    collateral: CollateralSpec
    assumptions: AssumptionsSpec = Field(default_factory=lambda: AssumptionsSpec.model_validate({}))
    fees: list[FeeSpec] = Field(default_factory=list)
    tranches: list[TrancheSpec] = Field(min_length=1)
    waterfall: WaterfallSpec = Field(default_factory=WaterfallSpec)
    reserve: ReserveSpec | None = None
    overcollateralization: OvercollateralizationSpec | None = None
    triggers: list[TriggerSpec] = Field(default_factory=list)
    indices: dict[str, IndexPath] = Field(default_factory=dict)
    insurance: InsuranceSpec | None = None
    payment_delay_days: int | str | None = Field(
        None,
        description="actual payment delay in days, or a program (FNMA, UMBS, GNMA_I, GNMA_II, "
        "FHLMC_GOLD, FHLMC_NON_GOLD); default 24 (see trancheflow.analytics.conventions)",
    )

    @field_validator("payment_delay_days")
    @classmethod
    def _delay(cls, v: int | str | None) -> int | str | None:
        from trancheflow.analytics.conventions import payment_delay_days

        if v is not None:
            payment_delay_days(v)
        return v

    @model_validator(mode="after")
    def _rules(self) -> DealSpec:
        problems = _cross_checks(self)
        if problems:
            raise PydanticCustomError(
                "deal_rules",
                "{count} deal rule(s) broken",
                {"count": len(problems), "problems": problems},
            )
        return self

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> DealSpec:
        """Validate ``obj``; raise :class:`SpecError` listing every problem."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise spec_error(exc) from None

    # ----------------------------------------------------------- accessors
    @property
    def debt_tranches(self) -> list[TrancheSpec]:
        """The non-residual tranches, senior first."""
        return [t for t in self.tranches if not t.residual]

    @property
    def residual(self) -> TrancheSpec:
        """The residual tranche."""
        return self.tranches[-1]

    @property
    def delay_days(self) -> int:
        """The deal's actual payment delay in days (``payment_delay_days`` or the default)."""
        from trancheflow.analytics.conventions import payment_delay_days

        return payment_delay_days(self.payment_delay_days)

    @property
    def rule(self) -> str:
        """The base principal rule's name."""
        return self.waterfall.rule


def _cross_checks(spec: DealSpec) -> list[list[str]]:
    """Rules spanning several keys: ``[[path, message], ...]``."""
    out: list[list[str]] = []
    names = [t.name for t in spec.tranches]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            out.append(
                [f"tranches[{i}].name", f"duplicate tranche name {n!r} (also tranches[{seen[n]}])"]
            )
        seen.setdefault(n, i)
    fee_seen: set[str] = set()
    for j, f in enumerate(spec.fees):
        if f.name in fee_seen:
            out.append([f"fees[{j}].name", f"duplicate fee name {f.name!r}"])
        fee_seen.add(f.name)
    residuals = [i for i, t in enumerate(spec.tranches) if t.residual]
    if not residuals:
        out.append(
            ["tranches", "exactly one residual tranche (residual: true) is required; none given"]
        )
    for i in residuals[1:]:
        out.append([f"tranches[{i}].residual", "only one residual tranche is allowed"])
    if residuals and residuals[0] != len(spec.tranches) - 1:
        out.append(
            [f"tranches[{residuals[0]}].residual", "the residual tranche must be listed last"]
        )
    if not spec.debt_tranches:
        out.append(["tranches", "at least one non-residual tranche is required"])
    pool = spec.collateral.balance
    total = sum(t.balance or 0.0 for t in spec.debt_tranches)
    if pool is not None and total > pool * (1 + 1e-12):
        out.append(
            [
                "tranches",
                f"tranche balances total {total:,.2f}, above the collateral balance {pool:,.2f}",
            ]
        )
    if spec.reserve is not None and pool is not None and spec.reserve.floor > pool:
        out.append(
            [
                "reserve.floor",
                f"reserve floor {spec.reserve.floor:,.2f} is above the collateral balance "
                f"{pool:,.2f}; the reserve could never reach it",
            ]
        )
    p = spec.waterfall.principal
    if isinstance(p, ShiftingInterest):
        debt = [t.name for t in spec.debt_tranches]
        for k, s in enumerate(p.senior):
            if s not in debt:
                out.append([f"waterfall.principal.senior[{k}]", f"unknown tranche {s!r}"])
        if all(s in debt for s in p.senior) and p.senior != debt[: len(p.senior)]:
            out.append(
                [
                    "waterfall.principal.senior",
                    "the senior group must be the most senior tranches, in order",
                ]
            )
        if len(p.senior) >= len(debt):
            out.append(
                ["waterfall.principal.senior", "shifting interest needs a subordinate tranche"]
            )
    for name, path in spec.indices.items():
        vals = path if isinstance(path, list) else [path]
        if not vals or any(not (-0.5 < v < 1) for v in vals):
            out.append([f"indices.{name}", "index rates must be decimals in (-0.5, 1), not empty"])
    return out


# ------------------------------------------------------------------- errors
def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "-" in part or "[" in part:  # union tags, never field names
            continue
        else:
            out += f".{part}" if out else part
    return out


def spec_error(exc: ValidationError, file: str | None = None) -> SpecError:
    """Turn a pydantic ``ValidationError`` into one :class:`SpecError` listing all problems."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        if err["type"] == "deal_rules":
            problems.extend((p, m) for p, m in ctx["problems"])
            continue
        path = _path(tuple(err["loc"]))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the deal spec)"
        elif (
            "input" in err
            and err["type"] not in {"missing"}
            and not isinstance(err["input"], dict | list)
        ):
            msg = f"{msg} (got {err['input']!r})"
        problems.append((path, msg))
    return problems_error(problems, file=file, head="problems in the deal spec")


def problems_error(
    problems: list[tuple[str, str]], *, file: str | None = None, head: str = "problems"
) -> SpecError:
    """One :class:`SpecError` for ``[(path, message), ...]``; ``.problems`` keeps the list."""
    first = problems[0][0] if problems else None
    if len(problems) == 1:
        err = SpecError(problems[0][1], path=first or None, file=file)
    else:
        lines = [f"{len(problems)} {head}:"]
        lines += [f"  - {p or '<root>'}: {m}" for p, m in problems]
        err = SpecError("\n".join(lines), path=None, file=file)
        err.path = first
    err.problems = list(problems)  # type: ignore[attr-defined]
    return err


# ------------------------------------------------------------------ loading
def parse_spec(data: Any, *, file: str | None = None, onchain: bool = False) -> DealSpec:
    """Validate a parsed document; errors name ``file`` and key paths."""
    if not isinstance(data, dict):
        raise SpecError("a deal spec must be a mapping at the top level", file=file)
    try:
        spec: DealSpec = DealSpec.__pydantic_validator__.validate_python(data)
    except ValidationError as exc:
        raise spec_error(exc, file=file) from None
    if onchain:
        from trancheflow.deal.onchain import onchain_problems

        problems = onchain_problems(spec)
        if problems:
            raise problems_error(problems, file=file, head="not executable on-chain")
    return spec


def load_spec(path: str | Path, *, onchain: bool = False) -> DealSpec:
    """Read and validate a deal spec YAML file.

    Parameters
    ----------
    path : str or Path
        The spec file; a collateral ``tape`` path is resolved against its folder.
    onchain : bool
        Also reject what the on-chain waterfall cannot execute.

    Returns
    -------
    DealSpec
        The validated spec, with ``collateral.tape`` made absolute.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the deal spec: {exc.strerror}", file=str(p)) from None
    try:
        data = load_yaml(text, str(p))
    except YamlError as exc:
        raise SpecError(str(exc)) from None
    if isinstance(data, dict) and isinstance(data.get("collateral"), dict):
        tape = data["collateral"].get("tape")
        if isinstance(tape, str) and not Path(tape).is_absolute():
            data["collateral"] = {**data["collateral"], "tape": str((p.parent / tape).resolve())}
    spec = parse_spec(data, file=str(p), onchain=onchain)
    dec = spec.currency.decimals
    tape_units = _tape_units(spec.collateral.tape, dec)
    debt_units = sum(to_units(t.balance or 0, dec) for t in spec.debt_tranches)
    if tape_units is not None and debt_units > tape_units:
        raise SpecError(
            f"tranche balances total {format_money(debt_units, dec, dec)}, above the tape's "
            f"current balance {format_money(tape_units, dec, dec)}",
            path="tranches",
            file=str(p),
        )
    return spec


def _tape_units(tape: str | None, decimals: int) -> int | None:
    """A tape's ``current_balance`` in units (:func:`~trancheflow.units.sum_units`) when
    the file can be read cheaply, else None."""
    if tape is None or not Path(tape).is_file():
        return None
    import pandas as pd

    try:
        if tape.lower().endswith(".parquet"):
            col = pd.read_parquet(tape, columns=["current_balance"])["current_balance"]
        else:
            col = pd.read_csv(tape, usecols=["current_balance"])["current_balance"]
        return sum_units(pd.to_numeric(col, errors="coerce").dropna().to_numpy(), decimals)
    except (OSError, ValueError, KeyError, TrancheflowError):
        return None  # the tape reader reports its problems when the deal runs


def exact_decimal(x: float | int) -> Decimal:
    """The decimal a YAML number was written as (shortest repr of a float)."""
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)

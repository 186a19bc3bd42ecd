"""The on-chain subset of a deal: validation, integer parameters, canonical hash.

The Vyper ``Deal`` contract executes the waterfall of ``docs/waterfall.md``
for the subset of specs :func:`validate_onchain` accepts: fixed coupons,
sequential or pro-rata principal, rate-based fees, reserve, OC target and
triggers. :func:`onchain_params` gives the constructor's integers and
:func:`spec_hash` the keccak-256 of :func:`canonical_json`, which the
contract stores.

Examples
--------
>>> from trancheflow.deal.spec import DealSpec
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-1",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 360, "wam": 360}]},
...     "fees": [{"name": "trustee", "rate": 0.0002}],
...     "tranches": [{"name": "A", "balance": 900, "coupon": 0.06},
...                  {"name": "R", "residual": True}],
... })
>>> p = onchain_params(spec, 1000 * 10**6)
>>> p.tranche_balances, p.coupons, p.fee_rates, p.principal_rule
((900000000,), (60000000,), (200000,), 0)
>>> canonical_json(spec)[:30]
b'{"assumptions":{"advance":true'
>>> len(spec_hash(spec))
32
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from trancheflow.deal.params import (
    NO_RULE,
    RATE_SCALE,
    RULE_IDS,
    TriggerParams,
    WaterfallParams,
)
from trancheflow.deal.spec import DealSpec, FloatingCoupon, ShiftingInterest, exact_decimal
from trancheflow.errors import SpecError

__all__ = [
    "NO_RULE",
    "OnchainParams",
    "canonical_json",
    "onchain_params",
    "onchain_problems",
    "spec_hash",
    "validate_onchain",
]


@dataclass(frozen=True)
class OnchainParams:
    """Constructor parameters of the on-chain ``Deal``, all integers.

    Attributes
    ----------
    decimals : int
        Settlement token decimals.
    pool_balance : int
        Pool balance at closing, in units.
    tranche_balances : tuple of int
        Original face of each non-residual tranche, senior first, in units.
    coupons : tuple of int
        Coupons x ``RATE_SCALE``.
    accrual : tuple of bool
        Accrual (Z) flags.
    fee_rates : tuple of int
        Annual fee rates on the pool balance x ``RATE_SCALE``, in spec order.
    principal_rule : int
        0 sequential, 1 pro rata.
    reserve_target : int
        Reserve target as a fraction of the pool balance x ``RATE_SCALE``.
    reserve_floor : int
        Reserve floor in units.
    oc_target : int
        OC target x ``RATE_SCALE``.
    triggers : tuple of (int, int, int, int)
        ``(metric id, direction, threshold x RATE_SCALE, then-rule id)``;
        metric ids 0 cumulative_loss_pct, 1 delinquency_60_pct, 2 oc_ratio,
        3 ic_ratio; direction 0 above, 1 below; then-rule ``NO_RULE`` (255)
        when the trigger switches nothing.
    insurance_premium_rate : int
        First-loss fund premium, annual on the pool balance x ``RATE_SCALE``
        (0 without a fund).
    insurance_cap : int
        The fund's cover per period in units (0: no cap, or no fund).
    """

    decimals: int
    pool_balance: int
    tranche_balances: tuple[int, ...]
    coupons: tuple[int, ...]
    accrual: tuple[bool, ...]
    fee_rates: tuple[int, ...]
    principal_rule: int
    reserve_target: int
    reserve_floor: int
    oc_target: int
    triggers: tuple[tuple[int, int, int, int], ...]
    insurance_premium_rate: int = 0
    insurance_cap: int = 0

    def to_waterfall_params(self, **labels: Any) -> WaterfallParams:
        """The equivalent :class:`WaterfallParams` (``labels``: names, fee_names...)."""
        return WaterfallParams(
            tranche_balances=self.tranche_balances,
            coupons=self.coupons,
            accrual=self.accrual,
            fee_rates=self.fee_rates,
            principal_rule=self.principal_rule,
            reserve_target=self.reserve_target,
            reserve_floor=self.reserve_floor,
            oc_target=self.oc_target,
            triggers=tuple(TriggerParams(*t) for t in self.triggers),
            decimals=self.decimals,
            pool_balance=self.pool_balance,
            insurance_premium_rate=self.insurance_premium_rate,
            insurance_cap=self.insurance_cap,
            **labels,
        )


def _exact_at(x: float, scale: int) -> bool:
    d = exact_decimal(x) * scale
    return d == d.to_integral_value()


def onchain_problems(spec: DealSpec) -> list[tuple[str, str]]:
    """Every feature of ``spec`` the on-chain waterfall cannot execute, as (path, rule)."""
    out: list[tuple[str, str]] = []
    units = 10**spec.currency.decimals
    for i, t in enumerate(spec.tranches):
        if t.residual:
            continue
        if isinstance(t.coupon, FloatingCoupon):
            out.append((f"tranches[{i}].coupon", "floating coupons are not supported on-chain"))
        elif t.coupon is not None and not _exact_at(t.coupon, RATE_SCALE):
            out.append((f"tranches[{i}].coupon", f"rate {t.coupon!r} is not exact at 1e-9"))
        if t.wac_cap:
            out.append((f"tranches[{i}].wac_cap", "the net-WAC cap is not supported on-chain"))
        if t.balance is not None and not _exact_at(t.balance, units):
            out.append(
                (
                    f"tranches[{i}].balance",
                    f"balance {t.balance!r} is not a whole number of units "
                    f"({spec.currency.decimals} decimals)",
                )
            )
    for j, f in enumerate(spec.fees):
        if not _exact_at(f.rate, RATE_SCALE):
            out.append((f"fees[{j}].rate", f"rate {f.rate!r} is not exact at 1e-9"))
        if f.amount:
            out.append((f"fees[{j}].amount", "fixed-amount fees are not supported on-chain"))
    if isinstance(spec.waterfall.principal, ShiftingInterest):
        out.append(("waterfall.principal", "shifting interest is not supported on-chain yet"))
    if spec.reserve is not None:
        if not _exact_at(spec.reserve.target, RATE_SCALE):
            out.append(("reserve.target", f"rate {spec.reserve.target!r} is not exact at 1e-9"))
        if not _exact_at(spec.reserve.floor, units):
            out.append(("reserve.floor", "floor is not a whole number of units"))
    oc = spec.overcollateralization
    if oc is not None and not _exact_at(oc.target, RATE_SCALE):
        out.append(("overcollateralization.target", f"rate {oc.target!r} is not exact at 1e-9"))
    for k, tr in enumerate(spec.triggers):
        if not _exact_at(tr.threshold, RATE_SCALE):
            out.append((f"triggers[{k}].{tr.direction}", "threshold is not exact at 1e-9"))
    ins = spec.insurance
    if ins is not None:
        if not _exact_at(ins.premium_rate, RATE_SCALE):
            out.append(
                ("insurance.premium_rate", f"rate {ins.premium_rate!r} is not exact at 1e-9")
            )
        if not _exact_at(ins.cap_per_period, units):
            out.append(
                (
                    "insurance.cap_per_period",
                    f"cap {ins.cap_per_period!r} is not a whole number of units "
                    f"({spec.currency.decimals} decimals)",
                )
            )
    return out


def validate_onchain(spec: DealSpec) -> None:
    """Raise :class:`SpecError` naming every feature the chain subset cannot do."""
    from trancheflow.deal.spec import problems_error

    problems = onchain_problems(spec)
    if problems:
        raise problems_error(problems, head="not executable on-chain")


def onchain_params(spec: DealSpec, pool_balance_units: int) -> OnchainParams:
    """The ``Deal`` constructor's integers for ``spec`` (validated on-chain first).

    Parameters
    ----------
    spec : DealSpec
        A spec :func:`validate_onchain` accepts.
    pool_balance_units : int
        The pool balance at closing in units (sum of loan balances, floored per loan).
    """
    validate_onchain(spec)
    if pool_balance_units < 0:
        raise SpecError(f"pool balance {pool_balance_units} must be >= 0", path="collateral")
    wp = WaterfallParams.from_spec(spec)
    if sum(wp.tranche_balances) > pool_balance_units:
        raise SpecError(
            f"tranche balances total {sum(wp.tranche_balances)} units, above the pool "
            f"balance {pool_balance_units} units",
            path="tranches",
        )
    return OnchainParams(
        decimals=wp.decimals,
        pool_balance=pool_balance_units,
        tranche_balances=wp.tranche_balances,
        coupons=wp.coupons,
        accrual=wp.accrual,
        fee_rates=wp.fee_rates,
        principal_rule=RULE_IDS[spec.rule],
        reserve_target=wp.reserve_target,
        reserve_floor=wp.reserve_floor,
        oc_target=wp.oc_target,
        triggers=tuple(t.as_tuple() for t in wp.triggers),
        insurance_premium_rate=wp.insurance_premium_rate,
        insurance_cap=wp.insurance_cap,
    )


def _dump(x: Any) -> str:
    """Canonical JSON text of ``x`` (see :func:`canonical_json`)."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=True)
    if isinstance(x, int | float):
        d = exact_decimal(x).normalize()
        if d == d.to_integral_value():
            return str(int(d))
        return format(d, "f")
    if isinstance(x, dict):
        items = sorted((str(k), v) for k, v in x.items())
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v)}" for k, v in items) + "}"
    if isinstance(x, list | tuple):
        return "[" + ",".join(_dump(v) for v in x) + "]"
    raise TypeError(f"cannot encode {type(x).__name__} in canonical JSON")


#: Top-level keys left out of the canonical JSON when absent (None).
_OPTIONAL_SECTIONS = ("insurance", "payment_delay_days")


def canonical_json(spec: DealSpec) -> bytes:
    """Canonical bytes of ``spec`` for hashing.

    Every key is present (defaults filled in), keys are sorted, there is no
    whitespace, integral numbers are written as integers and others in plain
    decimal notation (``0.00001``, never ``1e-05``), and a tape path is reduced
    to its file name so the hash does not depend on the machine. Optional
    sections added after the first deployments (``insurance``) appear only
    when the spec has them, so the hash of a spec without them is unchanged.
    """
    data = spec.model_dump(mode="python")
    for key in _OPTIONAL_SECTIONS:
        if data.get(key) is None:
            data.pop(key, None)
    tape = data["collateral"].get("tape")
    if tape is not None:
        data["collateral"]["tape"] = PurePath(tape).name
    return _dump(data).encode("ascii")


def spec_hash(spec: DealSpec) -> bytes:
    """keccak-256 of :func:`canonical_json` (32 bytes), as the contract stores it."""
    try:
        from eth_hash.auto import keccak

        return bytes(keccak(canonical_json(spec)))
    except ImportError:  # pragma: no cover - eth-hash ships with the chain extras
        from Crypto.Hash import keccak as _k

        return _k.new(digest_bits=256, data=canonical_json(spec)).digest()

"""Run a deal from its spec: collateral projection, collections, waterfall.

:func:`run_deal` projects the spec's collateral under its assumptions (or
overrides), maps the pool cash flows to period inputs once
(:mod:`trancheflow.deal.collections`) and runs the float or the exact
waterfall. Either way the result carries a :class:`FloatResult` in currency
(``result.flows``), so reports and tables read one shape; exact runs also keep
their integer :class:`PeriodResult` list (``result.exact``).

Examples
--------
>>> from trancheflow.deal.spec import DealSpec
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-1",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 12, "wam": 12}]},
...     "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
...     "tranches": [{"name": "A", "balance": 1000, "coupon": 0.065},
...                  {"name": "R", "residual": True}],
... })
>>> r = run_deal(spec, mode="exact")
>>> round(float(r.flows.principal_paid.sum()), 6), r.exact[-1].state.balances
(1000.0, [0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.deal.collections import Collections
from trancheflow.deal.exact import ExactWaterfall, PeriodInput, PeriodResult
from trancheflow.deal.params import RATE_SCALE, RULE_IDS, WaterfallParams, scale_rate
from trancheflow.deal.spec import MAX_AMOUNT, AssumptionsSpec, DealSpec
from trancheflow.deal.waterfall import FloatResult, FloatWaterfall
from trancheflow.errors import SpecError, WaterfallError
from trancheflow.units import format_money, to_units, to_units_array

__all__ = [
    "DealResult",
    "check_deal",
    "collateral_pool",
    "exact_to_flows",
    "loan_units",
    "pool_balance_units",
    "run_deal",
]


@dataclass
class DealResult:
    """A deal run: spec, pool cash flows, collections and tranche flows."""

    spec: DealSpec
    mode: str
    params: WaterfallParams
    pool_cashflows: pd.DataFrame | None
    collections: Collections
    flows: FloatResult
    exact: list[PeriodResult] | None = None

    @property
    def tranche_names(self) -> tuple[str, ...]:
        """Non-residual tranche names, senior first."""
        return self.params.names


def collateral_pool(spec: DealSpec) -> Any:
    """The collateral as :func:`~trancheflow.collateral.project_pool` takes it
    (a list of ``RepLine`` or a normalised tape DataFrame)."""
    from trancheflow.collateral import RepLine

    c = spec.collateral
    if c.rep_lines is not None:
        return [
            RepLine(r.balance, r.gross_rate, r.net_rate, r.term, r.wam, r.wala) for r in c.rep_lines
        ]
    from trancheflow.tape.io import read_tape

    return read_tape(c.tape)  # type: ignore[arg-type]


def pool_balance_units(spec: DealSpec, pool: Any) -> int:
    """Pool balance at closing in units: the sum of each loan's (or line's) units.

    Each balance goes through :func:`trancheflow.units.to_units` (exact
    decimal, rounded down), the same conversion as the closing Merkle leaves,
    so a tape of cent balances totals exactly what ``tape validate`` prints.
    """
    return sum(loan_units(spec, pool))


def loan_units(spec: DealSpec, pool: Any) -> list[int]:
    """Every loan's (or rep line's) closing balance in units, in pool order."""
    dec = spec.currency.decimals
    if isinstance(pool, pd.DataFrame):
        return to_units_array(pool["current_balance"].to_numpy(), dec)
    return [to_units(r.balance, dec) for r in pool]


def check_deal(spec: DealSpec) -> tuple[Any, WaterfallParams, int]:
    """Every check :func:`run_deal` makes before projecting, without projecting.

    Reads the collateral, builds the integer parameters and requires the
    tranche balances to fit in the pool's unit balance. ``deal validate``
    calls this, so a spec it accepts is one ``deal run`` accepts.

    Returns
    -------
    (pool, params, pool_units)
    """
    pool = collateral_pool(spec)
    params = WaterfallParams.from_spec(spec)
    units = pool_balance_units(spec, pool)
    tranche_units = sum(params.tranche_balances)
    if tranche_units > units:
        dec = params.decimals
        raise SpecError(
            f"tranche balances total {format_money(tranche_units, dec, dec)} "
            f"({tranche_units} units), above the collateral balance "
            f"{format_money(units, dec, dec)} ({units} units)",
            path="tranches",
        )
    return pool, params, units


def _assumptions(spec: DealSpec, override: Any) -> Any:
    from trancheflow.collateral import Assumptions

    if isinstance(override, Assumptions):
        return override
    a = spec.assumptions
    if override is not None:
        data = {
            **a.model_dump(),
            **(override.model_dump() if isinstance(override, AssumptionsSpec) else dict(override)),
        }
        a = AssumptionsSpec.model_validate(data)
    return Assumptions(
        a.prepay, a.default, severity=a.severity, recovery_lag=a.recovery_lag, advance=a.advance
    )


def _index_paths(spec: DealSpec, override: Mapping[str, npt.ArrayLike] | None) -> dict[str, Any]:
    out: dict[str, Any] = dict(spec.indices)
    if override:
        out.update(override)
    return out


def exact_to_flows(
    results: Sequence[PeriodResult],
    params: WaterfallParams,
    fund_units: Sequence[int] | None = None,
) -> FloatResult:
    """Integer period results as a one-path :class:`FloatResult` in currency
    (``fund_units``: the insurance fund's assets after each period, if modelled)."""
    us = float(10**params.decimals)
    T = len(results)

    def tr(attr: str) -> np.ndarray:
        a = np.array([[getattr(t, attr) for t in r.tranches] for r in results], dtype=np.float64)
        return (a.reshape(T, params.n_tranches) / us)[None]

    def fee(attr: str) -> np.ndarray:
        m = len(params.fee_rates)
        a = np.array([[getattr(f, attr) for f in r.fees] for r in results], dtype=np.float64)
        return (a.reshape(T, m) / us)[None]

    def deal(attr: str) -> np.ndarray:
        return (np.array([getattr(r, attr) for r in results], dtype=np.float64) / us)[None]

    coupon = np.array([[t.coupon for t in r.tranches] for r in results], dtype=np.float64)
    return FloatResult(
        params=params,
        unit_scale=us,
        beginning_balance=tr("beginning_balance"),
        coupon=(coupon.reshape(T, params.n_tranches) / RATE_SCALE)[None],
        interest_due=tr("interest_due"),
        interest_paid=tr("interest_paid"),
        interest_shortfall=tr("interest_shortfall"),
        accreted=tr("accreted"),
        principal_paid=tr("principal_paid"),
        writedown=tr("writedown"),
        interest_forgiven=tr("interest_forgiven"),
        ending_balance=tr("ending_balance"),
        fee_due=fee("due"),
        fee_paid=fee("paid"),
        fee_shortfall=fee("shortfall"),
        pool_beginning=deal("pool_beginning"),
        pool_ending=deal("pool_ending"),
        cash_in=deal("cash_in"),
        reserve_draw=deal("reserve_draw"),
        reserve_topup=deal("reserve_topup"),
        reserve_release=deal("reserve_release"),
        reserve_balance=deal("reserve_balance"),
        turbo=deal("turbo"),
        principal_distribution=deal("principal_distribution"),
        principal_leftover=deal("principal_leftover"),
        residual=deal("residual"),
        active_rule=np.array([[RULE_IDS[r.active_rule] for r in results]], dtype=np.int64),
        triggers=np.array([[r.triggers for r in results]], dtype=bool).reshape(
            1, T, len(params.triggers)
        ),
        insurance_premium=deal("insurance_premium"),
        insurance_cover=deal("insurance_cover"),
        fund_assets=np.zeros((1, T)) if fund_units is None else (np.array(fund_units) / us)[None],
    )


def run_deal(
    spec: DealSpec,
    *,
    assumptions: Any = None,
    mode: Literal["float", "exact"] = "float",
    index_paths: Mapping[str, npt.ArrayLike] | None = None,
    n_periods: int | None = None,
    fund_assets: float | None = None,
) -> DealResult:
    """Project the collateral and run the waterfall of ``spec``.

    Parameters
    ----------
    spec : DealSpec
    assumptions : Assumptions, AssumptionsSpec or mapping, optional
        Overrides of the spec's assumptions (a mapping overrides named keys).
    mode : {'float', 'exact'}
        Float64 or integer (token units, the contract's rounding).
    index_paths : mapping, optional
        Index rate paths (decimals) for floating coupons; default ``spec.indices``.
    n_periods : int, optional
        Projection horizon; default the collateral's remaining life.
    fund_assets : float, optional
        Assets of the spec's first-loss insurance fund at closing, in currency
        (default: no fund money, so nothing is covered). The fund is then
        modelled period by period: it can pay ``min(assets, cap)`` and its
        assets move by ``premium - cover`` (exact mode does this in units,
        feeding each period's ``insurance_available`` as the contract reads it).

    Returns
    -------
    DealResult
    """
    from trancheflow.collateral import project_pool

    if mode not in ("float", "exact"):
        raise SpecError(f"mode {mode!r} must be 'float' or 'exact'", path="mode")
    pool, params, units = check_deal(spec)
    a = _assumptions(spec, assumptions)
    cf = project_pool(pool, a, n_periods=n_periods)
    coll = Collections.from_frame(cf)
    paths = _index_paths(spec, index_paths)
    if fund_assets is not None and (
        not np.isfinite(fund_assets) or not 0 <= fund_assets <= MAX_AMOUNT
    ):
        raise SpecError(
            f"fund_assets {fund_assets!r} must be an amount in 0..{MAX_AMOUNT:g}", "fund_assets"
        )
    if mode == "float":
        flows = FloatWaterfall(params).run(
            coll,
            pool_balance=units / 10**params.decimals,
            index_paths=paths,
            fund_assets=fund_assets,
        )
        return DealResult(spec, mode, params, cf, coll, flows)
    inputs = coll.to_exact(params.decimals, units)
    needed = {fl.index for fl in params.floating if fl is not None}
    if needed:
        rates = {}
        for name in needed:
            if name not in paths:
                raise WaterfallError(f"no path given for index {name!r} (floating coupon)")
            v = np.atleast_1d(np.asarray(paths[name], dtype=np.float64))
            if v.ndim != 1:
                raise WaterfallError(
                    f"exact mode runs one index path; {name!r} has shape {v.shape}"
                )
            v = np.concatenate([v, np.full(max(0, len(inputs) - len(v)), v[-1])])
            rates[name] = [scale_rate(float(x)) for x in v]
        inputs = [
            PeriodInput(
                i.interest,
                i.scheduled_principal,
                i.prepayments,
                i.recoveries,
                i.losses,
                i.delinquent_60_plus,
                indices={k: rates[k][t] for k in rates},
            )
            for t, i in enumerate(inputs)
        ]
    if fund_assets is None:
        results = ExactWaterfall(params).run(inputs, units)
        flows = exact_to_flows(results, params)
    else:
        results, fund = _run_exact_with_fund(
            params, inputs, units, to_units(fund_assets, params.decimals)
        )
        flows = exact_to_flows(results, params, fund)
    return DealResult(spec, mode, params, cf, coll, flows, results)


def _run_exact_with_fund(
    params: WaterfallParams, inputs: Sequence[PeriodInput], pool_units: int, fund: int
) -> tuple[list[PeriodResult], list[int]]:
    """Exact periods with the insurance fund's assets tracked: each period may
    draw ``min(assets, cap)``; then ``assets += premium - cover``."""
    wf = ExactWaterfall(params)
    state = wf.initial_state(pool_units)
    results: list[PeriodResult] = []
    assets: list[int] = []
    for inp in inputs:
        avail = min(fund, params.insurance_cap) if params.insurance_cap else fund
        r = wf.run_period(state, replace(inp, insurance_available=avail))
        fund += r.insurance_premium - r.insurance_cover
        results.append(r)
        assets.append(fund)
        state = r.state
    return results, assets

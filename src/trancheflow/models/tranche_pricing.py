"""The trained hazard model drives the valuation of a deal's tranches.

A :class:`MLBehaviour` binds a compiled hazard model to a loan tape and
plugs into the Monte Carlo machinery of :mod:`trancheflow.analytics.montecarlo`
through the behaviour seam of
:func:`~trancheflow.analytics.montecarlo.security_cash_flows`: wherever the
refinancing S-curve projects the collateral on each rate path, the ML kernel
(:mod:`trancheflow.models.pricing`) does instead, with each path's mortgage
rate feeding the refinancing incentive and burnout, and the deal's float
waterfall (:mod:`trancheflow.deal.waterfall`) splits the cash among the
tranches exactly as it does for the refinancing model. The OAS/price
arithmetic is :mod:`trancheflow.analytics.oas`.

:func:`value_tranches` is the one call a caller needs (the demo re-prices
every tranche with it each finalized period): one row per debt tranche with
its value per 100 of current face at an OAS, or the OAS at a price, its WAL
and expected writedown. ``deterministic=True`` runs one path on the forward
curve (zero volatility), for yield tables.

Credit: by default (``credit="loss"``) a loan the model sends to 90+ days
delinquent without cure is liquidated that month at ``severity`` (the spec's
severity), so losses reach the subordinate tranches; ``credit="buyout"``
buys it out at par (agency pass-through). Mid-life valuation
(``as_of_period > 0``) starts the waterfall from the tranches' current
balances (``balances=``) and the current pool; shifting-interest lockouts
and step-downs are moved ``as_of_period`` months earlier. The reserve
account, OC release and cumulative-loss triggers restart from zero, an
approximation stated here.

Examples
--------
>>> from trancheflow.deal.spec import parse_spec
>>> from trancheflow.models.simulate import simulate_panel
>>> from trancheflow.models.train import train_hazard_model
>>> from trancheflow.tape import generate_tape
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> tape = generate_tape(50, seed=1)
>>> b = round(float(tape["current_balance"].sum()), 2)
>>> spec = parse_spec({"deal": "D", "currency": {"symbol": "USDC", "decimals": 6},
...     "collateral": {"rep_lines": [{"balance": b, "gross_rate": 0.065, "net_rate": 0.06,
...                                   "term": 360, "wam": 357, "wala": 3}]},
...     "tranches": [{"name": "A", "balance": round(0.8 * b, 2), "coupon": 0.04},
...                  {"name": "B", "balance": round(0.15 * b, 2), "coupon": 0.05},
...                  {"name": "R", "residual": True}],
...     "waterfall": {"principal": "sequential"}})
>>> v = value_tranches(spec, tape, m, oas_bp=50.0, paths=8)
>>> list(v["tranche"]), bool(v["wal"].iloc[0] < v["wal"].iloc[1])
(['A', 'B'], True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.analytics.montecarlo import (
    MonteCarloSettings,
    PathValues,
    Security,
    security_cash_flows,
)
from trancheflow.analytics.oas import oas_from_price, price_from_oas, resolve_per_instrument
from trancheflow.analytics.zspread import flow_times
from trancheflow.collateral.assumptions import Assumptions
from trancheflow.collateral.loans import LoanArrays, loan_arrays
from trancheflow.errors import ModelError
from trancheflow.rates import RatePaths, ZeroCurve
from trancheflow.units import to_units

from .model import HazardModel
from .pricing import CompiledModel, compile_model, project_paths_ml

__all__ = [
    "DEFAULT_CURVE",
    "MLBehaviour",
    "TrancheRun",
    "compiled",
    "ml_deal_security",
    "run_tranches",
    "value_tranches",
]

F = npt.NDArray[np.float64]

#: Flat 4% zero curve used when no curve is given (illustrative, not a market curve).
DEFAULT_CURVE = ZeroCurve([30.0], [0.04])

_CACHE: dict[int, tuple[HazardModel, CompiledModel]] = {}


def compiled(model: HazardModel | CompiledModel | str) -> CompiledModel:
    """The compiled form of ``model`` (a registry name is loaded), cached per model object."""
    if isinstance(model, CompiledModel):
        return model
    if isinstance(model, str):
        from .registry import load_model

        model = load_model(model)
    if not isinstance(model, HazardModel):
        raise ModelError(f"model must be a HazardModel, CompiledModel or name, not {model!r}")
    hit = _CACHE.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    cm = compile_model(model)
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(model)] = (model, cm)
    return cm


@dataclass(frozen=True, eq=False)
class MLBehaviour:
    """A compiled hazard model bound to the tape it projects (the Monte Carlo behaviour seam).

    Parameters
    ----------
    model : CompiledModel
    tape : pandas.DataFrame
        The normalised tape whose :func:`~trancheflow.collateral.loans.loan_arrays`
        the security holds (same loans, same order).
    hpa : float
        House-price appreciation a year for mark-to-market LTV.
    credit : {"loss", "buyout"}
        What a loan that reaches 90+ days without cure does (module docstring).
    severity : float
        Loss severity (decimal) of ``credit="loss"``.
    """

    model: CompiledModel
    tape: pd.DataFrame
    hpa: float = 0.0
    credit: str = "loss"
    severity: float = 0.35

    def describe(self) -> str:
        """One line naming the model and the credit treatment (for risk tables)."""
        meta = self.model.model.meta
        name = meta.get("name", "unnamed")
        w = meta.get("train_window") or ""
        window = " to ".join(str(x) for x in w) if isinstance(w, list | tuple) else str(w)
        credit = (
            f"90+ days liquidated at {self.severity:.0%} severity"
            if self.credit == "loss"
            else "90+ days bought out at par"
        )
        return (
            f"ML hazard model {name!r}{f' (trained {window})' if window else ''}: "
            f"prepay/default/cure per loan, path mortgage rate -> incentive; {credit}; "
            f"HPA {self.hpa:.1%}/yr"
        )

    def project_paths(
        self,
        loans: LoanArrays,
        mortgage_rates: npt.ArrayLike,
        assumptions: Assumptions,
        *,
        start_month_of_year: int = 1,
        n_periods: int | None = None,
        precision: str = "float32",
    ) -> np.ndarray:
        """Cash-flow cube ``(n_paths, n_periods, len(CASHFLOW_COLUMNS))`` of the bound tape.

        ``loans`` must be the tape's loans (checked by count and balance);
        ``assumptions`` and ``precision`` are not read (the ML kernel is float32
        and its credit model is ``credit``/``severity``).
        """
        del assumptions, precision
        if loans.n_loans != len(self.tape) or not math.isclose(
            float(loans.bal.sum()), float(self.tape["current_balance"].sum()), rel_tol=1e-9
        ):
            raise ModelError(
                f"the security's {loans.n_loans} loans are not the behaviour's tape "
                f"({len(self.tape)} loans)"
            )
        return project_paths_ml(
            self.tape,
            self.model,
            mortgage_rates,
            start_month_of_year=start_month_of_year,
            hpa=self.hpa,
            n_periods=n_periods,
            credit=self.credit,
            severity=self.severity,
        )


def _shifted(shifting: Any, k: int) -> Any:
    if shifting is None or k == 0:
        return shifting
    return replace(
        shifting,
        lockout=max(shifting.lockout - k, 0),
        step_down=tuple((max(s - k, 1), p) for s, p in shifting.step_down),
    )


def ml_deal_security(
    spec: Any,
    pool: pd.DataFrame,
    behaviour: Any,
    *,
    balances: Mapping[str, float] | None = None,
    as_of_period: int = 0,
    start_month_of_year: int = 1,
) -> Security:
    """The deal's debt tranches (and residual) on ``pool`` with ``behaviour`` projecting it.

    Parameters
    ----------
    spec : DealSpec
    pool : pandas.DataFrame
        The loans still in the pool (normalised tape; ``current_balance`` now).
    behaviour : MLBehaviour, RefiPrepayModel or None
        The security's ``model`` (``None``: the spec's constant speeds).
    balances : mapping, optional
        Each debt tranche's current balance (currency); required when
        ``as_of_period > 0``, default the closing balances.
    as_of_period : int
        Periods already paid (shifts the shifting-interest schedule).
    """
    from trancheflow.deal.params import WaterfallParams

    if not isinstance(pool, pd.DataFrame) or "current_balance" not in pool.columns:
        raise ModelError("pool must be a normalised tape DataFrame with current_balance")
    if len(pool) == 0:
        raise ModelError("the pool has no loans left to value")
    if isinstance(as_of_period, bool) or int(as_of_period) != as_of_period or as_of_period < 0:
        raise ModelError(f"as_of_period {as_of_period!r} must be a whole number >= 0")
    params = WaterfallParams.from_spec(spec)
    dec = params.decimals
    if balances is None:
        if as_of_period > 0:
            raise ModelError(
                "as_of_period > 0 needs the tranches' current balances "
                f"(balances={{name: amount}} for {list(params.names)})"
            )
        units = params.tranche_balances
    else:
        unknown = sorted(set(balances) - set(params.names))
        missing = [n for n in params.names if n not in balances]
        if unknown or missing:
            raise ModelError(
                f"balances: unknown tranche(s) {unknown}, missing {missing}; "
                f"the debt tranches are {list(params.names)}"
            )
        for n in params.names:
            b = float(balances[n])
            if not (math.isfinite(b) and b >= 0):
                raise ModelError(f"balances[{n!r}] = {balances[n]!r} must be a finite amount >= 0")
        units = tuple(to_units(float(balances[n]), dec) for n in params.names)
    bal = pool["current_balance"].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(bal)) or np.any(bal < 0):
        raise ModelError("pool current_balance must be finite amounts >= 0")
    # valuation needs no exact units: floor each loan's balance in float (at most 1 unit apart)
    pool_units = int(np.floor(bal * 10**dec + 1e-6).sum())
    if sum(units) > pool_units * (1 + 1e-9) + len(units):
        raise ModelError(
            f"tranche balances total {sum(units) / 10**dec:,.2f}, above the pool's "
            f"{pool_units / 10**dec:,.2f}"
        )
    wf = replace(
        params,
        tranche_balances=tuple(units),
        pool_balance=pool_units,
        shifting=_shifted(params.shifting, int(as_of_period)),
    )
    loans = loan_arrays(pool)
    a = spec.assumptions
    scale = float(10**dec)
    faces = tuple(u / scale if u > 0 else math.nan for u in units)
    return Security(
        loans=loans,
        assumptions=Assumptions(
            a.prepay, a.default, severity=a.severity, recovery_lag=a.recovery_lag, advance=a.advance
        ),
        model=behaviour,
        n_periods=int(loans.life.max()),
        names=(*params.names, params.residual_name),
        faces=(*faces, math.nan),
        start_month_of_year=start_month_of_year,
        waterfall=wf,
        pool_balance=pool_units / scale,
        indices=tuple(sorted({f.index for f in params.floating if f is not None})),
    )


@dataclass(frozen=True)
class TrancheRun:
    """One Monte Carlo run of a deal: its security, paths, waterfall result and values."""

    security: Security
    paths: RatePaths
    mortgage_rates: F
    result: Any
    values: PathValues


def run_tranches(
    security: Security, curve: ZeroCurve, settings: MonteCarloSettings, *, delay_days: int = 0
) -> TrancheRun:
    """Simulate the rate paths, project, run the waterfall and discount (all in this process).

    The steps and conventions are those of
    :func:`~trancheflow.analytics.montecarlo.simulate_values` (same paths for
    the same settings; ``tests/unit/models/test_tranche_pricing.py`` holds
    the two equal), keeping the waterfall result for WAL and writedowns.
    """
    T = security.n_periods
    paths = settings.short_rate_model(curve).simulate(
        settings.n_paths,
        T,
        seed=settings.seed,
        antithetic=settings.antithetic,
        sobol=settings.sobol,
    )
    mrates = np.ascontiguousarray(settings.mortgage.rate(paths)[:, :T])
    disc = paths.discount[:, 1 : T + 1]
    if delay_days:
        disc = disc * np.exp(-paths.short_rate[:, 1 : T + 1] * (delay_days / 360.0))
    short = np.ascontiguousarray(paths.short_rate[:, :T]) if security.indices else None
    cf, res = security_cash_flows(security, mrates, short, settings.precision)
    values = PathValues(
        dcf=cf * disc[:, :, None],
        times=flow_times(T, delay_days),
        names=security.names,
        faces=np.asarray(security.faces, dtype=np.float64),
        antithetic=settings.antithetic,
        mean_cash_flow=cf.mean(axis=0),
        paths=paths,
    )
    return TrancheRun(security, paths, mrates, res, values)


def _settings(paths: int, seed: int, deterministic: bool, delay: int) -> MonteCarloSettings:
    if isinstance(paths, bool) or int(paths) != paths or paths < 1:
        raise ModelError(f"paths {paths!r} must be a whole number >= 1")
    s = MonteCarloSettings(
        n_paths=int(paths),
        seed=int(seed),
        antithetic=int(paths) % 2 == 0,
        workers=1,
        chunks=1,
        delay_days=delay,
    )
    return s.zero_volatility() if deterministic else s


def value_tranches(
    spec: Any,
    pool: pd.DataFrame,
    model: HazardModel | CompiledModel | str,
    *,
    oas_bp: float | Mapping[str, float] = 0.0,
    prices: Mapping[str, float] | None = None,
    paths: int = 64,
    seed: int = 0,
    curve: ZeroCurve | None = None,
    as_of_period: int = 0,
    balances: Mapping[str, float] | None = None,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    credit: str = "loss",
    severity: float | None = None,
    deterministic: bool = False,
    eff_duration: bool = False,
    shock_bp: float = 25.0,
) -> pd.DataFrame:
    """Each debt tranche's model value at an OAS (or OAS at a price) under the ML model.

    Parameters
    ----------
    spec : DealSpec
    pool : pandas.DataFrame
        The loans in the pool now (normalised tape).
    model : HazardModel, CompiledModel or str
        A trained model, or a name in the registry.
    oas_bp : float or mapping
        OAS in basis points (one for all tranches or ``{tranche: bp}``).
    prices : mapping, optional
        ``{tranche: full price per 100 of current face}``: those tranches get
        their OAS solved (the others are valued at ``oas_bp``).
    paths, seed : int
        Hull-White paths (antithetic when even) and seed (same seed, same paths).
    curve : ZeroCurve, optional
        Default :data:`DEFAULT_CURVE` (flat 4%, illustrative).
    as_of_period : int
        Periods already paid; with ``> 0`` give ``balances``.
    balances : mapping, optional
        Current balance of every debt tranche (currency).
    start_month_of_year : int
        Calendar month of the next period (seasonality).
    hpa : float
        House-price appreciation a year for mark-to-market LTV.
    credit : {"loss", "buyout"}, severity : float, optional
        Credit treatment (module docstring); severity defaults to the spec's.
    deterministic : bool
        One path on the forward curve (zero volatility), for yield tables.
    eff_duration : bool
        Also the effective duration (curve ``±shock_bp``, same OAS; two more runs).

    Returns
    -------
    pandas.DataFrame
        One row per debt tranche: ``tranche, balance, value, value_se, oas_bp,
        wal, writedown`` (mean over paths, % of current face) and
        ``eff_duration`` when asked. A tranche already paid off has NaN value.
    """
    if prices is not None and not isinstance(prices, Mapping):
        raise ModelError("prices must be a mapping {tranche: price}")
    cm = compiled(model)
    sev = spec.assumptions.severity if severity is None else float(severity)
    behaviour = MLBehaviour(cm, pool.reset_index(drop=True), hpa, credit, sev)
    sec = ml_deal_security(
        spec,
        behaviour.tape,
        behaviour,
        balances=balances,
        as_of_period=as_of_period,
        start_month_of_year=start_month_of_year,
    )
    c = DEFAULT_CURVE if curve is None else curve
    settings = _settings(paths, seed, deterministic, spec.delay_days)
    run = run_tranches(sec, c, settings, delay_days=spec.delay_days)
    names = sec.names
    debt = names[:-1]
    spreads = resolve_per_instrument(names, oas_bp, "oas_bp") * 1e-4
    if not np.all(np.isfinite(spreads[:-1])):
        raise ModelError(f"oas_bp {oas_bp!r}: give a finite spread for every debt tranche")
    if prices:
        px = resolve_per_instrument(names, prices, "price")
        px[np.isnan(np.asarray(sec.faces))] = np.nan
        solved = oas_from_price(run.values, px)
        spreads = np.where(np.isfinite(solved), solved, spreads)
    value, value_se = price_from_oas(run.values, np.nan_to_num(spreads))
    if settings.n_paths == 1:
        value_se = np.full_like(value_se, np.nan)
    res = run.result
    faces = np.asarray(sec.faces[:-1])
    prin = res.principal_paid.mean(axis=0)  # (T, n_tranches)
    t = np.arange(1, prin.shape[0] + 1) / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        wal = (t @ prin) / prin.sum(axis=0)
        wd = 100.0 * res.writedown.sum(axis=1).mean(axis=0) / faces
    out = pd.DataFrame(
        {
            "tranche": list(debt),
            "balance": np.nan_to_num(faces),
            "value": value[:-1],
            "value_se": value_se[:-1],
            "oas_bp": spreads[:-1] * 1e4,
            "wal": wal,
            "writedown": wd,
        }
    )
    if eff_duration:
        dy = float(shock_bp) * 1e-4
        up = run_tranches(sec, c.shifted(shock_bp), settings, delay_days=spec.delay_days)
        dn = run_tranches(sec, c.shifted(-shock_bp), settings, delay_days=spec.delay_days)
        pu, _ = price_from_oas(up.values, np.nan_to_num(spreads))
        pd_, _ = price_from_oas(dn.values, np.nan_to_num(spreads))
        with np.errstate(invalid="ignore", divide="ignore"):
            out["eff_duration"] = ((pd_ - pu) / (2 * value * dy))[:-1]
    return out

"""Monte Carlo cash flows of a pool or of every tranche of a deal, discounted on each rate path.

The pipeline (:func:`simulate_values`):

1. Hull-White one-factor paths fitted to the zero curve
   (:class:`~trancheflow.rates.HullWhite1F`, monthly, seeded; antithetic by default;
   or CIR++, :class:`~trancheflow.rates.cir.ShiftedCIR`; Sobol' on request);
2. the mortgage rate on each path (:class:`~trancheflow.rates.MortgageRateModel`);
3. the paths split into chunks (:mod:`trancheflow.analytics.scale`); per chunk,
   loan-level projection with the rate-driven prepayment model
   (:func:`~trancheflow.collateral.path_kernel.project_paths`) and, for a
   deal, the float waterfall run on all the chunk's paths at once;
4. each instrument's cash flow of period ``k`` times the path's discount
   factor ``paths.discount[:, k]``.

The result, :class:`PathValues`, holds those discounted cash flows
``(n_paths, n_periods, n_instruments)``; prices at any OAS follow without
re-projecting (:mod:`trancheflow.analytics.oas`).

Conventions
-----------
* Settlement is today, on the accrual start of period 1 (no accrued
  interest); prices are **full** prices in percent of the instrument's face
  (the pool's current balance; a tranche's balance at closing). The residual
  tranche has no face: only its present value is reported.
* Payment delay: period ``k`` is received at ``t_k = k/12 + delay_days/360``
  years, as in :mod:`trancheflow.analytics.daycount` with settlement on the
  accrual start. On a path the delay is discounted at that path's short rate
  at month ``k`` (``exp(-r_k · delay_days/360)``), a simplification that
  holds the short rate flat over the delay.
* Floating coupons of a deal read the path's short rate (column ``k - 1`` for
  period ``k``) for every index the spec names.

Examples
--------
>>> from trancheflow.collateral import Assumptions, RepLine
>>> from trancheflow.rates import ZeroCurve
>>> sec = pool_security(RepLine(1e6, 0.065, 0.06, 360, 360, 0), Assumptions("CPR 0", "CDR 0"))
>>> v = simulate_values(sec, ZeroCurve([30.0], [0.04]), MonteCarloSettings(n_paths=8, workers=1))
>>> v.dcf.shape, v.names
((8, 360, 1), ('pool',))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.collateral.assumptions import Assumptions, RepLine
from trancheflow.collateral.loans import LoanArrays, loan_arrays
from trancheflow.collateral.path_kernel import (
    MC_EINT,
    MC_P0,
    MC_PQ,
    MC_VOL,
    has_defaults,
    kernel_loans,
    mc_accumulators,
    project_paths,
    season_by_period,
)
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.collateral.projection import CASHFLOW_COLUMNS
from trancheflow.errors import AnalyticsError
from trancheflow.rates import HullWhite1F, MortgageRateModel, RatePaths, ZeroCurve
from trancheflow.rates.cir import ShiftedCIR

from .scale import chunk_bounds, default_workers, map_chunks
from .zspread import flow_times

__all__ = [
    "MonteCarloSettings",
    "PathValues",
    "Security",
    "deal_security",
    "pool_security",
    "security_cash_flows",
    "simulate_values",
    "simulate_values_many",
]

F = npt.NDArray[np.float64]
_TOTAL_CF = CASHFLOW_COLUMNS.index("total_cash_flow")


@dataclass(frozen=True)
class Security:
    """What is valued: a pool (one instrument) or a deal's tranches (one per tranche).

    Build with :func:`pool_security` or :func:`deal_security`. ``model`` is a
    :class:`~trancheflow.collateral.prepay_model.RefiPrepayModel`, ``None``
    (the assumptions' constant speed) or any behaviour with a
    ``project_paths`` method (see :func:`security_cash_flows`).
    """

    loans: LoanArrays
    assumptions: Assumptions
    model: RefiPrepayModel | Any
    n_periods: int
    names: tuple[str, ...]
    faces: tuple[float, ...]
    start_month_of_year: int = 1
    waterfall: Any = None
    pool_balance: float = 0.0
    indices: tuple[str, ...] = ()

    @property
    def n_instruments(self) -> int:
        """Number of instruments valued (1 for a pool)."""
        return len(self.names)


def pool_security(
    pool: pd.DataFrame | RepLine | Sequence[RepLine] | LoanArrays,
    assumptions: Assumptions | None = None,
    model: RefiPrepayModel | Any = None,
    *,
    start_month_of_year: int = 1,
    n_periods: int | None = None,
    name: str = "pool",
) -> Security:
    """A pass-through: the pool's total cash flow (net interest + principal).

    Parameters
    ----------
    pool : DataFrame, RepLine, sequence of RepLine or LoanArrays
    assumptions : Assumptions, optional
        Defaults, severity, lag, advancing (default ``CPR 0`` / ``CDR 0``);
        its prepayment speed is used only when ``model`` is None.
    model : RefiPrepayModel, optional
        Rate-driven prepayments; ``None`` prepays at ``assumptions.prepay``.
    start_month_of_year : int, default 1
        Calendar month of period 1 (seasonality).
    n_periods : int, optional
        Horizon, default the longest remaining life.
    """
    loans = pool if isinstance(pool, LoanArrays) else loan_arrays(pool)
    a = assumptions if assumptions is not None else Assumptions("CPR 0", "CDR 0")
    horizon = int(loans.life.max()) if loans.n_loans else 0
    n = horizon if n_periods is None else int(n_periods)
    if n < 1:
        raise AnalyticsError(f"the pool has no cash flows to value (horizon {n} months)")
    return Security(
        loans=loans,
        assumptions=a,
        model=model,
        n_periods=n,
        names=(name,),
        faces=(float(loans.bal.sum()),),
        start_month_of_year=start_month_of_year,
    )


def deal_security(
    spec: Any,
    model: RefiPrepayModel | Any = None,
    *,
    assumptions: Assumptions | None = None,
    start_month_of_year: int = 1,
) -> Security:
    """Every tranche of a deal spec (residual last, with no face).

    The collateral and its default/severity assumptions come from the spec
    (``assumptions`` overrides them); prepayments follow ``model`` when given,
    the spec's speed otherwise.
    """
    from trancheflow.deal.params import WaterfallParams
    from trancheflow.deal.run import collateral_pool, pool_balance_units

    pool = collateral_pool(spec)
    loans = loan_arrays(pool)
    if assumptions is None:
        s = spec.assumptions
        assumptions = Assumptions(
            s.prepay, s.default, severity=s.severity, recovery_lag=s.recovery_lag, advance=s.advance
        )
    params = WaterfallParams.from_spec(spec)
    scale = float(10**params.decimals)
    units = pool_balance_units(spec, pool)
    faces = (*tuple(b / scale for b in params.tranche_balances), float("nan"))
    indices = tuple(sorted({f.index for f in params.floating if f is not None}))
    return Security(
        loans=loans,
        assumptions=assumptions,
        model=model,
        n_periods=int(loans.life.max()),
        names=(*params.names, params.residual_name),
        faces=faces,
        start_month_of_year=start_month_of_year,
        waterfall=params,
        pool_balance=units / scale,
        indices=indices,
    )


@dataclass(frozen=True)
class MonteCarloSettings:
    """Rate model and simulation settings.

    Parameters
    ----------
    n_paths : int, default 1000
        Rate paths (even when antithetic).
    seed : int or None, default 1
        Seed of the normals; the same seed gives the same random numbers for
        shifted curves (effective duration).
    mean_reversion, volatility : float
        Hull-White ``a`` (per year) and ``sigma`` (normal, per sqrt(year)).
    antithetic, sobol : bool
        Variance reduction (see :func:`~trancheflow.rates.paths.standard_normals`).
    mortgage : MortgageRateModel
        Mortgage rate from the path's long rate.
    rate_model : {"hw", "cir"}, default "hw"
        Hull-White or CIR++ (see :meth:`short_rate_model`).
    delay_days : int, default 0
        Actual payment delay (see the module conventions).
    precision : {"float32", "float64"}, default "float32"
        Float type of the loan-level Monte Carlo kernel for a pool without
        defaults (balances, survival and the model in that type; pool totals
        in float64). float32 moves prices by under 0.1 cent per 100 against
        float64 (``tests/unit/analytics/test_oas.py``).
    chunks : int, optional
        Path chunks; default 1 inline, ``2 x workers`` otherwise. A pool with
        the rate-driven model and no defaults ignores ``chunks`` and
        ``workers``: it runs in this process, paths on numba threads
        (:func:`simulate_values_many`); ``scheduler`` still sends it to Dask.
    workers : int, optional
        Local processes (default all cores; 1 runs inline).
    scheduler : str or dask.distributed.Client, optional
        Dask scheduler; overrides ``workers``.
    """

    n_paths: int = 1000
    seed: int | None = 1
    mean_reversion: float = 0.05
    volatility: float = 0.01
    antithetic: bool = True
    sobol: bool = False
    mortgage: MortgageRateModel = field(default_factory=MortgageRateModel)
    delay_days: int = 0
    chunks: int | None = None
    workers: int | None = None
    scheduler: Any = None
    precision: str = "float32"
    rate_model: str = "hw"

    def __post_init__(self) -> None:
        if self.precision not in ("float32", "float64"):
            raise AnalyticsError(f"precision {self.precision!r} must be 'float32' or 'float64'")
        if self.rate_model not in ("hw", "cir"):
            raise AnalyticsError(f"rate_model {self.rate_model!r} must be 'hw' or 'cir'")

    def short_rate_model(self, curve: ZeroCurve) -> HullWhite1F | ShiftedCIR:
        """The short-rate model fitted to ``curve``.

        ``"hw"``: Hull-White with ``mean_reversion`` and normal ``volatility``.
        ``"cir"``: CIR++ (:class:`~trancheflow.rates.cir.ShiftedCIR`) with the
        same mean reversion, its factor starting at (and reverting to) the
        curve's short forward ``f0``, and volatility coefficient
        ``volatility / sqrt(f0)`` so that today's normal volatility matches.
        """
        if self.rate_model == "cir":
            f0 = max(float(curve.instantaneous_forward(0.0)), 1e-4)
            return ShiftedCIR(curve, self.mean_reversion, max(self.volatility, 1e-12) / f0**0.5)
        return HullWhite1F(curve, self.mean_reversion, self.volatility)

    def describe(self) -> str:
        """One line naming the rate model and its parameters (for risk tables)."""
        kind = "CIR++" if self.rate_model == "cir" else "Hull-White"
        sampling = "Sobol'" if self.sobol else "pseudo-random"
        return (
            f"{kind} a={self.mean_reversion:g} sigma={self.volatility:g} (normal, today); "
            f"{self.n_paths} paths, seed {self.seed}, {sampling}"
            f"{', antithetic' if self.antithetic else ''}; mortgage rate = "
            f"{self.mortgage.a:g} + {self.mortgage.b:g} x {self.mortgage.tenor_years:g}y "
            f"{self.mortgage.kind} rate"
        )

    def zero_volatility(self) -> MonteCarloSettings:
        """One path on the forward curve (``sigma = 0``), run inline."""
        return replace(
            self,
            n_paths=1,
            volatility=0.0,
            antithetic=False,
            sobol=False,
            chunks=1,
            workers=1,
            scheduler=None,
        )


@dataclass(frozen=True)
class PathValues:
    """Discounted cash flows per path, period and instrument (before any OAS).

    Attributes
    ----------
    dcf : ndarray (n_paths, n_periods, n_instruments)
        Cash flow times the path's discount factor.
    times : ndarray (n_periods,)
        Receipt times in years (``k/12 + delay_days/360``).
    names, faces
        Instrument names; faces (NaN for a residual).
    antithetic : bool
        Whether paths ``i`` and ``i + n/2`` pair (for standard errors).
    mean_cash_flow : ndarray (n_periods, n_instruments)
        Undiscounted cash flow averaged over paths.
    paths : RatePaths
        The simulated rate paths (their :meth:`~trancheflow.rates.RatePaths.estimate`
        gives standard errors that respect antithetic pairs).
    """

    dcf: F
    times: F
    names: tuple[str, ...]
    faces: F
    antithetic: bool
    mean_cash_flow: F
    paths: RatePaths

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.dcf.shape[0])


def security_cash_flows(
    security: Security, mrates: F, short: F | None, precision: str = "float64"
) -> tuple[F, Any]:
    """Project the collateral on every path and run the waterfall (one chunk of paths).

    Returns the undiscounted cash flow per path, period and instrument
    ``(n_paths, n_periods, n_instruments)`` and the deal's
    :class:`~trancheflow.deal.waterfall.FloatResult` (``None`` for a pool).
    The projection is ``security.model.project_paths(...)`` when the model
    has that method (a behaviour model bound to its tape, such as
    :class:`trancheflow.models.tranche_pricing.MLBehaviour`), else
    :func:`~trancheflow.collateral.path_kernel.project_paths`.
    """
    project = getattr(security.model, "project_paths", None)
    if callable(project):
        cube = project(
            security.loans,
            mrates,
            security.assumptions,
            start_month_of_year=security.start_month_of_year,
            n_periods=security.n_periods,
            precision=precision,
        )
    else:
        cube = project_paths(
            security.loans,
            security.model,
            mrates,
            security.assumptions,
            start_month_of_year=security.start_month_of_year,
            n_periods=security.n_periods,
            precision=precision,  # type: ignore[arg-type]
        )
    if security.waterfall is None:
        return cube[:, :, _TOTAL_CF : _TOTAL_CF + 1], None
    from trancheflow.deal.collections import Collections
    from trancheflow.deal.waterfall import FloatWaterfall

    idx = dict.fromkeys(security.indices, short) if short is not None else None
    res = FloatWaterfall(security.waterfall).run(
        Collections.from_scenarios(cube),
        pool_balance=security.pool_balance,
        index_paths=idx,
    )
    return np.concatenate([res.cash_flow, res.residual[:, :, None]], axis=2), res


def _value_chunk(security: Security, payload: tuple[F, F, F | None, str]) -> tuple[F, F]:
    """Project, run the waterfall and discount one chunk of paths."""
    mrates, disc, short, precision = payload
    cf, _ = security_cash_flows(security, mrates, short, precision)
    return cf * disc[:, :, None], cf.sum(axis=0)


def simulate_values(
    security: Security,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> PathValues:
    """Simulate rate paths and return every instrument's discounted cash flows per path.

    Parameters
    ----------
    security : Security
    curve : ZeroCurve
        The zero curve the Hull-White model is fitted to.
    settings : MonteCarloSettings
    progress : callable, optional
        ``progress(paths_done, n_paths)`` as chunks finish.
    """
    if _fast(security, settings):
        return simulate_values_many(security, [curve], settings, progress=progress)[0]
    T = security.n_periods
    paths = _simulate_paths(curve, settings, T)
    mrates = settings.mortgage.rate(paths)[:, :T]
    disc = paths.discount[:, 1 : T + 1]
    if settings.delay_days:
        disc = disc * np.exp(-paths.short_rate[:, 1 : T + 1] * (settings.delay_days / 360.0))
    short = paths.short_rate[:, :T] if security.indices else None
    n = settings.n_paths
    if settings.chunks is not None:
        n_chunks = settings.chunks
    elif settings.scheduler is not None:
        n_chunks = 8
    else:
        w = default_workers() if settings.workers is None else settings.workers
        n_chunks = 1 if w == 1 else 2 * w
    bounds = chunk_bounds(n, n_chunks)
    payloads = [
        (
            np.ascontiguousarray(mrates[a:b]),
            np.ascontiguousarray(disc[a:b]),
            None if short is None else np.ascontiguousarray(short[a:b]),
            settings.precision,
        )
        for a, b in bounds
    ]
    results = map_chunks(
        _value_chunk,
        security,
        payloads,
        workers=settings.workers,
        scheduler=settings.scheduler,
        sizes=[b - a for a, b in bounds],
        progress=progress,
    )
    dcf = np.concatenate([r[0] for r in results], axis=0)
    mean_cf = np.sum([r[1] for r in results], axis=0) / n
    return PathValues(
        dcf=dcf,
        times=flow_times(T, settings.delay_days),
        names=security.names,
        faces=np.asarray(security.faces, dtype=np.float64),
        antithetic=settings.antithetic,
        mean_cash_flow=mean_cf,
        paths=paths,
    )


def _fast(security: Security, settings: MonteCarloSettings) -> bool:
    """A pool with the rate-driven model and no defaults, run in this process."""
    return (
        security.waterfall is None
        and isinstance(security.model, RefiPrepayModel)
        and settings.scheduler is None
        and not has_defaults(security.loans, security.assumptions, security.n_periods)
    )


def _simulate_paths(curve: ZeroCurve, settings: MonteCarloSettings, T: int) -> RatePaths:
    return settings.short_rate_model(curve).simulate(
        settings.n_paths,
        T,
        seed=settings.seed,
        antithetic=settings.antithetic,
        sobol=settings.sobol,
    )


def simulate_values_many(
    security: Security,
    curves: Sequence[ZeroCurve],
    settings: MonteCarloSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[PathValues]:
    """:func:`simulate_values` on several curves (base, shifted) sharing one projection run.

    Every curve's paths use the same random numbers (the same seed); for a
    pool with the rate-driven model and no defaults the loans are blocked
    once and one call of the loan-level kernel
    (:func:`~trancheflow.collateral.path_kernel.mc_kernel`, numba threads over
    paths, no process pool and no pickling) projects every path of every
    curve. Other securities fall back to one :func:`simulate_values` per curve.
    """
    if not _fast(security, settings):
        out: list[PathValues] = []
        for k, c in enumerate(curves):

            def step(done: int, _n: int, k: int = k) -> None:
                if progress is not None:
                    progress(k * settings.n_paths + done, len(curves) * settings.n_paths)

            out.append(simulate_values(security, c, settings, progress=step))
        return out
    assert isinstance(security.model, RefiPrepayModel)
    T = security.n_periods
    n = settings.n_paths
    all_paths = [_simulate_paths(c, settings, T) for c in curves]
    mrates = np.concatenate([settings.mortgage.rate(p)[:, :T] for p in all_paths])
    dt = np.float32 if settings.precision == "float32" else np.float64
    tables = kernel_loans(security.loans, security.model, T, dt)
    season = season_by_period(security.model, security.start_month_of_year, T)
    if progress is not None:
        progress(0, n * len(curves))
    acc = mc_accumulators(tables, security.model, mrates, season)
    if progress is not None:
        progress(n * len(curves), n * len(curves))
    cf_all = acc[:, :T, MC_EINT] + acc[:, :T, MC_P0] - acc[:, :T, MC_PQ] + acc[:, :T, MC_VOL]
    values = []
    for k, paths in enumerate(all_paths):
        cf = cf_all[k * n : (k + 1) * n]
        disc = paths.discount[:, 1 : T + 1]
        if settings.delay_days:
            disc = disc * np.exp(-paths.short_rate[:, 1 : T + 1] * (settings.delay_days / 360.0))
        values.append(
            PathValues(
                dcf=(cf * disc)[:, :, None],
                times=flow_times(T, settings.delay_days),
                names=security.names,
                faces=np.asarray(security.faces, dtype=np.float64),
                antithetic=settings.antithetic,
                mean_cash_flow=cf.mean(axis=0)[:, None],
                paths=paths,
            )
        )
    return values

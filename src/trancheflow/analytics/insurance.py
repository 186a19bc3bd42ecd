"""Sizing a deal's first-loss insurance fund against a junior-loss probability.

:func:`size_insurance_fund` draws credit scenarios around the spec's
assumptions, projects the collateral once per scenario, and runs the float
waterfall over all scenarios in one vectorised call per candidate fund size,
the waterfall modelling the fund's balance path by path
(:class:`~trancheflow.deal.waterfall.FloatWaterfall`, ``fund_assets=``:
each period the fund can pay ``min(assets, cap)``, then
``assets += premium - cover``). It bisects on the fund's assets at closing
for the smallest fund that keeps ``P(junior loss > 0)`` at or below the
target.

Scenarios (:func:`draw_loss_scenarios`), seeded with ``numpy.random.default_rng(seed)``:

* default speed: the spec's curve scaled by a lognormal multiplier
  ``m = exp(sigma_cdr * Z - sigma_cdr**2 / 2)`` (mean 1), so ``SDA 100``
  becomes ``SDA 100 m``;
* severity: ``min(1, severity * exp(sigma_sev * W - sigma_sev**2 / 2))``;
* prepayment speed, recovery lag and advancing as in the spec;
  ``Z`` and ``W`` independent standard normals.

A tranche "loses" in a scenario when its principal writedowns over the life
exceed ``loss_threshold``, by default one millionth of its original face (the
float waterfall leaves writedowns of a fraction of a token unit from rounding
in scenarios that lose nothing). "Without the fund" is the same deal with no
insurance at all (no premium, no cover).

Examples
--------
>>> from trancheflow.deal.spec import DealSpec
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-INS",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 60, "wam": 60}]},
...     "assumptions": {"prepay": "CPR 6", "default": "CDR 6", "severity": 0.5,
...                     "recovery_lag": 0},
...     "tranches": [{"name": "A", "balance": 900, "coupon": 0.05},
...                  {"name": "B", "balance": 90, "coupon": 0.06},
...                  {"name": "R", "residual": True}],
...     "insurance": {"premium_rate": 0.001},
... })
>>> s = size_insurance_fund(spec, target_probability=0.1, n_scenarios=40, seed=1)
>>> s.tranche, s.loss_probability <= 0.1 < s.loss_probability_without
('B', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.deal.collections import Collections
from trancheflow.deal.params import WaterfallParams
from trancheflow.deal.run import collateral_pool, pool_balance_units
from trancheflow.deal.spec import DealSpec
from trancheflow.deal.waterfall import FloatResult, FloatWaterfall
from trancheflow.errors import AnalyticsError

__all__ = [
    "FundSizing",
    "LossScenarios",
    "draw_loss_scenarios",
    "loss_probability_curve",
    "size_insurance_fund",
]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LossScenarios:
    """Credit scenarios: a default-speed multiplier and a severity per scenario."""

    cdr_multiplier: F
    severity: F

    def __len__(self) -> int:
        return int(self.cdr_multiplier.shape[0])


def draw_loss_scenarios(
    spec: DealSpec,
    n_scenarios: int = 500,
    *,
    seed: int = 0,
    cdr_sigma: float = 0.75,
    severity_sigma: float = 0.25,
) -> LossScenarios:
    """Seeded lognormal default multipliers and severities around ``spec`` (module doc).

    Examples
    --------
    >>> from trancheflow.deal.spec import DealSpec
    >>> spec = DealSpec.model_validate({"deal": "X", "collateral": {"rep_lines": [
    ...     {"balance": 1, "gross_rate": 0.07, "net_rate": 0.06, "term": 12, "wam": 12}]},
    ...     "assumptions": {"severity": 0.4},
    ...     "tranches": [{"name": "A", "balance": 1, "coupon": 0.05},
    ...                  {"name": "R", "residual": True}]})
    >>> s = draw_loss_scenarios(spec, 20_000, seed=3)
    >>> round(float(s.cdr_multiplier.mean()), 1), bool((s.severity <= 1).all())
    (1.0, True)
    """
    if n_scenarios < 1:
        raise AnalyticsError(f"n_scenarios {n_scenarios!r} must be >= 1")
    if cdr_sigma < 0 or severity_sigma < 0:
        raise AnalyticsError("cdr_sigma and severity_sigma must be >= 0")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_scenarios)
    w = rng.standard_normal(n_scenarios)
    mult = np.exp(cdr_sigma * z - 0.5 * cdr_sigma**2)
    sev = np.minimum(
        1.0, spec.assumptions.severity * np.exp(severity_sigma * w - 0.5 * severity_sigma**2)
    )
    return LossScenarios(cdr_multiplier=mult, severity=sev)


@dataclass(frozen=True)
class FundSizing:
    """The result of :func:`size_insurance_fund` (amounts in currency).

    Attributes
    ----------
    tranche : str
        The tranche protected (the most junior by default).
    target_probability : float
    fund_size : float
        Smallest fund assets at closing found with ``P(loss) <= target``.
    loss_probability, loss_probability_without : float
        ``P(tranche loss > 0)`` at ``fund_size`` / with no insurance at all.
    expected_premium, expected_cover : float
        Mean over scenarios of the premium paid to / cover paid by the fund
        over the deal's life, at ``fund_size`` (undiscounted).
    tranche_loss, tranche_loss_without : numpy.ndarray
        The tranche's life writedowns per scenario, with the sized fund / without.
    fund_size_tolerance : float
        Width of the final bisection bracket: a fund this much smaller misses
        the target.
    scenarios : LossScenarios or None
        The drawn scenarios (None when the caller passed assumptions).
    """

    tranche: str
    target_probability: float
    fund_size: float
    loss_probability: float
    loss_probability_without: float
    expected_premium: float
    expected_cover: float
    tranche_loss: F
    tranche_loss_without: F
    fund_size_tolerance: float
    iterations: int
    scenarios: LossScenarios | None

    def loss_distribution(
        self, quantiles: Sequence[float] = (0.5, 0.9, 0.95, 0.99)
    ) -> pd.DataFrame:
        """The tranche loss with and without the fund: probability, mean, quantiles, max."""
        rows = []
        for label, loss, prob in (
            ("without fund", self.tranche_loss_without, self.loss_probability_without),
            ("with fund", self.tranche_loss, self.loss_probability),
        ):
            row: dict[str, object] = {"case": label, "p_loss": prob, "mean": float(loss.mean())}
            for q in quantiles:
                row[f"q{100 * q:g}"] = float(np.quantile(loss, q))
            row["max"] = float(loss.max())
            rows.append(row)
        return pd.DataFrame(rows)


def _tranche_index(params: WaterfallParams, tranche: str | None) -> int:
    if tranche is None:
        return params.n_tranches - 1
    if tranche not in params.names:
        raise AnalyticsError(
            f"tranche {tranche!r} is not a debt tranche of the deal {params.names}"
        )
    return params.names.index(tranche)


@dataclass
class _Setup:
    """Scenarios projected once: what every candidate fund size runs on."""

    spec: DealSpec
    params: WaterfallParams
    collections: Collections
    pool0: float
    k: int
    tol: float
    drawn: LossScenarios | None

    def run(self, fund: float, *, bare: bool = False) -> FloatResult:
        p = self.params
        if bare:
            p = replace(p, insurance_premium_rate=0, insurance_cap=0)
        return FloatWaterfall(p).run(
            self.collections,
            pool_balance=self.pool0,
            index_paths=dict(self.spec.indices),
            fund_assets=fund,
        )

    def loss(self, r: FloatResult) -> F:
        return np.asarray(r.writedown[:, :, self.k].sum(1), dtype=np.float64)

    def prob(self, fund: float) -> tuple[float, FloatResult]:
        r = self.run(fund)
        return float((self.loss(r) > self.tol).mean()), r


def _setup(
    spec: DealSpec,
    scenarios: LossScenarios | Sequence[object] | None,
    tranche: str | None,
    n_scenarios: int,
    seed: int,
    cdr_sigma: float,
    severity_sigma: float,
    n_periods: int | None,
    loss_threshold: float | None,
) -> _Setup:
    from trancheflow.collateral import Assumptions, project_scenarios
    from trancheflow.collateral.speeds import parse_default

    a = spec.assumptions
    drawn: LossScenarios | None = None
    if scenarios is None or isinstance(scenarios, LossScenarios):
        drawn = (
            scenarios
            if scenarios is not None
            else draw_loss_scenarios(
                spec, n_scenarios, seed=seed, cdr_sigma=cdr_sigma, severity_sigma=severity_sigma
            )
        )
        base = parse_default(a.default)
        scen = [
            Assumptions(
                a.prepay,
                base.scaled(float(m)),
                severity=float(s),
                recovery_lag=a.recovery_lag,
                advance=a.advance,
            )
            for m, s in zip(drawn.cdr_multiplier, drawn.severity, strict=True)
        ]
    else:
        scen = [x for x in scenarios if isinstance(x, Assumptions)]
        if not scen or len(scen) != len(scenarios):
            raise AnalyticsError(
                "scenarios must be LossScenarios or a non-empty sequence of Assumptions"
            )
    pool = collateral_pool(spec)
    coll = Collections.from_scenarios(project_scenarios(pool, scen, n_periods=n_periods))
    params = WaterfallParams.from_spec(spec)
    k = _tranche_index(params, tranche)
    us = float(10**params.decimals)
    tol = 1e-6 * params.tranche_balances[k] / us if loss_threshold is None else loss_threshold
    if tol < 0:
        raise AnalyticsError(f"loss_threshold {loss_threshold!r} must be >= 0")
    return _Setup(spec, params, coll, pool_balance_units(spec, pool) / us, k, tol, drawn)


def loss_probability_curve(
    spec: DealSpec,
    fund_sizes: Sequence[float],
    *,
    scenarios: LossScenarios | Sequence[object] | None = None,
    tranche: str | None = None,
    n_scenarios: int = 500,
    seed: int = 0,
    cdr_sigma: float = 0.75,
    severity_sigma: float = 0.25,
    n_periods: int | None = None,
    loss_threshold: float | None = None,
) -> pd.DataFrame:
    """``P(tranche loss > 0)`` and fund flows for each fund size (same scenarios).

    Parameters are those of :func:`size_insurance_fund`; ``fund_sizes`` are
    the fund's assets at closing, in currency.

    Returns
    -------
    pandas.DataFrame
        Columns ``fund_size, loss_probability, expected_loss, expected_premium,
        expected_cover`` (means over scenarios of life totals).
    """
    st = _setup(
        spec,
        scenarios,
        tranche,
        n_scenarios,
        seed,
        cdr_sigma,
        severity_sigma,
        n_periods,
        loss_threshold,
    )
    rows = []
    for fund in fund_sizes:
        if not np.isfinite(fund) or fund < 0:
            raise AnalyticsError(f"fund size {fund!r} must be a finite amount >= 0")
        p, r = st.prob(float(fund))
        rows.append(
            {
                "fund_size": float(fund),
                "loss_probability": p,
                "expected_loss": float(st.loss(r).mean()),
                "expected_premium": float(r.insurance_premium.sum(1).mean()),
                "expected_cover": float(r.insurance_cover.sum(1).mean()),
            }
        )
    return pd.DataFrame(rows)


def size_insurance_fund(
    spec: DealSpec,
    *,
    target_probability: float = 0.01,
    scenarios: LossScenarios | Sequence[object] | None = None,
    tranche: str | None = None,
    n_scenarios: int = 500,
    seed: int = 0,
    cdr_sigma: float = 0.75,
    severity_sigma: float = 0.25,
    n_periods: int | None = None,
    rtol: float = 1e-4,
    max_iter: int = 60,
    loss_threshold: float | None = None,
) -> FundSizing:
    """Smallest first-loss fund keeping ``P(tranche loss > 0) <= target_probability``.

    Parameters
    ----------
    spec : DealSpec
        The deal; its ``insurance`` key gives the premium rate and per-period
        cap (without it: no premium, no cap).
    target_probability : float
        In ``[0, 1)``.
    scenarios : LossScenarios or sequence of Assumptions, optional
        Default: :func:`draw_loss_scenarios` with ``n_scenarios``, ``seed``,
        ``cdr_sigma``, ``severity_sigma``.
    tranche : str, optional
        The tranche protected; default the most junior debt tranche.
    n_periods : int, optional
        Projection horizon; default the collateral's remaining life.
    rtol : float
        Bisection stops when the bracket is narrower than ``rtol`` times the
        fund size (or one token unit).
    max_iter : int
        Bisection steps at most.
    loss_threshold : float, optional
        Life writedowns (currency) above which a scenario counts as a loss;
        default ``1e-6`` times the tranche's original face.

    Returns
    -------
    FundSizing

    Raises
    ------
    AnalyticsError
        When the target cannot be met by any fund (the per-period cap binds).
    """
    if not 0.0 <= target_probability < 1.0:
        raise AnalyticsError(f"target_probability {target_probability!r} must be in [0, 1)")
    st = _setup(
        spec,
        scenarios,
        tranche,
        n_scenarios,
        seed,
        cdr_sigma,
        severity_sigma,
        n_periods,
        loss_threshold,
    )
    params, us = st.params, float(10**st.params.decimals)
    loss_without = st.loss(st.run(0.0, bare=True))
    iterations = 0
    best_p, best_r = st.prob(0.0)
    lo = hi = 0.0
    if best_p > target_probability:
        # every cover pays principal of a debt tranche, so twice the pool is ample
        hi_max = 2.0 * max(st.pool0, float(sum(params.tranche_balances)) / us)
        hi = min(max(float(loss_without.max()), 1.0), hi_max)
        while True:
            iterations += 1
            p_hi, r_hi = st.prob(hi)
            if p_hi <= target_probability:
                break
            if hi >= hi_max:
                raise AnalyticsError(
                    f"no fund keeps P({params.names[st.k]} loss > 0) <= {target_probability:g}: "
                    f"even {hi:,.0f} leaves {p_hi:.4g} (the per-period cap "
                    f"{params.insurance_cap / us:,.0f} binds)"
                )
            lo, hi = hi, min(2.0 * hi, hi_max)
        best_p, best_r = p_hi, r_hi
        while iterations < max_iter and hi - lo > max(rtol * hi, 1.0 / us):
            iterations += 1
            mid = 0.5 * (lo + hi)
            p_mid, r_mid = st.prob(mid)
            if p_mid <= target_probability:
                hi, best_p, best_r = mid, p_mid, r_mid
            else:
                lo = mid
    return FundSizing(
        tranche=params.names[st.k],
        target_probability=target_probability,
        fund_size=hi,
        loss_probability=best_p,
        loss_probability_without=float((loss_without > st.tol).mean()),
        expected_premium=float(best_r.insurance_premium.sum(1).mean()),
        expected_cover=float(best_r.insurance_cover.sum(1).mean()),
        tranche_loss=st.loss(best_r),
        tranche_loss_without=loss_without,
        fund_size_tolerance=hi - lo,
        iterations=iterations,
        scenarios=st.drawn,
    )

"""Monte Carlo effective duration, convexity and key-rate durations at a constant OAS.

For a shock ``dy`` (default 25bp): the zero curve is shifted ``±dy``, Hull-White
is **refitted** to the shifted curve, the paths are re-simulated with the
**same seed** (same random numbers), the mortgage rates and prepayments
respond (the pool is re-projected and the waterfall re-run) and every
instrument is re-priced at its base OAS::

    effective duration  = (P(-dy) - P(+dy)) / (2 · P0 · dy)
    effective convexity = (P(-dy) + P(+dy) - 2 · P0) / (P0 · dy²)

Key-rate durations bump one key tenor at a time
(:meth:`~trancheflow.rates.ZeroCurve.key_rate_shifted`, triangular bumps that
add up to the parallel shift) and use the same central difference; they add up
to (about) the effective duration.

Examples
--------
>>> from trancheflow.analytics.montecarlo import MonteCarloSettings, pool_security
>>> from trancheflow.collateral import Assumptions, RepLine
>>> from trancheflow.rates import ZeroCurve
>>> sec = pool_security(RepLine(1e6, 0.06, 0.06, 120, 120, 0), Assumptions("CPR 0", "CDR 0"))
>>> r = effective_risk(sec, ZeroCurve([30.0], [0.05]), MonteCarloSettings(n_paths=8, workers=1),
...                    oas=0.0)[0]
>>> 3.0 < r.effective_duration < 5.0 and r.effective_convexity > 0
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from trancheflow.errors import AnalyticsError
from trancheflow.rates import ZeroCurve

from .montecarlo import (
    MonteCarloSettings,
    PathValues,
    Security,
    simulate_values_many,
)
from .oas import oas_from_price, price_from_oas, resolve_per_instrument

__all__ = ["RiskResult", "effective_risk"]


@dataclass(frozen=True)
class RiskResult:
    """Effective measures of one instrument (durations in years, convexity in years²)."""

    name: str
    oas: float
    price: float
    price_se: float
    price_up: float
    price_down: float
    effective_duration: float
    effective_convexity: float
    shock_bp: float
    key_rate_durations: dict[float, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain values (NaN -> None) for JSON."""
        out = asdict(self)
        out["key_rate_durations"] = {f"{k:g}y": v for k, v in self.key_rate_durations.items()}
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def effective_risk(
    security: Security,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    price: float | Mapping[str, float] | None = None,
    oas: float | Mapping[str, float] | None = None,
    shock_bp: float = 25.0,
    key_rate_tenors: Sequence[float] | None = None,
    values: PathValues | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RiskResult]:
    """Effective duration/convexity (and key-rate durations) of every instrument.

    Parameters
    ----------
    security, curve, settings
        As in :func:`~trancheflow.analytics.oas.oas_analysis`.
    price, oas : float or mapping
        Exactly one: the OAS is solved from the price, or given (decimal).
    shock_bp : float, default 25
        Parallel shift and key-rate bump, basis points.
    key_rate_tenors : sequence of float, optional
        Key tenors (years) to bump, e.g. :data:`~trancheflow.rates.KEY_RATE_TENORS`;
        default none (each tenor costs two more simulations).
    values : PathValues, optional
        Base-curve values already simulated with ``settings``.
    progress : callable, optional
        ``progress(paths_done, paths_total)`` over all the simulations.
    """
    if (price is None) == (oas is None):
        raise AnalyticsError("give exactly one of price or oas")
    if not (math.isfinite(shock_bp) and shock_bp > 0):
        raise AnalyticsError(f"shock_bp {shock_bp!r} must be a finite number > 0")
    tenors = list(key_rate_tenors or [])
    n_runs = 3 + 2 * len(tenors) - (values is not None)
    total = n_runs * settings.n_paths

    # every curve shares the seed (same random numbers); one projection run covers them
    curves = [curve.shifted(shock_bp), curve.shifted(-shock_bp)]
    for tenor in tenors:
        curves += [
            curve.key_rate_shifted(tenor, shock_bp),
            curve.key_rate_shifted(tenor, -shock_bp),
        ]
    if values is None:
        curves.insert(0, curve)

    def step(k: int, _n: int) -> None:
        if progress is not None:
            progress(k, total)

    runs = simulate_values_many(security, curves, settings, progress=step)
    base = values if values is not None else runs.pop(0)
    if price is not None:
        spreads = oas_from_price(base, resolve_per_instrument(base.names, price, "price"))
    else:
        spreads = resolve_per_instrument(base.names, oas, "oas")
    o = np.nan_to_num(spreads)
    p0, se0 = price_from_oas(base, o)
    up, _ = price_from_oas(runs[0], o)
    down, _ = price_from_oas(runs[1], o)
    dy = shock_bp * 1e-4
    krd: list[dict[float, float]] = [{} for _ in base.names]
    for j, tenor in enumerate(tenors):
        pu, _ = price_from_oas(runs[2 + 2 * j], o)
        pd_, _ = price_from_oas(runs[3 + 2 * j], o)
        for k in range(len(base.names)):
            krd[k][float(tenor)] = float((pd_[k] - pu[k]) / (2 * p0[k] * dy))
    out = []
    for k, name in enumerate(base.names):
        ok = math.isfinite(spreads[k]) and math.isfinite(p0[k])
        nan = math.nan
        out.append(
            RiskResult(
                name=name,
                oas=float(spreads[k]),
                price=float(p0[k]) if ok else nan,
                price_se=float(se0[k]) if ok else nan,
                price_up=float(up[k]) if ok else nan,
                price_down=float(down[k]) if ok else nan,
                effective_duration=float((down[k] - up[k]) / (2 * p0[k] * dy)) if ok else nan,
                effective_convexity=(
                    float((down[k] + up[k] - 2 * p0[k]) / (p0[k] * dy * dy)) if ok else nan
                ),
                shock_bp=float(shock_bp),
                key_rate_durations=krd[k] if ok else {},
            )
        )
    return out

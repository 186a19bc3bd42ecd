"""Option-adjusted spread: price at an OAS, OAS at a price, option cost.

On path ``p`` the cash flow of period ``k`` is discounted by
``paths.discount[p, k] · exp(-oas · t_k)`` (continuously compounded spread
over the path's short rates; ``t_k = k/12 + delay/360``). The price at an OAS
is the mean over paths of the present value, in percent of face, with its
Monte Carlo standard error from
:meth:`~trancheflow.rates.RatePaths.estimate` (antithetic pairs averaged
first). The OAS at a price solves the mean with Brent's method on the **same
random numbers**: cash flows do not depend on the OAS, so the paths are
projected once and only the discounting changes (:class:`PathValues` holds
the discounted cash flows, and the mean price at any OAS is one dot product).

**Option cost** = Z-spread - OAS, where the Z-spread is the one that prices
the **zero-volatility** cash flows (one path on the forward curve, ``sigma =
0``; :meth:`MonteCarloSettings.zero_volatility`) to the same price
(:mod:`trancheflow.analytics.zspread`, same continuous-compounding
convention). With no volatility the OAS therefore equals the Z-spread.

Examples
--------
>>> from trancheflow.collateral import Assumptions, RepLine
>>> from trancheflow.rates import ZeroCurve
>>> sec = pool_security(RepLine(1e6, 0.065, 0.06, 360, 360, 0), Assumptions("CPR 8", "CDR 0"))
>>> s = MonteCarloSettings(n_paths=16, workers=1)
>>> res = oas_analysis(sec, ZeroCurve([30.0], [0.04]), s, price=100.0)
>>> r = res[0]
>>> round(r.price, 6), bool(abs(r.option_cost) < 3 * r.oas_se)  # constant CPR: no option
(100.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from trancheflow.errors import AnalyticsError, SolverError
from trancheflow.rates import ZeroCurve

from .montecarlo import MonteCarloSettings, PathValues, Security, pool_security, simulate_values
from .zspread import SPREAD_BRACKET, zspread_from_price

__all__ = [
    "OASResult",
    "oas_analysis",
    "oas_from_price",
    "path_present_values",
    "pool_security",
    "price_from_oas",
    "resolve_per_instrument",
]

F = npt.NDArray[np.float64]


def _oas_vector(values: PathValues, oas: float | npt.ArrayLike) -> F:
    o = np.broadcast_to(np.asarray(oas, dtype=np.float64), (len(values.names),)).copy()
    if not np.all(np.isfinite(o)):
        raise AnalyticsError(f"oas {oas!r} must be finite")
    return o


def path_present_values(values: PathValues, oas: float | npt.ArrayLike) -> F:
    """Present value on every path, ``(n_paths, n_instruments)``, at ``oas`` (decimal)."""
    o = _oas_vector(values, oas)
    spread = np.exp(-np.outer(values.times, o))  # (T, n_instr)
    return np.einsum("ptk,tk->pk", values.dcf, spread)


def price_from_oas(values: PathValues, oas: float | npt.ArrayLike) -> tuple[F, F]:
    """Full price (percent of face) and its Monte Carlo standard error at ``oas``.

    Instruments without a face (a residual) get NaN.
    """
    pv = path_present_values(values, oas)
    mean, se = values.paths.estimate(pv)
    with np.errstate(invalid="ignore"):
        return 100.0 * mean / values.faces, 100.0 * se / values.faces


def oas_from_price(values: PathValues, price: float | npt.ArrayLike) -> F:
    """OAS (decimal) per instrument that makes the mean price equal ``price`` (full, %).

    Instruments with a NaN price or no face get NaN.

    Raises
    ------
    SolverError
        Naming the instrument when no spread in :data:`SPREAD_BRACKET` fits.
    """
    target = np.broadcast_to(np.asarray(price, dtype=np.float64), (len(values.names),))
    mean_dcf = values.dcf.mean(axis=0)  # (T, n_instr): the mean PV is linear in these
    out = np.full(len(values.names), np.nan)
    lo, hi = SPREAD_BRACKET
    for k, name in enumerate(values.names):
        face, tgt = float(values.faces[k]), float(target[k])
        if not (math.isfinite(face) and math.isfinite(tgt)):
            continue
        if tgt <= 0:
            raise AnalyticsError(f"price {tgt!r} of {name!r} must be > 0")
        flows = mean_dcf[:, k]

        def gap(o: float, flows: F = flows, face: float = face, tgt: float = tgt) -> float:
            return float(100.0 * (flows @ np.exp(-o * values.times)) / face) - tgt

        g_lo, g_hi = gap(lo), gap(hi)
        if g_lo * g_hi > 0:
            raise SolverError(
                f"no OAS in [{lo:.0%}, {hi:.0%}] gives {name!r} the price {tgt!r}; "
                f"prices at the bracket ends are {g_lo + tgt:.6g} and {g_hi + tgt:.6g}"
            )
        out[k] = brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    return out


def resolve_per_instrument(
    names: tuple[str, ...], value: float | Mapping[str, float] | None, what: str
) -> F:
    """A number for every instrument from one number or a ``{name: number}`` mapping.

    Examples
    --------
    >>> resolve_per_instrument(("A", "B", "R"), {"B": 99.0}, "price").tolist()
    [nan, 99.0, nan]
    """
    if value is None:
        return np.full(len(names), np.nan)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise AnalyticsError(f"{what} given for unknown instrument(s) {unknown}; have {names}")
        return np.array([float(value.get(n, np.nan)) for n in names])
    return np.full(len(names), float(value))


@dataclass(frozen=True)
class OASResult:
    """Monte Carlo valuation of one instrument (spreads and costs in decimals).

    ``price``/``price_se``: full price and its MC standard error (% of face);
    ``pv``/``pv_se``: the same in money; ``oas_se``: ``price_se`` turned into
    spread through the price's sensitivity to the OAS; ``zspread`` on the
    zero-volatility cash flows; ``option_cost = zspread - oas``.
    """

    name: str
    face: float
    price: float
    price_se: float
    pv: float
    pv_se: float
    oas: float
    oas_se: float
    zspread: float
    option_cost: float
    n_paths: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values (NaN -> None) for JSON."""
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def oas_analysis(
    security: Security,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    price: float | Mapping[str, float] | None = None,
    oas: float | Mapping[str, float] | None = None,
    values: PathValues | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[OASResult]:
    """OAS at a price (or price at an OAS), Z-spread and option cost of every instrument.

    Parameters
    ----------
    security : Security
        From :func:`~trancheflow.analytics.montecarlo.pool_security` or
        :func:`~trancheflow.analytics.montecarlo.deal_security`.
    curve : ZeroCurve
    settings : MonteCarloSettings
    price : float or mapping, optional
        Full price(s), percent of face (one for all, or ``{tranche: price}``).
    oas : float or mapping, optional
        OAS (decimal) instead of a price.
    values : PathValues, optional
        Reuse simulated values (must come from the same security and settings).
    progress : callable, optional
        ``progress(paths_done, n_paths)``.
    """
    if (price is None) == (oas is None):
        raise AnalyticsError("give exactly one of price or oas")
    v = (
        values
        if values is not None
        else simulate_values(security, curve, settings, progress=progress)
    )
    if price is not None:
        target = resolve_per_instrument(v.names, price, "price")
        spreads = oas_from_price(v, target)
    else:
        spreads = resolve_per_instrument(v.names, oas, "oas")
    px, px_se = price_from_oas(v, np.nan_to_num(spreads))
    pv, pv_se = v.paths.estimate(path_present_values(v, np.nan_to_num(spreads)))
    # d(price)/d(oas) = -mean PV-weighted time (for the OAS standard error)
    spread_t = np.exp(-np.outer(v.times, np.nan_to_num(spreads)))
    dprice = -100.0 * np.einsum("tk,tk,t->k", v.dcf.mean(axis=0), spread_t, v.times) / v.faces
    zero = simulate_values(security, curve, settings.zero_volatility())
    results = []
    for k, name in enumerate(v.names):
        face = float(v.faces[k])
        priced = math.isfinite(face) and math.isfinite(spreads[k])
        z = math.nan
        if priced:
            z = zspread_from_price(
                zero.mean_cash_flow[:, k],
                curve,
                float(px[k]),
                balance=face,
                delay_days=settings.delay_days,
            )
        results.append(
            OASResult(
                name=name,
                face=face,
                price=float(px[k]) if priced else math.nan,
                price_se=float(px_se[k]) if priced else math.nan,
                pv=float(pv[k]),
                pv_se=float(pv_se[k]),
                oas=float(spreads[k]),
                oas_se=float(abs(px_se[k] / dprice[k])) if priced else math.nan,
                zspread=z,
                option_cost=z - float(spreads[k]) if priced else math.nan,
                n_paths=v.n_paths,
            )
        )
    return results

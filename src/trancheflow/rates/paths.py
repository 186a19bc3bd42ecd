"""Simulated short-rate paths, their discount factors, and the random numbers behind them.

Every short-rate model's ``simulate`` returns a :class:`RatePaths`: short
rates and pathwise discount factors on a monthly grid ``t_m = m / 12``,
``m = 0 .. n_months`` (column 0 is today, so a cash flow paid at the end of
month ``m`` is discounted with ``discount[:, m]``), plus the model, so that
the long rate on each path (for the mortgage-rate model) comes from the
model's closed-form bond prices.

Random numbers come from :func:`standard_normals`: pseudo-random (NumPy
PCG64, seeded) or scrambled Sobol' points (``scipy.stats.qmc.Sobol``, seeded)
mapped through the normal inverse CDF, optionally antithetic (the second half
of the paths uses the negated normals of the first half, path ``i`` pairs
with path ``i + n_paths // 2``).

Examples
--------
>>> z = standard_normals(4, 3, seed=1, antithetic=True)
>>> bool(np.all(z[:2] == -z[2:]))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri
from scipy.stats import qmc

from trancheflow.errors import ModelError

FloatArray = npt.NDArray[np.float64]

#: Time step of every simulation: one month.
MONTH: float = 1.0 / 12.0
_SOBOL_MAX_DIM = 21201


class ShortRateModel(Protocol):
    """What :class:`RatePaths` needs from a model: its closed-form bond price."""

    def zero_coupon_price(self, t: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike) -> FloatArray:
        """Price at ``t`` of a zero-coupon bond paying 1 at ``T`` given short rate ``r``."""
        ...


def standard_normals(
    n_paths: int,
    n_dims: int,
    *,
    seed: int | None,
    antithetic: bool = True,
    sobol: bool = False,
) -> FloatArray:
    """Draw an ``(n_paths, n_dims)`` array of standard normal variates.

    Parameters
    ----------
    n_paths : int
        Number of rows (paths); must be even when ``antithetic``.
    n_dims : int
        Number of columns (random numbers per path).
    seed : int or None
        Seed of the generator (PCG64, or the Sobol' scrambling).
    antithetic : bool, optional
        Return ``[Z; -Z]`` built from ``n_paths // 2`` base rows, default True.
    sobol : bool, optional
        Use scrambled Sobol' points (one dimension per column) instead of
        pseudo-random numbers. The base sample is drawn as the next power of
        two and its first rows kept, so powers of two keep the balance
        properties. At most 21201 columns.

    Examples
    --------
    >>> standard_normals(8, 5, seed=3, sobol=True).shape
    (8, 5)
    """
    if n_paths < 1 or n_dims < 1:
        raise ModelError(f"n_paths ({n_paths}) and n_dims ({n_dims}) must be >= 1")
    if antithetic and n_paths % 2:
        raise ModelError(f"n_paths={n_paths} must be even with antithetic=True")
    base = n_paths // 2 if antithetic else n_paths
    if sobol:
        if n_dims > _SOBOL_MAX_DIM:
            raise ModelError(f"Sobol' supports at most {_SOBOL_MAX_DIM} dimensions, got {n_dims}")
        sampler = qmc.Sobol(d=n_dims, scramble=True, seed=seed)
        m = max(0, int(np.ceil(np.log2(base))))
        u = sampler.random_base2(m)[:base]
        eps = np.finfo(np.float64).eps
        z = ndtri(np.clip(u, eps, 1.0 - eps))
    else:
        z = np.random.default_rng(seed).standard_normal((base, n_dims))
    if antithetic:
        z = np.concatenate((z, -z), axis=0)
    return np.ascontiguousarray(z, dtype=np.float64)


def par_rate_from_prices(prices: list[FloatArray], frequency: int) -> FloatArray:
    """Par coupon rate from the discount factors of the coupon dates (last = maturity).

    Examples
    --------
    >>> p = [np.exp(-0.05 * k / 2) for k in (1, 2)]
    >>> round(float(par_rate_from_prices(p, 2)), 6)  # semiannual equivalent of 5% cc
    0.05063
    """
    annuity = np.zeros_like(np.asarray(prices[0], dtype=np.float64))
    for p in prices:
        annuity = annuity + p
    return frequency * (1.0 - np.asarray(prices[-1])) / annuity


@dataclass(frozen=True, eq=False)
class RatePaths:
    """Short-rate paths on a monthly grid with their pathwise discount factors.

    Attributes
    ----------
    short_rate : ndarray, shape (n_paths, n_months + 1)
        Short rate ``r(t_m)``; column 0 is today's rate.
    discount : ndarray, shape (n_paths, n_months + 1)
        ``exp(-∫_0^{t_m} r(s) ds)`` on each path; column 0 is 1.
    model : ShortRateModel
        The model that produced the paths (used by :meth:`long_rate`).
    antithetic : bool
        Whether path ``i`` and path ``i + n_paths // 2`` are antithetic pairs
        (used by :meth:`estimate` for the standard error).
    discount_method : {"exact", "trapezoid"}
        ``"exact"``: the integral of ``r`` was simulated jointly with ``r``
        from its exact Gaussian law (Hull-White, Vasicek); ``"trapezoid"``:
        trapezoid rule on the monthly grid (CIR).
    dt : float
        Step in years (1/12).
    """

    short_rate: FloatArray
    discount: FloatArray
    model: ShortRateModel
    antithetic: bool
    discount_method: Literal["exact", "trapezoid"]
    dt: float = MONTH

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.short_rate.shape[0])

    @property
    def n_months(self) -> int:
        """Number of monthly steps simulated."""
        return int(self.short_rate.shape[1] - 1)

    @property
    def times(self) -> FloatArray:
        """Grid times in years, ``t_m = m·dt`` for ``m = 0 .. n_months``."""
        return np.arange(self.n_months + 1, dtype=np.float64) * self.dt

    def zero_coupon_price(self, tenor: float) -> FloatArray:
        """Model price on every path and month of a zero maturing ``tenor`` years later.

        Returns ``P(t_m, t_m + tenor | r(t_m))``, shape ``(n_paths, n_months + 1)``.
        """
        if tenor <= 0.0:
            raise ModelError(f"tenor {tenor!r} must be > 0 years")
        t = self.times[np.newaxis, :]
        return self.model.zero_coupon_price(t, t + tenor, self.short_rate)

    def long_rate(
        self,
        years: float = 10.0,
        *,
        kind: Literal["par", "zero"] = "par",
        frequency: int = 2,
    ) -> FloatArray:
        """The ``years``-year rate on each path at each month, from the model's bond prices.

        Parameters
        ----------
        years : float, optional
            Maturity of the long rate, default 10 (the 10-year Treasury).
        kind : {"par", "zero"}, optional
            ``"par"`` (default): par yield of a bond paying ``frequency``
            coupons a year, ``f·(1 - P(t, t+n)) / Σ_k P(t, t+k/f)`` (the
            Treasury constant-maturity convention for ``frequency=2``);
            ``"zero"``: continuously compounded zero rate ``-ln P(t, t+n) / n``.
        frequency : int, optional
            Coupons per year for ``"par"``, default 2.

        Returns
        -------
        ndarray, shape (n_paths, n_months + 1)
        """
        if kind == "zero":
            return -np.log(self.zero_coupon_price(years)) / years
        if kind != "par":
            raise ModelError(f"kind {kind!r} must be 'par' or 'zero'")
        n = years * frequency
        if frequency < 1 or abs(n - round(n)) > 1e-9 or round(n) < 1:
            raise ModelError(
                f"a par long rate needs years ({years!r}) to be a whole number of "
                f"1/{frequency}-year coupon periods"
            )
        prices = [self.zero_coupon_price(k / frequency) for k in range(1, round(n) + 1)]
        return par_rate_from_prices(prices, frequency)

    def estimate(self, values: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Monte Carlo mean over paths (axis 0) and its standard error.

        With antithetic paths the standard error is computed from the pair
        averages, which is what makes antithetic sampling pay. For Sobol'
        paths the figure is the pseudo-random formula and overstates the
        error.

        Examples
        --------
        >>> from trancheflow.rates import Vasicek
        >>> paths = Vasicek(a=0.2, b=0.05, sigma=0.01, r0=0.04).simulate(2000, 12, seed=7)
        >>> mean, se = paths.estimate(paths.discount[:, 12])
        >>> bool(mean.shape == () and se > 0)
        True
        """
        v = np.asarray(values, dtype=np.float64)
        if v.shape[0] != self.n_paths:
            raise ModelError(
                f"values have {v.shape[0]} rows, expected one per path ({self.n_paths})"
            )
        if self.antithetic:
            half = self.n_paths // 2
            v = 0.5 * (v[:half] + v[half:])
        n = v.shape[0]
        mean = v.mean(axis=0)
        se = v.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full_like(mean, np.inf)
        return mean, se

    def mean_discount(self) -> tuple[FloatArray, FloatArray]:
        """Monte Carlo discount curve on the grid: mean of ``discount`` and its standard error."""
        return self.estimate(self.discount)

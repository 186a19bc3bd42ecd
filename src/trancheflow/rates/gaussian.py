"""Gaussian one-factor short-rate models: Hull-White (fitted to a curve) and Vasicek.

Both write the short rate as ``r(t) = x(t) + φ(t)`` where ``x`` is a zero-mean
Ornstein-Uhlenbeck process, ``dx = -a·x dt + σ dW``, ``x(0) = 0``, and ``φ`` is
deterministic:

* **Hull-White** (``dr = (θ(t) - a·r) dt + σ dW``):
  ``φ(t) = α(t) = f(0,t) + σ²/(2a²)·(1 - e^{-at})²`` with ``f(0,t)`` the
  instantaneous forward of the input curve. This choice fits the model
  exactly: ``E[exp(-∫_0^T r)] = P(0,T)`` for every ``T``. The implied drift is
  ``θ(t) = ∂f(0,t)/∂t + a·f(0,t) + σ²/(2a)·(1 - e^{-2at})``.
* **Vasicek** (``dr = a(b - r) dt + σ dW``): ``φ(t) = b + (r0 - b)·e^{-at}``,
  i.e. Hull-White with the constant drift ``θ = a·b``.

**Simulation is exact** on the monthly grid: the pair ``(x(t+Δ), ∫_t^{t+Δ} x)``
given ``x(t)`` is bivariate normal with

* ``E = (x·e^{-aΔ}, x·B(Δ))``, ``B(Δ) = (1 - e^{-aΔ})/a``,
* ``Var x = σ²(1 - e^{-2aΔ})/(2a)``, ``Var ∫x = σ²/a³·g(aΔ)``,
  ``Cov = σ²/(2a²)·(1 - e^{-aΔ})²``, with ``g(y) = y - 2(1 - e^{-y}) + (1 - e^{-2y})/2``

(Glasserman, *Monte Carlo Methods in Financial Engineering*, 2004, §3.3.1),
so the pathwise discount factors use the exact integral of ``r``, with no
time-discretisation bias: Monte Carlo discount factors converge to the curve.
Two standard normals are used per step (``2·n_months`` Sobol' dimensions).

Examples
--------
>>> from trancheflow.rates.curve import ZeroCurve
>>> hw = HullWhite1F(ZeroCurve([1.0, 10.0], [0.04, 0.045]), a=0.1, sigma=0.01)
>>> p_model = float(hw.zero_coupon_price(0.0, 10.0, hw.r0))
>>> abs(p_model - float(hw.curve.discount(10.0))) < 1e-14
True
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from trancheflow.errors import ModelError
from trancheflow.rates.curve import ZeroCurve
from trancheflow.rates.paths import MONTH, FloatArray, RatePaths, standard_normals


def _g(y: npt.ArrayLike) -> FloatArray:
    """``g(y) = y - 2(1 - e^{-y}) + (1 - e^{-2y})/2`` (series below 1e-3 to avoid cancellation)."""
    y = np.asarray(y, dtype=np.float64)
    direct = y + 2.0 * np.expm1(-y) - 0.5 * np.expm1(-2.0 * y)
    series = y**3 / 3.0 - y**4 / 4.0 + 7.0 * y**5 / 60.0 - y**6 / 24.0
    return np.where(y < 1e-3, series, direct)


def _b(a: float, tau: npt.ArrayLike) -> FloatArray:
    """``B(τ) = (1 - e^{-aτ}) / a``."""
    return -np.expm1(-a * np.asarray(tau, dtype=np.float64)) / a


def _check_params(a: float, sigma: float) -> None:
    if not (math.isfinite(a) and a > 0.0):
        raise ModelError(f"mean-reversion speed a={a!r} must be a finite number > 0")
    if not (math.isfinite(sigma) and sigma >= 0.0):
        raise ModelError(f"volatility sigma={sigma!r} must be a finite number >= 0")


def _check_sim(n_paths: int, n_months: int) -> None:
    if n_paths < 1:
        raise ModelError(f"n_paths={n_paths!r} must be >= 1")
    if n_months < 1:
        raise ModelError(f"n_months={n_months!r} must be >= 1")


def simulate_ou(
    a: float, sigma: float, z: FloatArray, dt: float = MONTH
) -> tuple[FloatArray, FloatArray]:
    """Exact joint simulation of ``x`` and ``∫x`` for ``dx = -a·x dt + σ dW``, ``x(0) = 0``.

    Parameters
    ----------
    a, sigma : float
        Mean-reversion speed (> 0) and volatility.
    z : ndarray, shape (n_paths, 2·n_steps)
        Standard normals; columns ``2k`` and ``2k+1`` drive step ``k``.
    dt : float, optional
        Step in years, default 1/12.

    Returns
    -------
    x, integral : ndarray, shape (n_paths, n_steps + 1)
        ``x(t_m)`` and ``∫_0^{t_m} x(s) ds`` on the grid, column 0 zero.
    """
    n_paths, n_cols = z.shape
    n_steps = n_cols // 2
    decay = math.exp(-a * dt)
    b_dt = float(_b(a, dt))
    var_x = sigma * sigma * -math.expm1(-2.0 * a * dt) / (2.0 * a)
    var_i = sigma * sigma * float(_g(a * dt)) / a**3
    cov = sigma * sigma * math.expm1(-a * dt) ** 2 / (2.0 * a * a)
    sd_x = math.sqrt(var_x)
    load = cov / sd_x if sd_x > 0.0 else 0.0
    sd_resid = math.sqrt(max(var_i - load * load, 0.0))
    x = np.zeros((n_paths, n_steps + 1))
    integral = np.zeros((n_paths, n_steps + 1))
    for k in range(n_steps):
        z1 = z[:, 2 * k]
        z2 = z[:, 2 * k + 1]
        prev = x[:, k]
        x[:, k + 1] = decay * prev + sd_x * z1
        integral[:, k + 1] = integral[:, k] + b_dt * prev + load * z1 + sd_resid * z2
    return x, integral


class HullWhite1F:
    """Hull-White one-factor model fitted exactly to a zero curve.

    Parameters
    ----------
    curve : ZeroCurve
        Today's curve; the model reprices it exactly.
    a : float
        Mean-reversion speed (per year, > 0), e.g. 0.03-0.1.
    sigma : float
        Normal volatility of the short rate (per sqrt(year)), e.g. 0.01.

    Notes
    -----
    Bond price (Hull, *Options, Futures and Other Derivatives*, 10th ed.,
    ch. 32): ``P(t,T) = A(t,T)·e^{-B(t,T)·r}``, ``B = (1 - e^{-a(T-t)})/a``,
    ``ln A = ln(P(0,T)/P(0,t)) + B·f(0,t) - σ²/(4a)·(1 - e^{-2at})·B²``.
    ``f(0,t)`` is the curve's right-continuous piecewise-flat forward; the
    same ``f`` is used for the simulated ``r``, so prices on the paths are
    consistent with the closed form even at curve nodes.

    Examples
    --------
    >>> hw = HullWhite1F(ZeroCurve([30.0], [0.05]), a=0.1, sigma=0.01)
    >>> paths = hw.simulate(1000, 12, seed=1)
    >>> paths.short_rate.shape, paths.discount_method
    ((1000, 13), 'exact')
    """

    def __init__(self, curve: ZeroCurve, a: float, sigma: float) -> None:
        _check_params(a, sigma)
        self.curve = curve
        self.a = float(a)
        self.sigma = float(sigma)

    def __repr__(self) -> str:
        return f"HullWhite1F(a={self.a!r}, sigma={self.sigma!r}, curve={self.curve!r})"

    @property
    def r0(self) -> float:
        """Today's short rate, ``f(0, 0)``."""
        return float(self.curve.instantaneous_forward(0.0))

    def alpha(self, t: npt.ArrayLike) -> FloatArray:
        """Deterministic shift ``α(t) = f(0,t) + σ²/(2a²)(1 - e^{-at})²`` with ``r = x + α``."""
        t = np.asarray(t, dtype=np.float64)
        a, s = self.a, self.sigma
        return self.curve.instantaneous_forward(t) + s * s / (2 * a * a) * np.expm1(-a * t) ** 2

    def theta(self, t: npt.ArrayLike) -> FloatArray:
        """Fitted drift ``θ(t) = ∂f/∂t + a·f(0,t) + σ²/(2a)(1 - e^{-2at})``.

        The curve's forwards are piecewise flat, so ``∂f/∂t`` is zero between
        nodes and a point mass at each node (its jump); this returns the
        absolutely continuous part. Simulation does not use ``θ``: it uses
        ``α`` exactly.
        """
        t = np.asarray(t, dtype=np.float64)
        a, s = self.a, self.sigma
        f = self.curve.instantaneous_forward(t)
        return a * f - s * s / (2 * a) * np.expm1(-2 * a * t)

    def zero_coupon_price(self, t: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike) -> FloatArray:
        """Closed-form ``P(t, T | r(t) = r)``, broadcasting ``t``, ``T`` and ``r``.

        Examples
        --------
        >>> hw = HullWhite1F(ZeroCurve([30.0], [0.05]), a=0.1, sigma=0.01)
        >>> p = hw.zero_coupon_price(1.0, [2.0, 6.0], 0.05)
        >>> bool(p[0] > p[1])
        True
        """
        t = np.asarray(t, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        r = np.asarray(r, dtype=np.float64)
        if np.any(t > T):
            raise ModelError("zero_coupon_price needs T >= t")
        a, s = self.a, self.sigma
        bb = _b(a, T - t)
        log_a = (
            self.curve.integral_forward(t)
            - self.curve.integral_forward(T)
            + bb * self.curve.instantaneous_forward(t)
            + s * s / (4 * a) * np.expm1(-2 * a * t) * bb * bb
        )
        return np.exp(log_a - bb * r)

    def simulate(
        self,
        n_paths: int,
        n_months: int,
        *,
        seed: int | None,
        antithetic: bool = True,
        sobol: bool = False,
    ) -> RatePaths:
        """Simulate monthly short-rate paths exactly (see module docstring).

        Parameters
        ----------
        n_paths : int
            Number of paths (even when ``antithetic``).
        n_months : int
            Number of monthly steps.
        seed : int or None
            Seed for reproducibility.
        antithetic : bool, optional
            Antithetic pairs, default True.
        sobol : bool, optional
            Scrambled Sobol' normals instead of pseudo-random, default False.

        Returns
        -------
        RatePaths
            With ``discount_method="exact"``.
        """
        _check_sim(n_paths, n_months)
        z = standard_normals(n_paths, 2 * n_months, seed=seed, antithetic=antithetic, sobol=sobol)
        x, integral = simulate_ou(self.a, self.sigma, z)
        t = np.arange(n_months + 1) * MONTH
        a, s = self.a, self.sigma
        short = x + self.alpha(t)[np.newaxis, :]
        # ∫_0^t α = -ln P(0,t) + σ²/(2a³)·g(at)
        int_alpha = self.curve.integral_forward(t) + s * s / (2 * a**3) * _g(a * t)
        discount = np.exp(-(integral + int_alpha[np.newaxis, :]))
        return RatePaths(short, discount, self, antithetic, "exact")


class Vasicek:
    """Vasicek model ``dr = a(b - r) dt + σ dW`` (Hull-White with constant θ = a·b).

    Parameters
    ----------
    a : float
        Mean-reversion speed (> 0).
    b : float
        Long-run mean of the short rate.
    sigma : float
        Normal volatility (>= 0).
    r0 : float
        Today's short rate.

    Notes
    -----
    ``P(t,T) = A·e^{-B r}``, ``B = (1 - e^{-aτ})/a``,
    ``ln A = (B - τ)(a²b - σ²/2)/a² - σ²B²/(4a)``, ``τ = T - t``
    (Hull, *Options, Futures and Other Derivatives*, 10th ed., §31.3).
    The model is time-homogeneous, so only ``T - t`` matters.

    Examples
    --------
    >>> v = Vasicek(a=0.1, b=0.1, sigma=0.02, r0=0.1)
    >>> round(float(v.zero_coupon_price(0.0, 10.0, 0.1)), 5)  # Hull, Problem 31.9
    0.38046
    """

    def __init__(self, a: float, b: float, sigma: float, r0: float) -> None:
        _check_params(a, sigma)
        if not (math.isfinite(b) and math.isfinite(r0)):
            raise ModelError(f"b={b!r} and r0={r0!r} must be finite numbers")
        self.a = float(a)
        self.b = float(b)
        self.sigma = float(sigma)
        self.r0 = float(r0)

    def __repr__(self) -> str:
        return f"Vasicek(a={self.a!r}, b={self.b!r}, sigma={self.sigma!r}, r0={self.r0!r})"

    def zero_coupon_price(self, t: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike) -> FloatArray:
        """Closed-form ``P(t, T | r(t) = r)``, broadcasting ``t``, ``T`` and ``r``."""
        tau = np.asarray(T, dtype=np.float64) - np.asarray(t, dtype=np.float64)
        if np.any(tau < 0):
            raise ModelError("zero_coupon_price needs T >= t")
        a, b, s = self.a, self.b, self.sigma
        bb = _b(a, tau)
        log_a = (bb - tau) * (a * a * b - 0.5 * s * s) / (a * a) - s * s * bb * bb / (4 * a)
        return np.exp(log_a - bb * np.asarray(r, dtype=np.float64))

    def simulate(
        self,
        n_paths: int,
        n_months: int,
        *,
        seed: int | None,
        antithetic: bool = True,
        sobol: bool = False,
    ) -> RatePaths:
        """Simulate monthly paths exactly; same arguments as :meth:`HullWhite1F.simulate`."""
        _check_sim(n_paths, n_months)
        z = standard_normals(n_paths, 2 * n_months, seed=seed, antithetic=antithetic, sobol=sobol)
        x, integral = simulate_ou(self.a, self.sigma, z)
        t = np.arange(n_months + 1) * MONTH
        mean = self.b + (self.r0 - self.b) * np.exp(-self.a * t)
        int_mean = self.b * t + (self.r0 - self.b) * _b(self.a, t)
        short = x + mean[np.newaxis, :]
        discount = np.exp(-(integral + int_mean[np.newaxis, :]))
        return RatePaths(short, discount, self, antithetic, "exact")

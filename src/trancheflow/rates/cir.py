"""Cox-Ingersoll-Ross short-rate model ``dr = a(b - r) dt + σ·√r dW``.

Closed-form bond price (Cox, Ingersoll and Ross, 1985; Hull, *Options, Futures
and Other Derivatives*, 10th ed., §31.3): ``P(t,T) = A(τ)·e^{-B(τ)·r}`` with
``γ = √(a² + 2σ²)``, ``τ = T - t``,

* ``B(τ) = 2(e^{γτ} - 1) / ((γ + a)(e^{γτ} - 1) + 2γ)``,
* ``A(τ) = [2γ·e^{(a+γ)τ/2} / ((γ + a)(e^{γτ} - 1) + 2γ)]^{2ab/σ²}``.

**Feller condition.** If ``2ab ≥ σ²`` the rate never reaches zero; otherwise
zero is reachable (and reflecting). Both cases are allowed;
:attr:`CIR.feller` tells which holds. The simulation schemes below keep rates
non-negative either way.

**Simulation schemes** (monthly steps, ``scheme=``):

``"qe"`` (default)
    Andersen's quadratic-exponential scheme (Andersen, "Efficient simulation
    of the Heston stochastic volatility model", 2008, §3.2.3): matches the
    exact conditional mean and variance of ``r(t+Δ)`` and uses one normal per
    step, so it works with antithetic and Sobol' sampling.
``"exact"``
    Exact transition: ``r(t+Δ) = c·χ'²_d(λ)``, ``c = σ²(1 - e^{-aΔ})/(4a)``,
    ``d = 4ab/σ²``, ``λ = r·e^{-aΔ}/c`` (non-central chi-square, NumPy's
    generator). Pseudo-random only: ``antithetic`` and ``sobol`` must be False.
``"full_truncation"``
    Euler with full truncation (Lord, Koekkoek and van Dijk, 2010): the
    auxiliary ``r̃`` may go negative, ``r = max(r̃, 0)`` enters drift,
    diffusion and the output. Has an O(Δ) bias; kept as a reference.

Pathwise discount factors use the **trapezoid rule** on the monthly grid,
``∫ r ≈ Σ (r_m + r_{m+1})·Δ/2`` (an O(Δ²) bias, negligible at monthly steps
against Monte Carlo error).

Examples
--------
>>> cir = CIR(a=0.3, b=0.05, sigma=0.08, r0=0.04)
>>> cir.feller
True
>>> round(float(cir.zero_coupon_price(0.0, 0.0, 0.04)), 12)
1.0
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from trancheflow.errors import ModelError
from trancheflow.rates.paths import MONTH, FloatArray, RatePaths, standard_normals

CIRScheme = Literal["qe", "exact", "full_truncation"]
_PSI_CRITICAL = 1.5


class CIR:
    """Cox-Ingersoll-Ross model ``dr = a(b - r) dt + σ√r dW``.

    Parameters
    ----------
    a : float
        Mean-reversion speed (> 0).
    b : float
        Long-run mean (> 0).
    sigma : float
        Volatility coefficient (> 0); the rate's instantaneous volatility is ``σ√r``.
    r0 : float
        Today's short rate (>= 0).

    Examples
    --------
    >>> cir = CIR(a=0.1, b=0.1, sigma=0.02 / 0.1**0.5, r0=0.1)
    >>> round(float(cir.zero_coupon_price(0.0, 10.0, 0.1)), 4)
    0.3799
    """

    def __init__(self, a: float, b: float, sigma: float, r0: float) -> None:
        for name, value in (("a", a), ("b", b), ("sigma", sigma)):
            if not (math.isfinite(value) and value > 0.0):
                raise ModelError(f"CIR parameter {name}={value!r} must be a finite number > 0")
        if not (math.isfinite(r0) and r0 >= 0.0):
            raise ModelError(f"CIR r0={r0!r} must be a finite number >= 0")
        self.a = float(a)
        self.b = float(b)
        self.sigma = float(sigma)
        self.r0 = float(r0)

    def __repr__(self) -> str:
        return f"CIR(a={self.a!r}, b={self.b!r}, sigma={self.sigma!r}, r0={self.r0!r})"

    @property
    def feller(self) -> bool:
        """True when ``2ab >= σ²`` (zero is unattainable)."""
        return 2.0 * self.a * self.b >= self.sigma**2

    def zero_coupon_price(self, t: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike) -> FloatArray:
        """Closed-form ``P(t, T | r(t) = r)``, broadcasting ``t``, ``T`` and ``r``."""
        tau = np.asarray(T, dtype=np.float64) - np.asarray(t, dtype=np.float64)
        if np.any(tau < 0):
            raise ModelError("zero_coupon_price needs T >= t")
        a, b, s = self.a, self.b, self.sigma
        gamma = math.sqrt(a * a + 2.0 * s * s)
        # Overflow- and cancellation-free rewrite with q = 1 - e^{-γτ} and
        # γ - a = 2σ²/(γ + a) (exact as σ → 0, where ln A needs care).
        q = -np.expm1(-gamma * tau)
        bb = 2.0 * q / ((gamma + a) * q + 2.0 * gamma * (1.0 - q))
        d = 2.0 * s * s / (gamma + a)
        log_a = 2.0 * a * b * (-tau / (gamma + a) - np.log1p(-d * q / (2.0 * gamma)) / (s * s))
        return np.exp(log_a - bb * np.asarray(r, dtype=np.float64))

    def simulate(
        self,
        n_paths: int,
        n_months: int,
        *,
        seed: int | None,
        antithetic: bool = True,
        sobol: bool = False,
        scheme: CIRScheme = "qe",
    ) -> RatePaths:
        """Simulate monthly short-rate paths (see module docstring for schemes).

        Parameters
        ----------
        n_paths, n_months : int
            Paths (even when ``antithetic``) and monthly steps.
        seed : int or None
            Seed for reproducibility.
        antithetic, sobol : bool, optional
            Variance reduction / quasi-random normals (not with ``"exact"``).
        scheme : {"qe", "exact", "full_truncation"}, optional
            Transition scheme, default ``"qe"``.

        Returns
        -------
        RatePaths
            With ``discount_method="trapezoid"``.
        """
        if n_paths < 1 or n_months < 1:
            raise ModelError(f"n_paths={n_paths!r} and n_months={n_months!r} must be >= 1")
        dt = MONTH
        r = np.empty((n_paths, n_months + 1))
        r[:, 0] = self.r0
        if scheme == "exact":
            if antithetic or sobol:
                raise ModelError(
                    "CIR scheme 'exact' draws non-central chi-squares directly; "
                    "use antithetic=False and sobol=False (or scheme='qe')"
                )
            self._run_exact(r, dt, np.random.default_rng(seed))
        elif scheme in ("qe", "full_truncation"):
            z = standard_normals(n_paths, n_months, seed=seed, antithetic=antithetic, sobol=sobol)
            if scheme == "qe":
                self._run_qe(r, dt, z)
            else:
                self._run_full_truncation(r, dt, z)
        else:
            raise ModelError(f"scheme {scheme!r} must be 'qe', 'exact' or 'full_truncation'")
        integral = np.zeros_like(r)
        np.cumsum(0.5 * dt * (r[:, 1:] + r[:, :-1]), axis=1, out=integral[:, 1:])
        return RatePaths(r, np.exp(-integral), self, antithetic, "trapezoid")

    # ------------------------------------------------------------- schemes
    def _run_exact(self, r: FloatArray, dt: float, rng: np.random.Generator) -> None:
        a, b, s = self.a, self.b, self.sigma
        decay = math.exp(-a * dt)
        c = s * s * -math.expm1(-a * dt) / (4.0 * a)
        df = 4.0 * a * b / (s * s)
        for k in range(r.shape[1] - 1):
            r[:, k + 1] = c * rng.noncentral_chisquare(df, r[:, k] * decay / c)

    def _run_qe(self, r: FloatArray, dt: float, z: FloatArray) -> None:
        a, b, s = self.a, self.b, self.sigma
        decay = math.exp(-a * dt)
        one_m = -math.expm1(-a * dt)
        k1 = s * s * decay * one_m / a
        k2 = b * s * s * one_m * one_m / (2.0 * a)
        u_all = ndtr(z)
        for k in range(r.shape[1] - 1):
            prev = r[:, k]
            m = b + (prev - b) * decay
            psi = (prev * k1 + k2) / (m * m)
            zk = z[:, k]
            quad = psi <= _PSI_CRITICAL
            # Quadratic branch: r' = α(β + Z)² with matched mean and variance.
            inv = 2.0 / np.where(quad, psi, 1.0)
            b2 = inv - 1.0 + np.sqrt(inv) * np.sqrt(np.maximum(inv - 1.0, 0.0))
            r_quad = m / (1.0 + b2) * (np.sqrt(b2) + zk) ** 2
            # Exponential branch: point mass p at zero plus an exponential tail.
            p = (psi - 1.0) / (psi + 1.0)
            beta = (1.0 - p) / m
            u = u_all[:, k]
            tail = np.log(np.maximum((1.0 - p) / np.maximum(1.0 - u, 1e-300), 1.0))
            r_exp = tail / beta
            r[:, k + 1] = np.where(quad, r_quad, r_exp)

    def _run_full_truncation(self, r: FloatArray, dt: float, z: FloatArray) -> None:
        a, b, s = self.a, self.b, self.sigma
        aux = r[:, 0].copy()
        sq = math.sqrt(dt)
        for k in range(r.shape[1] - 1):
            pos = np.maximum(aux, 0.0)
            aux = aux + a * (b - pos) * dt + s * np.sqrt(pos) * sq * z[:, k]
            r[:, k + 1] = np.maximum(aux, 0.0)


class ShiftedCIR:
    """CIR++: a CIR factor plus a deterministic shift that fits today's zero curve exactly.

    Brigo and Mercurio (*Interest Rate Models - Theory and Practice*, 2nd ed.,
    2006, section 3.9): ``r(t) = x(t) + φ(t)`` with ``x`` a :class:`CIR`
    process from ``x0`` and ``φ(t) = f_M(0, t) - f_CIR(0, t)`` (market minus
    model instantaneous forward), so that every zero-coupon price of ``curve``
    is reproduced. Bond prices::

        P(t, T | r) = [P_M(0,T) / P_M(0,t)] · [P_CIR(0,t) / P_CIR(0,T)] · P_CIR(t, T | r - φ(t))

    Pathwise discount factors are the CIR factor's (trapezoid rule) times
    ``P_M(0,t) / P_CIR(0,t)``, the exact integral of ``φ``.

    Parameters
    ----------
    curve : ZeroCurve
        Today's zero curve.
    a, sigma : float
        Mean reversion (> 0) and CIR volatility coefficient (> 0) of ``x``.
    b, x0 : float, optional
        Long-run mean and start of ``x``; default both the curve's
        instantaneous forward at 0 (floored at 1bp).

    Examples
    --------
    >>> from trancheflow.rates import ZeroCurve
    >>> curve = ZeroCurve([1.0, 10.0, 30.0], [0.04, 0.045, 0.05])
    >>> m = ShiftedCIR(curve, a=0.1, sigma=0.05)
    >>> bool(np.isclose(m.zero_coupon_price(0.0, 10.0, m.r0), curve.discount(10.0)))
    True
    """

    def __init__(
        self,
        curve: Any,
        a: float,
        sigma: float,
        b: float | None = None,
        x0: float | None = None,
    ) -> None:
        f0 = max(float(curve.instantaneous_forward(0.0)), 1e-4)
        self.curve = curve
        self.factor = CIR(a, f0 if b is None else b, sigma, f0 if x0 is None else x0)

    def __repr__(self) -> str:
        f = self.factor
        return f"ShiftedCIR(a={f.a!r}, sigma={f.sigma!r}, b={f.b!r}, x0={f.r0!r})"

    def _log_p_cir0(self, t: FloatArray) -> FloatArray:
        return np.log(self.factor.zero_coupon_price(0.0, t, self.factor.r0))

    def phi(self, t: npt.ArrayLike) -> FloatArray:
        """The shift ``φ(t)`` (central differences of the CIR log prices, step 1e-5 years)."""
        t = np.asarray(t, dtype=np.float64)
        h = 1e-5
        lo = np.maximum(t - h, 0.0)
        f_cir = -(self._log_p_cir0(t + h) - self._log_p_cir0(lo)) / (t + h - lo)
        return np.asarray(self.curve.instantaneous_forward(t) - f_cir)

    @property
    def r0(self) -> float:
        """Today's short rate ``x0 + φ(0)``."""
        return float(self.factor.r0 + self.phi(0.0))

    def zero_coupon_price(self, t: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike) -> FloatArray:
        """``P(t, T | r(t) = r)``, broadcasting (see the class docstring)."""
        t = np.asarray(t, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        x = np.asarray(r, dtype=np.float64) - self.phi(t)
        ratio = (
            np.exp(self._log_p_cir0(t) - self._log_p_cir0(T))
            * self.curve.discount(T)
            / self.curve.discount(t)
        )
        return np.asarray(ratio * self.factor.zero_coupon_price(t, T, np.maximum(x, 0.0)))

    def simulate(
        self,
        n_paths: int,
        n_months: int,
        *,
        seed: int | None,
        antithetic: bool = True,
        sobol: bool = False,
    ) -> RatePaths:
        """Monthly paths of ``r = x + φ`` (``x`` by Andersen's QE scheme)."""
        x = self.factor.simulate(n_paths, n_months, seed=seed, antithetic=antithetic, sobol=sobol)
        t = np.arange(n_months + 1, dtype=np.float64) * MONTH
        adj = np.exp(np.log(self.curve.discount(t)) - self._log_p_cir0(t))
        r = x.short_rate + self.phi(t)[None, :]
        return RatePaths(r, x.discount * adj[None, :], self, antithetic, "trapezoid")

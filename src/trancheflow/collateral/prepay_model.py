"""Rate-driven prepayment model: S-curve refinancing incentive x burnout x seasoning x seasonality.

The structure is Richard & Roll's ("Prepayments on Fixed-Rate Mortgage-Backed
Securities", *Journal of Portfolio Management* 15(3), 1989, pp. 73-82): the
annual prepayment rate is a **refinancing-incentive** S-curve (which already
holds housing turnover as its out-of-the-money floor) times a **burnout**, a
**seasoning** and a **month-of-year** multiplier. Per loan, path and month ``t``::

    I     = 100 * (note_rate - mortgage_rate(t-1))          incentive="spread" (pp)
          = 100 * (note_rate / mortgage_rate(t-1) - 1)      incentive="ratio"  (%)
    RI(I) = turnover_cpr + refi_max_cpr * shape(slope * (I - midpoint))
            shape(z) = 1/2 + arctan(z)/pi   (s_curve="arctan")  or 1/(1 + e^-z)  ("logistic")
    BM(s) = burnout_floor + (1 - burnout_floor) * s
    ramp  = min(age / seasoning_months, 1),   age = loan_age + t
    CPR   = min(cap_cpr, RI(I) * BM(s) * ramp * seasonality[month of year])
    SMM   = 1 - (1 - CPR)^(1/12)

``s`` is the loan's **prepayment survival**: the fraction of its scheduled
balance not yet prepaid (1 at the start; ``s <- s * (1 - SMM)`` each month).
Burnout is therefore a multiplicative damping bounded below by
``burnout_floor`` that only a history of actual prepayments produces.

Why the rate response can never reverse
---------------------------------------
* At every age, month and burnout state ``s``, CPR is non-decreasing in the
  incentive (``RI`` is; the other factors do not depend on it).
* Along a path, lower mortgage rates lower every future balance: the monthly
  map ``s -> s * (1 - SMM(I, s))`` is non-decreasing in ``s`` whenever
  ``cap_cpr <= 0.9`` (its slope is at least ``1 - SMM(c) - c * SMM'(c) >= 0.2``
  at ``c = 0.9``), and non-increasing in ``I``, so by induction a path whose
  incentive is at least as high every month has a survival at most as high
  every month: WAL is non-increasing as rates fall. (The old
  ``exp(-b * cumulative incentive)`` burnout broke this: deeper in-the-money
  paths burned out more and could prepay *less*.) ``cap_cpr`` is therefore
  limited to 0.9. ``tests/unit/collateral/test_properties.py`` checks both
  properties over the parameter space.

Calibration (``examples/models/calibrate.py``, residuals in
``examples/models/prepay_default.yaml``)
-------------------------------------------------------------------------
* **S-curve**: the published refinancing-incentive function of the Richard-Roll
  model, ``RI = 0.28 + 0.14 * arctan(-8.57 + 430 * (WAC - r10))`` (``r10`` the
  10-year Treasury; the coefficients as reproduced in the "Numerix" form of
  the model in computational-finance course material, with the burnout
  ``0.3 + 0.7 * factor``, seasoning ``min(1, t/30)`` and month multipliers
  below). This project's mortgage rate is ``r10 + 1.7%``
  (:class:`~trancheflow.rates.MortgageRateModel`), so in our incentive ``I =
  WAC - mortgage rate`` the published curve is ``0.28 + 0.14 * arctan(4.30 *
  I - 1.26)``; it is the arctan family exactly: ``turnover_cpr = 0.28 - 0.07 pi``,
  ``refi_max_cpr = 0.14 * pi``, ``slope = 4.30``, ``midpoint = 1.26 / 4.30``
  (fit residuals below 1e-6 CPR; a logistic fit is worse, see the YAML).
  Published speeds: 7.5% CPR 200bp out of the money, 15.4% at the money,
  35.5% at +50bp, 45.5% at +100bp, 48.2% at +200bp (seasoned, no burnout).
  The midpoint moves with the mortgage/Treasury spread: refit it if you change
  ``MortgageRateModel.a``.
* **Turnover and seasoning**: the BMA/SIFMA PSA standard prepayment curve
  (Uniform Practices, Standard Formulas SF-4): 100% PSA is 0.2% CPR in month
  one rising 0.2% a month to 6% CPR at month 30, then 6% CPR. The published
  RI's out-of-the-money floor is the same 6% and the ramp is the same 30 months.
* **Seasonality**: the published month multipliers (January..December) 0.94,
  0.76, 0.74, 0.95, 0.98, 0.92, 0.98, 1.10, 1.18, 1.22, 1.23, 0.98, divided by
  their mean (0.99833) so that they average 1 (residual < 0.002).
* **Burnout**: floor 0.3, slope 0.7, as published; we apply it to the
  prepayment survival rather than the pool factor (the published factor also
  falls with scheduled amortization, which would "burn out" a pool that never
  prepaid).

These are published *model* figures (1980s agency data behind them), not a
fit to current agency prepayment data: use them as a defensible default and
refit for production.

The kernel seam
---------------
Path kernels evaluate one model function per loan, path and month,
:func:`model_cpr` (numba, inlined; :func:`cpr_to_smm` converts): ``kind`` selects the model
(:data:`KIND_ARCTAN`, :data:`KIND_LOGISTIC`; a compiled scorer, e.g. a tree
ensemble, would be a new kind reading the same inputs), it receives the
incentive coordinate ``z``, the loan-month multiplier ``ramp * season``, the
burnout state ``s`` and the parameter vector of :meth:`RefiPrepayModel.kernel_params`,
and returns the CPR. It uses only multiply, add, divide, min/max and square
root, so the loans loop vectorises (no transcendental calls, no table
gathers): arctan is a degree-15 odd polynomial after reduction to ``[0, 1]``
(error < 5e-8), ``e^-|z|`` is a degree-8 Taylor polynomial squared eight
times (relative error < 1e-11), and ``(1 - CPR)^(1/12)`` is ``sqrt`` then a
fourth root by two square roots and a cube root by a degree-9 polynomial
(relative error of the SMM < 1e-8 before float rounding).

Examples
--------
>>> m = RefiPrepayModel()
>>> cpr = m.cpr(note_rate=0.07, mortgage_rate=np.array([0.08, 0.07, 0.055]), loan_age=60)
>>> [round(float(x), 4) for x in cpr]
[0.085, 0.154, 0.4733]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml
from numba import njit

from trancheflow.errors import ModelError

__all__ = [
    "COEF_ONE",
    "DEFAULT_PARAMETERS",
    "KIND_ARCTAN",
    "KIND_LOGISTIC",
    "PUBLISHED_SEASONALITY",
    "RefiPrepayModel",
    "cpr_to_smm",
    "kernel_coefficients",
    "load_prepay_model",
    "model_cpr",
    "model_smm",
]

FloatArray = npt.NDArray[np.float64]

#: Published month multipliers, January first (Richard-Roll / "Numerix" form).
PUBLISHED_SEASONALITY: tuple[float, ...] = (
    0.94, 0.76, 0.74, 0.95, 0.98, 0.92, 0.98, 1.10, 1.18, 1.22, 1.23, 0.98,
)  # fmt: skip
_SEASON_MEAN = sum(PUBLISHED_SEASONALITY) / 12.0
#: The published multipliers scaled to average 1.
_SCALED = [round(x / _SEASON_MEAN, 6) for x in PUBLISHED_SEASONALITY[:-1]]
DEFAULT_SEASONALITY: tuple[float, ...] = (*_SCALED, round(12.0 - sum(_SCALED), 6))

#: Model kinds of :func:`model_smm` (the kernels' switch).
KIND_ARCTAN = 0
KIND_LOGISTIC = 1
#: Highest cap for which the survival map stays monotone (see the module docstring).
MAX_CAP_CPR = 0.9


@dataclass(frozen=True)
class RefiPrepayModel:
    """Parameters of the rate-driven prepayment model (see the module docstring).

    Parameters
    ----------
    turnover_cpr : float
        Out-of-the-money floor of the S-curve (housing turnover), annual
        decimal, default ``0.28 - 0.14 * pi / 2 = 0.060088`` (PSA's seasoned 6%).
    refi_max_cpr : float
        Height of the S-curve above the floor, default ``0.14 * pi``.
    midpoint : float
        Incentive at half height, percentage points (``"spread"``) or percent
        (``"ratio"``), default ``1.26 / 4.30``.
    slope : float
        Steepness per percentage point, default 4.30 (> 0).
    s_curve : {"arctan", "logistic"}
        Shape of the S-curve, default ``"arctan"`` (the published form).
    incentive : {"spread", "ratio"}
        Note rate minus mortgage rate, or their ratio less one, default ``"spread"``.
    burnout_floor : float
        Burnout multiplier of a fully burned-out loan, within [0, 1], default 0.3.
    seasoning_months : float
        Months to full seasoning (linear ramp in loan age), default 30 (> 0).
    seasonality : tuple of 12 floats
        Month-of-year multipliers, January first; must average 1.
    cap_cpr : float
        Ceiling on the CPR, within (0, 0.9], default 0.75.

    Examples
    --------
    >>> RefiPrepayModel(slope=-1.0)
    Traceback (most recent call last):
    ...
    trancheflow.errors.ModelError: prepay model slope=-1.0 must be a finite number > 0
    """

    turnover_cpr: float = round(0.28 - 0.07 * math.pi, 6)
    refi_max_cpr: float = round(0.14 * math.pi, 6)
    midpoint: float = round(1.26 / 4.30, 6)
    slope: float = 4.30
    s_curve: Literal["arctan", "logistic"] = "arctan"
    incentive: Literal["spread", "ratio"] = "spread"
    burnout_floor: float = 0.3
    seasoning_months: float = 30.0
    seasonality: tuple[float, ...] = field(default=DEFAULT_SEASONALITY)
    cap_cpr: float = 0.75

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> ModelError:
            return ModelError(f"prepay model {name}={getattr(self, name)!r} {rule}")

        def number(v: object) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

        for name, low, high in (
            ("turnover_cpr", 0.0, 1.0),
            ("refi_max_cpr", 0.0, 1.0),
            ("burnout_floor", 0.0, 1.0),
        ):
            v = getattr(self, name)
            if not (number(v) and low <= v <= high):
                raise bad(name, f"must be a finite number within [{low}, {high}]")
        for name in ("slope", "seasoning_months"):
            v = getattr(self, name)
            if not (number(v) and v > 0):
                raise bad(name, "must be a finite number > 0")
        if not number(self.midpoint):
            raise bad("midpoint", "must be a finite number")
        if not (number(self.cap_cpr) and 0.0 < self.cap_cpr <= MAX_CAP_CPR):
            raise bad("cap_cpr", f"must be within (0, {MAX_CAP_CPR}] (monotone burnout)")
        if self.s_curve not in ("arctan", "logistic"):
            raise bad("s_curve", "must be 'arctan' or 'logistic'")
        if self.incentive not in ("spread", "ratio"):
            raise bad("incentive", "must be 'spread' or 'ratio'")
        try:
            season = tuple(float(x) for x in self.seasonality)
        except (TypeError, ValueError):
            raise bad("seasonality", "must be 12 numbers (January first)") from None
        if len(season) != 12 or not all(math.isfinite(x) and x >= 0 for x in season):
            raise bad("seasonality", "must be 12 finite multipliers >= 0 (January first)")
        if abs(sum(season) / 12.0 - 1.0) > 1e-9:
            raise bad("seasonality", f"must average 1 (averages {sum(season) / 12.0:.12g})")
        object.__setattr__(self, "seasonality", season)

    # ------------------------------------------------------------ formulas
    def incentive_of(self, note_rate: npt.ArrayLike, mortgage_rate: npt.ArrayLike) -> FloatArray:
        """Refinancing incentive in the model's units (percentage points or percent).

        Examples
        --------
        >>> round(float(RefiPrepayModel().incentive_of(0.07, 0.06)), 12)
        1.0
        """
        note = np.asarray(note_rate, dtype=np.float64)
        mrate = np.asarray(mortgage_rate, dtype=np.float64)
        if self.incentive == "spread":
            return np.asarray(100.0 * (note - mrate))
        with np.errstate(divide="ignore"):
            return np.asarray(100.0 * (note / np.maximum(mrate, 1e-12) - 1.0))

    def refi_cpr(self, incentive: npt.ArrayLike) -> FloatArray:
        """The S-curve ``RI(I)`` (annual decimal), before the multipliers.

        Examples
        --------
        >>> m = RefiPrepayModel()
        >>> round(float(m.refi_cpr(m.midpoint)), 6) == round(m.turnover_cpr + m.refi_max_cpr / 2, 6)
        True
        """
        x = self.slope * (np.asarray(incentive, dtype=np.float64) - self.midpoint)
        if self.s_curve == "arctan":
            shape = 0.5 + np.arctan(x) / math.pi
        else:
            shape = 0.5 * (1.0 + np.tanh(0.5 * x))
        return np.asarray(self.turnover_cpr + self.refi_max_cpr * shape)

    def burnout_multiplier(self, survival: npt.ArrayLike) -> FloatArray:
        """``BM(s) = burnout_floor + (1 - burnout_floor) * s`` for prepayment survival ``s``."""
        s = np.clip(np.asarray(survival, dtype=np.float64), 0.0, 1.0)
        return np.asarray(self.burnout_floor + (1.0 - self.burnout_floor) * s)

    def seasoning(self, loan_age: npt.ArrayLike) -> FloatArray:
        """Seasoning ramp ``min(age / seasoning_months, 1)`` for loans of age ``loan_age``."""
        age = np.asarray(loan_age, dtype=np.float64)
        return np.asarray(np.clip(age / self.seasoning_months, 0.0, 1.0))

    def cpr(
        self,
        note_rate: npt.ArrayLike,
        mortgage_rate: npt.ArrayLike,
        loan_age: npt.ArrayLike,
        *,
        survival: npt.ArrayLike = 1.0,
        month_of_year: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Annual CPR (decimal) from the formulas, broadcasting the inputs.

        Parameters
        ----------
        note_rate, mortgage_rate : array_like
            Annual decimals.
        loan_age : array_like
            Age in months in the month of prepayment (``wala + t``).
        survival : array_like, optional
            Burnout state ``s`` in [0, 1]: the fraction of the scheduled
            balance not yet prepaid, default 1 (no burnout).
        month_of_year : array_like of int, optional
            1-12; ``None`` applies no seasonality.
        """
        inc = self.incentive_of(note_rate, mortgage_rate)
        base = self.refi_cpr(inc) * self.burnout_multiplier(survival)
        season = (
            1.0
            if month_of_year is None
            else np.asarray(self.seasonality)[np.asarray(month_of_year, dtype=np.int64) - 1]
        )
        return np.asarray(np.minimum(base * self.seasoning(loan_age) * season, self.cap_cpr))

    # ------------------------------------------------------------ kernel inputs
    @property
    def kind(self) -> int:
        """The :func:`model_smm` kind of this model."""
        return KIND_ARCTAN if self.s_curve == "arctan" else KIND_LOGISTIC

    def kernel_params(self) -> FloatArray:
        """Parameter vector of :func:`model_smm`.

        ``[turnover, refi_max, burnout_floor, 1 - burnout_floor, cap_cpr,
        1/seasoning_months]``.
        """
        f = float(self.burnout_floor)
        return np.array(
            [
                self.turnover_cpr,
                self.refi_max_cpr,
                f,
                1.0 - f,
                self.cap_cpr,
                1.0 / float(self.seasoning_months),
            ]
        )

    def incentive_coordinates(
        self, note_rate: npt.ArrayLike, mortgage_rate: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(zn, A, B)`` with ``z = slope * (I - midpoint) = zn * A - B``.

        ``zn`` per loan (from ``note_rate``), ``A`` and ``B`` per path-month
        (from ``mortgage_rate``): spread incentive ``zn = 100 * slope * note``,
        ``A = 1``, ``B = slope * (100 * m + midpoint)``; ratio incentive
        ``A = 1/m``, ``B = slope * (100 + midpoint)``. One fused multiply-add
        per loan, path and month.
        """
        note = np.asarray(note_rate, dtype=np.float64)
        m = np.asarray(mortgage_rate, dtype=np.float64)
        zn = 100.0 * self.slope * note
        if self.incentive == "spread":
            return zn, np.ones_like(m), self.slope * (100.0 * m + self.midpoint)
        return zn, 1.0 / np.maximum(m, 1e-12), np.full_like(m, self.slope * (100.0 + self.midpoint))

    def as_dict(self) -> dict[str, Any]:
        """Parameters as plain YAML-able values."""
        out = asdict(self)
        out["seasonality"] = list(self.seasonality)
        return out

    def describe(self) -> str:
        """One line naming the model and every parameter (for risk tables)."""
        season = ",".join(f"{x:g}" for x in self.seasonality)
        return (
            f"RefiPrepayModel s_curve={self.s_curve} incentive={self.incentive} "
            f"turnover_cpr={self.turnover_cpr:g} refi_max_cpr={self.refi_max_cpr:g} "
            f"midpoint={self.midpoint:g} slope={self.slope:g} "
            f"burnout_floor={self.burnout_floor:g} seasoning_months={self.seasoning_months:g} "
            f"cap_cpr={self.cap_cpr:g} seasonality=[{season}]"
        )


DEFAULT_PARAMETERS: dict[str, Any] = RefiPrepayModel().as_dict()
"""The default parameters, as :func:`load_prepay_model` reads them."""


# ---------------------------------------------------------------- kernel math
def _fit_coefficients() -> FloatArray:
    """Polynomial coefficients of :func:`model_smm` (least squares on Chebyshev nodes)."""
    k = np.arange(4000)
    r = 0.5 + 0.5 * np.cos(np.pi * (k + 0.5) / 4000)
    atan = np.linalg.lstsq(
        np.vander(r * r, 8, increasing=True) * r[:, None], np.arctan(r), rcond=None
    )[0]
    # k(w) = (1 - (1 - w)^(1/3)) / w for w = 1 - (1 - cpr)^(1/4), cpr in [0, MAX_CAP_CPR]
    lo = (1.0 - MAX_CAP_CPR) ** 0.25 - 1e-3
    v = (1 + lo) / 2 + (1 - lo) / 2 * np.cos(np.pi * (k + 0.5) / 4000)
    w = 1.0 - v
    root = np.linalg.lstsq(np.vander(w, 10, increasing=True), (1.0 - v ** (1 / 3)) / w, rcond=None)[
        0
    ]
    exp_taylor = [(-1.0) ** j / math.factorial(j) for j in range(9)]
    tail = [math.pi / 2, 1.0 / math.pi, 1 / 256, 30.0, 5.0, 1 / 6, 0.5, 1.0]
    return np.concatenate([atan, root, exp_taylor, tail])


_COEFFS = _fit_coefficients()
#: Offsets in the coefficient vector.
_ATAN, _ROOT, _EXP, _TAIL = 0, 8, 18, 27
#: Index of the constant 1 in the coefficient tuple (kernels read their float type's 1 there).
COEF_ONE = _TAIL + 7


def kernel_coefficients(dtype: type = np.float64) -> tuple[Any, ...]:
    """Coefficients :func:`model_smm` reads, as a tuple in the kernel's float type.

    A tuple, not an array: numba passes it by value, so the inlined model
    function costs no reference counting per call.
    """
    return tuple(_COEFFS.astype(dtype))


@njit(inline="always", fastmath=True, error_model="numpy")
def _atan(z, c):  # type: ignore[no-untyped-def]
    a = abs(z)
    one = c[_TAIL + 7]
    r = min(a, one) / max(a, one)
    r2 = r * r
    # Horner, unrolled (a loop here would not vectorise)
    p = (
        (
            (
                (((c[_ATAN + 7] * r2 + c[_ATAN + 6]) * r2 + c[_ATAN + 5]) * r2 + c[_ATAN + 4]) * r2
                + c[_ATAN + 3]
            )
            * r2
            + c[_ATAN + 2]
        )
        * r2
        + c[_ATAN + 1]
    ) * r2 + c[_ATAN + 0]
    p = p * r
    p = c[_TAIL] - p if a > one else p
    return p if z >= 0 else -p


@njit(inline="always", fastmath=True, error_model="numpy")
def _exp_neg(a, c):  # type: ignore[no-untyped-def]
    """``exp(-a)`` for ``0 <= a`` (clamped at 30): Taylor at a/256, squared 8 times."""
    x = min(a, c[_TAIL + 3]) * c[_TAIL + 2]
    p = (
        (
            (
                (
                    (((c[_EXP + 8] * x + c[_EXP + 7]) * x + c[_EXP + 6]) * x + c[_EXP + 5]) * x
                    + c[_EXP + 4]
                )
                * x
                + c[_EXP + 3]
            )
            * x
            + c[_EXP + 2]
        )
        * x
        + c[_EXP + 1]
    ) * x + c[_EXP + 0]
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p


@njit(inline="always", fastmath=True, error_model="numpy")
def model_cpr(kind, z, scale, s, p, c):  # type: ignore[no-untyped-def]
    """The annual CPR of one loan on one path in one month (the kernels' seam).

    Parameters
    ----------
    kind : int
        :data:`KIND_ARCTAN` or :data:`KIND_LOGISTIC`. A new model kind (e.g. a
        compiled tree-ensemble scorer) adds a branch here, reading the same
        inputs; the kernels call this with a literal kind inside a
        loop-invariant branch, so each kind gets its own vectorised loop.
    z : float
        ``slope * (incentive - midpoint)`` (:meth:`RefiPrepayModel.incentive_coordinates`).
    scale : float
        ``ramp(age) * seasonality(month)``.
    s : float
        Burnout state: prepayment survival in [0, 1].
    p, c : tuples
        :meth:`RefiPrepayModel.kernel_params` and :func:`kernel_coefficients`,
        in the kernel's float type (float32 or float64).
    """
    one = c[COEF_ONE]
    half = c[_TAIL + 6]
    if kind == KIND_ARCTAN:
        shape = half + _atan(z, c) * c[_TAIL + 1]
    else:
        e = _exp_neg(abs(z), c)
        inv = one / (one + e)
        shape = inv if z >= 0 else e * inv
    ri = p[0] + p[1] * shape
    return min(ri * (p[2] + p[3] * s) * scale, p[4])


@njit(inline="always", fastmath=True, error_model="numpy")
def cpr_to_smm(cpr, c):  # type: ignore[no-untyped-def]
    """``1 - (1 - cpr)^(1/12)`` for ``0 <= cpr <= 0.9``, without cancellation.

    ``v = sqrt(1 - cpr)``, ``u = sqrt(v) = (1 - cpr)^(1/4)``,
    ``w = 1 - u = cpr / ((1 + v)(1 + u))``; then ``SMM = 1 - (1 - w)^(1/3) =
    w * k(w)`` with ``k`` a degree-9 polynomial (relative error < 1e-8 on
    ``w <= 1 - 0.1^(1/4)``): two square roots, one division, no cancellation.
    """
    one = c[COEF_ONE]
    v = np.sqrt(one - cpr)
    u = np.sqrt(v)
    w = cpr / ((one + v) * (one + u))
    return w * (
        (
            (
                (
                    (
                        (
                            (
                                ((c[_ROOT + 9] * w + c[_ROOT + 8]) * w + c[_ROOT + 7]) * w
                                + c[_ROOT + 6]
                            )
                            * w
                            + c[_ROOT + 5]
                        )
                        * w
                        + c[_ROOT + 4]
                    )
                    * w
                    + c[_ROOT + 3]
                )
                * w
                + c[_ROOT + 2]
            )
            * w
            + c[_ROOT + 1]
        )
        * w
        + c[_ROOT + 0]
    )


@njit(inline="always", fastmath=True, error_model="numpy")
def model_smm(kind, z, scale, s, p, c):  # type: ignore[no-untyped-def]
    """:func:`cpr_to_smm` of :func:`model_cpr` (same arguments)."""
    return cpr_to_smm(model_cpr(kind, z, scale, s, p, c), c)


# ---------------------------------------------------------------- YAML
def load_prepay_model(path: str | Path) -> RefiPrepayModel:
    """Read a :class:`RefiPrepayModel` from a YAML file.

    The file is a mapping of parameter names to values (any subset; missing
    keys take the defaults), optionally under a top-level ``prepay_model`` key.

    Raises
    ------
    ModelError
        Naming the file and the offending key.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "m.yaml")
    ...     _ = open(p, "w").write("prepay_model:\\n  refi_max_cpr: 0.4\\n")
    ...     load_prepay_model(p).refi_max_cpr
    0.4
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise ModelError(f"{p}: cannot read prepay model ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ModelError(f"{p}: not valid YAML ({exc})") from None
    if isinstance(data, dict) and "prepay_model" in data:
        extra = sorted(str(k) for k in data if k not in ("prepay_model", "calibration"))
        if extra:
            raise ModelError(f"{p}: unknown top-level key(s) {extra}; expected 'prepay_model'")
        data = data["prepay_model"]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ModelError(f"{p}: a prepay model must be a mapping of parameter names to values")
    known = {f.name for f in fields(RefiPrepayModel)}
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ModelError(f"{p}: unknown prepay model key(s) {unknown}; known keys {sorted(known)}")
    if "seasonality" in data and isinstance(data["seasonality"], list):
        data = {**data, "seasonality": tuple(data["seasonality"])}
    try:
        return RefiPrepayModel(**data)
    except ModelError as exc:
        raise ModelError(f"{p}: {exc}") from None
    except TypeError as exc:
        raise ModelError(f"{p}: bad prepay model value ({exc})") from None

"""Rate-driven prepayment model: turnover + S-curve refinancing, seasoning, burnout, seasonality.

The structure follows Richard & Roll, "Prepayments on Fixed-Rate Mortgage-Backed
Securities", *Journal of Portfolio Management* 15(3), 1989, pp. 73-82: the
annual prepayment rate is a product of a **refinancing incentive** function
(an S-curve of the gap between the loan's note rate and the mortgage rate
borrowers can get now), a **seasoning** multiplier (new loans prepay slowly), a
**month-of-year** multiplier and a **burnout** multiplier (pools that have
already been exposed to an incentive prepay less on the same incentive: the
borrowers quickest to refinance have left). Here, per loan, path and month
``t``::

    I      = note_rate - mortgage_rate(t-1)                 incentive="spread"
           = note_rate / mortgage_rate(t-1) - 1             incentive="ratio"
    S(I)   = refi_max_cpr * (1/2 + arctan(slope * (I - midpoint)) / pi)   s_curve="arctan"
           = refi_max_cpr / (1 + exp(-slope * (I - midpoint)))           s_curve="logistic"
    B(t)   = exp(-burnout * sum_{s <= t} max(I(s), 0))     (burnout, per loan and path)
    ramp   = min((loan_age + t) / seasoning_months, 1)
    CPR    = min(cap_cpr, (turnover_cpr + S(I) * B(t-1)) * ramp * seasonality[month of year])
    SMM    = 1 - (1 - CPR)^(1/12)

Units: ``I``, ``midpoint`` in **percentage points** for ``"spread"`` (1.0 =
100bp) and in percent for ``"ratio"``; ``slope`` per percentage point;
``burnout`` per percentage-point-month of positive incentive (``0.02`` and a
100bp incentive for 12 months give ``B = exp(-0.24) = 0.79``). The mortgage
rate read in period ``t`` is the one quoted at the start of that month
(column ``t - 1`` of the paths' mortgage rates). Burnout starts at 1 for every
loan (the tape carries no incentive history).

The default parameters (:data:`DEFAULT_PARAMETERS`, also
``examples/models/prepay_default.yaml``) are an **illustrative calibration, not
fitted** to any prepayment data: 6% CPR turnover, up to 55% CPR refinancing
with the S-curve's midpoint at 150bp of incentive, a 30-month seasoning ramp
(as PSA's) and a summer-heavy seasonality. Fit them before relying on prices.

In the projection kernel the S-curve and the burnout decay are read from a
table of :data:`GRID_POINTS` incentives (linear interpolation, step 0.01
percentage points; incentives beyond the table are clamped to its ends) and the
CPR-to-SMM conversion from a table over ``[0, cap_cpr]`` (linear interpolation,
error below 1e-8 in SMM); with the default S-curve the interpolation error is
below 5e-6 in CPR. :meth:`RefiPrepayModel.cpr` evaluates the formulas
directly.

Examples
--------
>>> m = RefiPrepayModel()
>>> cpr = m.cpr(note_rate=0.07, mortgage_rate=np.array([0.08, 0.07, 0.055]), loan_age=60)
>>> [round(float(x), 4) for x in cpr]
[0.0611, 0.0726, 0.335]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml

from trancheflow.errors import ModelError

__all__ = [
    "DEFAULT_PARAMETERS",
    "RefiPrepayModel",
    "load_prepay_model",
]

FloatArray = npt.NDArray[np.float64]

#: Illustrative month-of-year multipliers (January first), averaging 1: home
#: sales, hence turnover, peak in late spring and summer.
DEFAULT_SEASONALITY: tuple[float, ...] = (
    0.80,
    0.80,
    0.90,
    1.00,
    1.10,
    1.20,
    1.20,
    1.20,
    1.05,
    1.00,
    0.90,
    0.85,
)

#: Incentive table of the kernel, steps of 0.01: -15..+15 percentage points
#: (``incentive="spread"``), -60%..+150% (``"ratio"``).
GRID_LO, GRID_HI = -15.0, 15.0
GRID_POINTS = 3001
RATIO_GRID_LO, RATIO_GRID_HI = -60.0, 150.0
RATIO_GRID_POINTS = 21001
_SMM_POINTS = 4097


@dataclass(frozen=True)
class RefiPrepayModel:
    """Parameters of the rate-driven prepayment model (see the module docstring).

    Parameters
    ----------
    turnover_cpr : float
        Seasoned turnover (housing-sale) CPR, annual decimal, default 0.06.
    refi_max_cpr : float
        Height of the refinancing S-curve, annual decimal, default 0.55.
    midpoint : float
        Incentive at half height, percentage points (``"spread"``) or percent
        (``"ratio"``), default 1.5.
    slope : float
        Steepness of the S-curve per percentage point, default 2.5 (> 0).
    s_curve : {"arctan", "logistic"}
        Shape of the S-curve, default ``"logistic"`` (``"arctan"`` has heavier
        tails: more refinancing out of the money).
    incentive : {"spread", "ratio"}
        Note rate minus mortgage rate, or their ratio less one, default ``"spread"``.
    burnout : float
        Decay per percentage-point-month of positive incentive, default 0.02 (>= 0).
    seasoning_months : float
        Months to full seasoning (linear ramp in loan age), default 30 (> 0).
    seasonality : tuple of 12 floats
        Month-of-year multipliers, January first; must average 1.
    cap_cpr : float
        Ceiling on the total CPR, default 0.75 (within (0, 1)).

    Examples
    --------
    >>> RefiPrepayModel(slope=-1.0)
    Traceback (most recent call last):
    ...
    trancheflow.errors.ModelError: prepay model slope=-1.0 must be a finite number > 0
    """

    turnover_cpr: float = 0.06
    refi_max_cpr: float = 0.55
    midpoint: float = 1.5
    slope: float = 2.5
    s_curve: Literal["arctan", "logistic"] = "logistic"
    incentive: Literal["spread", "ratio"] = "spread"
    burnout: float = 0.02
    seasoning_months: float = 30.0
    seasonality: tuple[float, ...] = field(default=DEFAULT_SEASONALITY)
    cap_cpr: float = 0.75

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> ModelError:
            return ModelError(f"prepay model {name}={getattr(self, name)!r} {rule}")

        for name, low, high in (
            ("turnover_cpr", 0.0, 1.0),
            ("refi_max_cpr", 0.0, 1.0),
            ("burnout", 0.0, math.inf),
        ):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and low <= v <= high):
                raise bad(name, f"must be a finite number within [{low}, {high}]")
        for name in ("slope", "seasoning_months"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise bad(name, "must be a finite number > 0")
        if not (isinstance(self.midpoint, int | float) and math.isfinite(self.midpoint)):
            raise bad("midpoint", "must be a finite number")
        if not (isinstance(self.cap_cpr, int | float) and 0.0 < self.cap_cpr < 1.0):
            raise bad("cap_cpr", "must be within (0, 1)")
        if self.s_curve not in ("arctan", "logistic"):
            raise bad("s_curve", "must be 'arctan' or 'logistic'")
        if self.incentive not in ("spread", "ratio"):
            raise bad("incentive", "must be 'spread' or 'ratio'")
        season = tuple(float(x) for x in self.seasonality)
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
        """The S-curve: refinancing CPR (annual decimal) at ``incentive``, before multipliers.

        Examples
        --------
        >>> m = RefiPrepayModel()
        >>> round(float(m.refi_cpr(m.midpoint)), 6) == round(m.refi_max_cpr / 2, 6)
        True
        """
        x = self.slope * (np.asarray(incentive, dtype=np.float64) - self.midpoint)
        if self.s_curve == "arctan":
            return np.asarray(self.refi_max_cpr * (0.5 + np.arctan(x) / math.pi))
        return np.asarray(self.refi_max_cpr * 0.5 * (1.0 + np.tanh(0.5 * x)))

    def burnout_decay(self, incentive: npt.ArrayLike) -> FloatArray:
        """One month's burnout factor ``exp(-burnout * max(I, 0))``."""
        i = np.maximum(np.asarray(incentive, dtype=np.float64), 0.0)
        return np.asarray(np.exp(-self.burnout * i))

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
        burnout_factor: npt.ArrayLike = 1.0,
        month_of_year: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Annual CPR (decimal) from the formulas, broadcasting the inputs.

        Parameters
        ----------
        note_rate, mortgage_rate : array_like
            Annual decimals.
        loan_age : array_like
            Age in months in the month of prepayment (``wala + t``).
        burnout_factor : array_like, optional
            ``B`` carried from earlier months, default 1 (no exposure).
        month_of_year : array_like of int, optional
            1-12; ``None`` applies no seasonality.
        """
        inc = self.incentive_of(note_rate, mortgage_rate)
        base = self.turnover_cpr + self.refi_cpr(inc) * np.asarray(burnout_factor, dtype=float)
        season = (
            1.0
            if month_of_year is None
            else np.asarray(self.seasonality)[np.asarray(month_of_year, dtype=np.int64) - 1]
        )
        return np.asarray(np.minimum(base * self.seasoning(loan_age) * season, self.cap_cpr))

    # ------------------------------------------------------------ kernel tables
    def incentive_grid(self) -> tuple[float, float, int]:
        """``(lowest, highest, points)`` of the kernel's incentive table."""
        if self.incentive == "ratio":
            return RATIO_GRID_LO, RATIO_GRID_HI, RATIO_GRID_POINTS
        return GRID_LO, GRID_HI, GRID_POINTS

    def kernel_tables(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Tables the path kernel interpolates: S-curve, burnout decay, CPR->SMM.

        Returns ``(refi, decay, smm)``: the first two on the even incentive
        grid of :meth:`incentive_grid`; the last on an even grid of CPRs over
        ``[0, cap_cpr]``.
        """
        grid = np.linspace(*self.incentive_grid())
        cpr = np.linspace(0.0, self.cap_cpr, _SMM_POINTS)
        smm = -np.expm1(np.log1p(-cpr) / 12.0)
        return (
            np.ascontiguousarray(self.refi_cpr(grid)),
            np.ascontiguousarray(self.burnout_decay(grid)),
            np.ascontiguousarray(smm),
        )

    def as_dict(self) -> dict[str, Any]:
        """Parameters as plain YAML-able values."""
        out = asdict(self)
        out["seasonality"] = list(self.seasonality)
        return out


DEFAULT_PARAMETERS: dict[str, Any] = RefiPrepayModel().as_dict()
"""The default parameters, as :func:`load_prepay_model` reads them."""


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
    if isinstance(data, dict) and set(data) == {"prepay_model"}:
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

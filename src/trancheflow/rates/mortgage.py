"""Primary mortgage rate on each simulated rate path.

Borrowers refinance against the rate lenders quote for new 30-year loans
(e.g. Freddie Mac's PMMS), which moves with the 10-year Treasury. The model
is linear in the path's long rate:

``mortgage_rate = a + b · long_rate + spread``, floored at ``floor``,

where ``long_rate`` is the ``tenor_years`` par (or zero) rate on the path,
computed from the short-rate model's closed-form bond prices at each month
(:meth:`~trancheflow.rates.paths.RatePaths.long_rate`).

Defaults: ``a = 0.017``, ``b = 1.0``, ``spread = 0.0``, 10-year par rate, floor
0. The 1.7% intercept is the rough long-run average gap between the 30-year
fixed mortgage rate and the 10-year Treasury yield (it has ranged from about
1.4% to above 3% since the 1970s); calibrate ``a`` and ``b`` by regression of
PMMS on the 10-year CMT for serious use. ``spread`` is an additive stress
(a wider primary-secondary spread), kept apart from the calibrated ``a``.

Examples
--------
>>> import numpy as np
>>> MortgageRateModel().from_long_rate(np.array([0.04, 0.05])).round(4).tolist()
[0.057, 0.067]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from trancheflow.errors import ModelError
from trancheflow.rates.paths import FloatArray, RatePaths


@dataclass(frozen=True)
class MortgageRateModel:
    """Mortgage rate ``= a + b · long rate + spread`` (floored), over paths × months.

    Parameters
    ----------
    a : float, optional
        Intercept (decimal), default 0.017.
    b : float, optional
        Sensitivity to the long rate, default 1.0.
    spread : float, optional
        Additional additive spread (decimal), default 0.0.
    tenor_years : float, optional
        Maturity of the long rate, default 10.0.
    kind : {"par", "zero"}, optional
        Long-rate convention, default ``"par"`` (semiannual par yield).
    floor : float or None, optional
        Lowest mortgage rate produced, default 0.0; ``None`` for no floor.

    Examples
    --------
    >>> from trancheflow.rates import Vasicek
    >>> paths = Vasicek(a=0.1, b=0.05, sigma=0.01, r0=0.04).simulate(4, 24, seed=1)
    >>> MortgageRateModel().rate(paths).shape
    (4, 25)
    """

    a: float = 0.017
    b: float = 1.0
    spread: float = 0.0
    tenor_years: float = 10.0
    kind: Literal["par", "zero"] = "par"
    floor: float | None = 0.0

    def __post_init__(self) -> None:
        for name in ("a", "b", "spread", "tenor_years"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ModelError(f"MortgageRateModel.{name}={value!r} must be a finite number")
        if self.tenor_years <= 0.0:
            raise ModelError(f"MortgageRateModel.tenor_years={self.tenor_years!r} must be > 0")
        if self.kind not in ("par", "zero"):
            raise ModelError(f"MortgageRateModel.kind={self.kind!r} must be 'par' or 'zero'")

    def from_long_rate(self, long_rate: npt.ArrayLike) -> FloatArray:
        """Mortgage rate for given long rates (any shape, e.g. paths × months)."""
        rate = self.a + self.b * np.asarray(long_rate, dtype=np.float64) + self.spread
        if self.floor is not None:
            rate = np.maximum(rate, self.floor)
        return rate

    def rate(self, paths: RatePaths) -> FloatArray:
        """Mortgage rate on every path and month, shape ``(n_paths, n_months + 1)``."""
        return self.from_long_rate(paths.long_rate(self.tenor_years, kind=self.kind))

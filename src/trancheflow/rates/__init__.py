"""Interest-rate curves, short-rate models and rate paths for MBS valuation.

* :class:`ZeroCurve` — zero curve (piecewise-flat forwards), shifts and key-rate bumps.
* :func:`bootstrap_par_curve`, :func:`bootstrap_curve` — curves from bill/par/zero quotes.
* :func:`read_curve_csv` — quotes from a ``tenor,rate[,kind]`` CSV file.
* :class:`HullWhite1F`, :class:`Vasicek`, :class:`CIR` — short-rate models with
  closed-form bond prices and monthly path simulation.
* :class:`RatePaths` — simulated short rates, pathwise discount factors, long rates.
* :class:`MortgageRateModel` — primary mortgage rate on each path.

Examples
--------
>>> curve = bootstrap_par_curve([0.5, 1, 2, 5, 10, 30], [0.05, 0.048, 0.045, 0.043, 0.044, 0.046])
>>> paths = HullWhite1F(curve, a=0.05, sigma=0.01).simulate(1000, 360, seed=42)
>>> MortgageRateModel().rate(paths).shape
(1000, 361)
"""

from trancheflow.rates.bootstrap import (
    bootstrap_curve,
    bootstrap_par_curve,
    par_bond_price,
    par_yield,
)
from trancheflow.rates.cir import CIR
from trancheflow.rates.curve import KEY_RATE_TENORS, ZeroCurve
from trancheflow.rates.curve_io import parse_tenor, read_curve_csv
from trancheflow.rates.gaussian import HullWhite1F, Vasicek
from trancheflow.rates.mortgage import MortgageRateModel
from trancheflow.rates.paths import RatePaths, ShortRateModel, standard_normals

__all__ = [
    "CIR",
    "KEY_RATE_TENORS",
    "HullWhite1F",
    "MortgageRateModel",
    "RatePaths",
    "ShortRateModel",
    "Vasicek",
    "ZeroCurve",
    "bootstrap_curve",
    "bootstrap_par_curve",
    "par_bond_price",
    "par_yield",
    "parse_tenor",
    "read_curve_csv",
    "standard_normals",
]

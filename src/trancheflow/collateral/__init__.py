"""Collateral cash-flow engine: BMA standard prepayment/default projections.

Loan-level (every loan of a tape) and rep-line projections share one numba
kernel; speeds are given in market notation (``"PSA 150"``, ``"SDA 100"``).

Examples
--------
>>> from trancheflow.collateral import Assumptions, RepLine, project_pool
>>> cf = project_pool(RepLine(1e6, 0.07, 0.065, 360, 360, 0),
...                   Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=12))
>>> round(float(cf["total_principal"].sum() + cf["loss"].sum()), 4)
1000000.0
"""

from .assumptions import Assumptions, RepLine
from .path_kernel import project_paths
from .prepay_model import RefiPrepayModel, load_prepay_model
from .projection import CASHFLOW_COLUMNS, project_pool, project_scenarios
from .speeds import (
    DefaultSpeed,
    PrepaySpeed,
    cpr_to_smm,
    parse_default,
    parse_prepay,
    psa_cpr,
    sda_cdr,
    smm_to_cpr,
)

__all__ = [
    "CASHFLOW_COLUMNS",
    "Assumptions",
    "DefaultSpeed",
    "PrepaySpeed",
    "RefiPrepayModel",
    "RepLine",
    "cpr_to_smm",
    "load_prepay_model",
    "parse_default",
    "parse_prepay",
    "project_paths",
    "project_pool",
    "project_scenarios",
    "psa_cpr",
    "sda_cdr",
    "smm_to_cpr",
]

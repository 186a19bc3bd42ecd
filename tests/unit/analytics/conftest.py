"""Fixtures for the analytics tests: a plain-loop pass-through reference generator.

Written straight from BMA Standard Formulas B.1 (level-pay amortization,
servicing strip) and B.2.c (PSA ramp, SMM = 1 - (1 - CPR)^(1/12)), one month
at a time, so the analytics tests do not depend on the collateral engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray


def passthrough(
    *,
    gross: float,
    net: float,
    term: int,
    psa: float = 0.0,
    age: int = 0,
    balance: float = 100.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (principal, net interest) per month for a level-pay pool.

    ``gross``/``net`` are annual decimals; ``term`` the remaining months;
    ``psa`` percent of the PSA curve; ``age`` the loan age at the start.
    """
    r = gross / 12.0
    principal = np.zeros(term)
    interest = np.zeros(term)
    bal = balance
    for k in range(term):
        remaining = term - k
        payment = bal * r / (1.0 - (1.0 + r) ** -remaining) if r > 0 else bal / remaining
        sched = payment - bal * r
        month = age + k + 1
        cpr = min(psa / 100.0 * 0.002 * max(1, min(month, 30)), 1.0)
        smm = 1.0 - (1.0 - cpr) ** (1.0 / 12.0)
        prepay = smm * (bal - sched)
        interest[k] = bal * net / 12.0
        principal[k] = sched + prepay
        bal -= sched + prepay
    return principal, interest


@pytest.fixture(scope="session")
def make_passthrough() -> Callable[..., tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """The reference generator :func:`passthrough` itself."""
    return passthrough


@pytest.fixture(scope="session")
def gnma_150psa() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """SF G.1 example pool (page SF-50): 9.0% net / 9.5% gross, 360 months, 150% PSA."""
    return passthrough(gross=0.095, net=0.09, term=360, psa=150.0)

"""``pool_measures``: analytics fed by the collateral engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest

from trancheflow.analytics import yield_measures
from trancheflow.analytics.pool import pool_measures, pool_net_rate
from trancheflow.collateral import Assumptions, RepLine, project_pool
from trancheflow.errors import AnalyticsError
from trancheflow.tape import generate_tape

Passthrough = Callable[..., tuple[np.ndarray, np.ndarray]]


def test_rep_line_matches_reference_passthrough(make_passthrough: Passthrough) -> None:
    """The engine's PSA pass-through and the plain-loop reference give the same measures."""
    line = RepLine(2_500_000.0, 0.0725, 0.0675, 360, 348, 12)
    settle = date(2024, 5, 9)
    ours = pool_measures(
        line, Assumptions("PSA 175", "CDR 0"), price=97.25, settle=settle, delay_days=24
    )
    principal, interest = make_passthrough(
        gross=0.0725, net=0.0675, term=348, psa=175.0, age=12, balance=2_500_000.0
    )
    ref = yield_measures(principal, interest, price=97.25, settle=settle, delay_days=24)
    for key, value in ref.as_dict().items():
        got = ours.as_dict()[key]
        assert (got is None) if value is None else got == pytest.approx(value, rel=1e-9), key


def test_losses_price_on_the_current_face_not_principal_received() -> None:
    line = RepLine(1_000_000.0, 0.07, 0.065, 360, 360, 0)
    a = Assumptions("PSA 150", "SDA 200", severity=0.4, recovery_lag=12)
    cf = project_pool(line, a)
    m = pool_measures(line, a, yield_=0.065)
    full_pv_on_received = yield_measures(
        cf["total_principal"], cf["net_interest"], yield_=0.065
    ).full_price
    # the same cash, divided by the 1,000,000 face instead of the smaller principal received
    received = float(cf["total_principal"].sum())
    assert received < 1_000_000.0
    assert m.full_price == pytest.approx(full_pv_on_received * received / 1_000_000.0, rel=1e-12)
    # accrued on the pool's net rate, not the (loss-reduced) first-month interest
    s = pool_measures(line, a, yield_=0.065, settle=date(2024, 1, 16))
    assert s.accrued == pytest.approx(100 * 0.065 * 15 / 360, rel=1e-12)


def test_pool_net_rate_of_a_tape() -> None:
    tape = generate_tape(40, seed=7)
    expected = float(np.average(tape["net_rate"], weights=tape["current_balance"]))
    assert pool_net_rate(tape) == pytest.approx(expected, rel=1e-14)
    with pytest.raises(AnalyticsError, match=r"lacks column\(s\) \['net_rate'\]"):
        pool_net_rate(tape.drop(columns=["net_rate"]))


def test_effective_measures_scale_prepayments_only() -> None:
    line = RepLine(1_000_000.0, 0.07, 0.065, 360, 360, 0)
    a = Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=6)
    none = pool_measures(line, a, price=102.0)
    fixed = pool_measures(line, a, price=102.0, speed_shock=0.0, yield_shift=1e-4)
    moving = pool_measures(line, a, price=102.0, speed_shock=0.25)
    assert none.effective_duration is None
    assert fixed.effective_duration == pytest.approx(fixed.modified, rel=1e-6)
    assert moving.effective_duration is not None
    assert moving.effective_duration < fixed.modified

"""Refused inputs raise the specific trancheflow errors with messages naming the input."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from trancheflow.analytics import (
    average_life,
    cash_flow_risk,
    cash_flow_times,
    effective_duration_convexity,
    price_from_yield,
    yield_from_price,
    yield_measures,
)
from trancheflow.errors import AnalyticsError, SolverError

FLOWS = np.array([0.5, 0.5, 100.5])


def test_unreachable_price_raises_solver_error_with_inputs() -> None:
    with pytest.raises(SolverError, match=r"clean price 1000000\.0.*balance 100\.0.*3 periods"):
        yield_from_price(FLOWS, 1e6, balance=100.0)
    # all-negative cash flows cannot be bought at a positive price
    with pytest.raises(SolverError, match="no bond-equivalent yield"):
        yield_from_price(-FLOWS, 99.0, balance=100.0)


def test_solver_error_is_an_analytics_error() -> None:
    assert issubclass(SolverError, AnalyticsError)


def test_non_finite_cash_flow_names_the_period() -> None:
    flows = FLOWS.copy()
    flows[1] = np.nan
    with pytest.raises(AnalyticsError, match=r"cash_flows\[1\] = nan is not finite \(period 2\)"):
        price_from_yield(flows, 0.05, balance=100.0)


@pytest.mark.parametrize(
    ("settle", "start", "rule"),
    [
        (date(2024, 3, 1), date(2024, 3, 5), "before accrual_start"),
        (date(2024, 4, 20), date(2024, 3, 1), "49 days .* after accrual_start"),
    ],
)
def test_settlement_outside_first_accrual_period(settle: date, start: date, rule: str) -> None:
    with pytest.raises(AnalyticsError, match=rule):
        price_from_yield(FLOWS, 0.05, balance=100.0, settle=settle, accrual_start=start)


def test_settlement_on_the_31st_is_the_last_day_of_the_period() -> None:
    t = cash_flow_times(1, delay_days=24, settle=date(2024, 3, 31))
    assert t[0] == pytest.approx(24 / 360)


def test_bad_scalars_are_named() -> None:
    with pytest.raises(AnalyticsError, match=r"balance = 0\.0 must be"):
        price_from_yield(FLOWS, 0.05, balance=0.0)
    with pytest.raises(AnalyticsError, match=r"price = -1\.0 must be"):
        yield_from_price(FLOWS, -1.0, balance=100.0)
    with pytest.raises(AnalyticsError, match="delay_days -1"):
        price_from_yield(FLOWS, 0.05, balance=100.0, delay_days=-1)
    with pytest.raises(AnalyticsError, match="yield_type 'annual'"):
        price_from_yield(FLOWS, 0.05, balance=100.0, yield_type="annual")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match="price_type 'dirty'"):
        yield_from_price(FLOWS, 99.0, balance=100.0, price_type="dirty")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match="must be > -2"):
        price_from_yield(FLOWS, -2.5, balance=100.0)


def test_shape_problems() -> None:
    with pytest.raises(AnalyticsError, match="cash_flows is empty"):
        price_from_yield([], 0.05, balance=100.0)
    with pytest.raises(AnalyticsError, match="one-dimensional"):
        price_from_yield([[1.0, 2.0]], 0.05, balance=100.0)
    with pytest.raises(AnalyticsError, match="principal has 2 periods but interest has 3"):
        yield_measures([1.0, 2.0], [0.1, 0.1, 0.1], price=100.0)


def test_exactly_one_of_price_and_yield() -> None:
    with pytest.raises(AnalyticsError, match="exactly one of price or yield_"):
        yield_measures([100.0], [0.5], price=100.0, yield_=0.05)
    with pytest.raises(AnalyticsError, match="exactly one of price or yield_"):
        yield_measures([100.0], [0.5])
    with pytest.raises(AnalyticsError, match="exactly one of yield_ or price"):
        effective_duration_convexity(lambda k: FLOWS, balance=100.0)


def test_effective_inputs() -> None:
    with pytest.raises(AnalyticsError, match=r"speed_shock 1\.5"):
        effective_duration_convexity(lambda k: FLOWS, balance=100.0, yield_=0.05, speed_shock=1.5)
    with pytest.raises(
        AnalyticsError, match=r"project\(0.9\) principal has 3 periods but interest 2"
    ):
        effective_duration_convexity(
            lambda k: FLOWS if k == 1.0 else (FLOWS, FLOWS[:2]),
            balance=100.0,
            yield_=0.05,
            speed_shock=0.1,
        )


def test_zero_principal_and_zero_value() -> None:
    with pytest.raises(AnalyticsError, match="principal that sums to a positive amount"):
        average_life([1.0, -1.0])
    with pytest.raises(AnalyticsError, match="convention 'cmo'"):
        average_life([1.0], convention="cmo")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match="positive present value"):
        cash_flow_risk([0.0, 0.0], 0.05)

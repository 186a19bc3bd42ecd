"""Z-spread over a zero curve: closed forms, QuantLib, round trips, errors."""

from __future__ import annotations

import numpy as np
import pytest
import QuantLib as ql  # noqa: N813
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.analytics.zspread import flow_times, price_from_zspread, zspread_from_price
from trancheflow.errors import AnalyticsError, SolverError
from trancheflow.rates import ZeroCurve

CURVE = ZeroCurve([0.5, 1.0, 2.0, 5.0, 10.0, 30.0], [0.052, 0.049, 0.045, 0.042, 0.043, 0.045])


def _mortgage(rate: float = 0.06, n: int = 360, balance: float = 100.0) -> np.ndarray:
    r = rate / 12
    return np.full(n, balance * r / (1 - (1 + r) ** -n))


def test_zero_coupon_closed_form() -> None:
    flows = np.r_[np.zeros(59), 100.0]
    z = zspread_from_price(flows, CURVE, 80.0, balance=100.0)
    # 80 = 100 P(5) e^{-5 z}  =>  z = ln(100 P(5) / 80) / 5
    assert z == pytest.approx(np.log(100 * float(CURVE.discount(5.0)) / 80.0) / 5.0, abs=1e-13)


def test_matches_quantlib_zspread() -> None:
    """QuantLib CashFlows.zSpread, continuous compounding on a log-linear discount curve.

    Our ZeroCurve is linear in r(t)·t between nodes, i.e. log-linear in the
    discount factor, which is QuantLib's DiscountCurve default; 30/360 dates on
    the first of each month make year fractions exactly k/12.
    """
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Thirty360(ql.Thirty360.BondBasis)
    node_dates = [today] + [today + ql.Period(round(12 * t), ql.Months) for t in CURVE.tenors]
    dfs = [1.0] + [float(CURVE.discount(t)) for t in CURVE.tenors]
    handle = ql.YieldTermStructureHandle(ql.DiscountCurve(node_dates, dfs, dc))
    flows = _mortgage(0.065)
    leg = [
        ql.SimpleCashFlow(float(cf), today + ql.Period(k + 1, ql.Months))
        for k, cf in enumerate(flows)
    ]
    target_npv = 97.5
    ql_z = ql.CashFlows.zSpread(
        leg,
        target_npv,
        handle.currentLink(),
        dc,
        ql.Continuous,
        ql.Annual,
        False,
        today,
        today,
        1e-14,
        200,
        0.01,
    )
    ours = zspread_from_price(flows, CURVE, target_npv, balance=100.0)
    assert ours == pytest.approx(ql_z, abs=1e-10)


@given(z=st.floats(-0.05, 0.2), delay=st.integers(0, 60))
def test_round_trip(z: float, delay: int) -> None:
    flows = _mortgage(0.07, 240)
    p = price_from_zspread(flows, CURVE, z, balance=100.0, delay_days=delay)
    assert zspread_from_price(flows, CURVE, p, balance=100.0, delay_days=delay) == pytest.approx(
        z, abs=1e-11
    )


def test_price_falls_as_spread_and_delay_rise() -> None:
    flows = _mortgage()
    prices = [price_from_zspread(flows, CURVE, z, balance=100.0) for z in (-0.01, 0, 0.01, 0.02)]
    assert np.all(np.diff(prices) < 0)
    assert price_from_zspread(flows, CURVE, 0.01, balance=100.0, delay_days=24) < prices[2]
    np.testing.assert_allclose(flow_times(2, 24), [1 / 12 + 24 / 360, 2 / 12 + 24 / 360])


def test_errors_name_the_input() -> None:
    with pytest.raises(SolverError, match=r"no Z-spread.*0\.001"):
        zspread_from_price(_mortgage(), CURVE, 0.001, balance=100.0)
    with pytest.raises(AnalyticsError, match="balance"):
        price_from_zspread(_mortgage(), CURVE, 0.01, balance=0.0)
    with pytest.raises(AnalyticsError, match="delay_days"):
        flow_times(3, delay_days=-1)
    with pytest.raises(AnalyticsError, match=r"cash_flows\[2\]"):
        price_from_zspread([1.0, 2.0, float("nan")], CURVE, 0.0, balance=1.0)

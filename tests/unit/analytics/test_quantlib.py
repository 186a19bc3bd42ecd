"""Cross-checks against QuantLib on a no-prepayment level-pay mortgage.

QuantLib is an independent implementation of the same algebra: discounting
with a compounded ``InterestRate`` on a 30/360 day counter, Macaulay and
modified duration and convexity (``CashFlows.duration``/``convexity``,
``BondFunctions``). Convention notes:

* The Standard Formulas compute duration and convexity with the
  bond-equivalent (semiannual) yield, so QuantLib is asked for the same
  measures with ``Compounded, Semiannual``; QuantLib's Macaulay duration is
  ``(1 + y/2)`` times its modified duration, which is SF G.1.e.
* QuantLib's ``convexity`` is ``P''/P``, the SF G.1.f cash-flow convexity.
* The mortgage yield is QuantLib's yield with ``Compounded, Monthly``.
* Times: QuantLib measures ``Thirty360(USA)`` from settlement to each payment
  date. Payment dates fall on the ``1 + delay``-th of the month and the
  settlement day is drawn from 1..27, where the USA and SF E.1 rules agree and
  ``30 k + delay - N_settle`` (our time) equals QuantLib's day count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
import QuantLib as ql  # noqa: N813
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.analytics import (
    cash_flow_risk,
    price_from_yield,
    yield_from_price,
)

DC = ql.Thirty360(ql.Thirty360.USA)
Passthrough = Callable[..., tuple[np.ndarray, np.ndarray]]


def _qdate(d: date) -> ql.Date:
    return ql.Date(d.day, d.month, d.year)


def _leg(flows: np.ndarray, accrual_start: date, delay: int) -> list[ql.CashFlow]:
    start = _qdate(accrual_start)
    return [
        ql.SimpleCashFlow(float(cf), start + ql.Period(k + 1, ql.Months) + delay)
        for k, cf in enumerate(flows)
    ]


@given(
    gross=st.floats(0.02, 0.12),
    term=st.sampled_from([60, 180, 360]),
    settle_day=st.integers(1, 27),
    delay=st.sampled_from([0, 14, 19, 24]),
    bey=st.floats(0.005, 0.15),
)
def test_price_duration_convexity_match_quantlib(
    make_passthrough: Passthrough,
    gross: float,
    term: int,
    settle_day: int,
    delay: int,
    bey: float,
) -> None:
    net = gross - 0.005
    principal, interest = make_passthrough(gross=gross, net=net, term=term)
    flows = principal + interest
    accrual_start = date(2024, 3, 1)
    settle = date(2024, 3, settle_day)
    leg = _leg(flows, accrual_start, delay)
    qsettle = _qdate(settle)
    rate = ql.InterestRate(bey, DC, ql.Compounded, ql.Semiannual)

    ours = price_from_yield(flows, bey, balance=100.0, coupon=net, settle=settle, delay_days=delay)
    npv = ql.CashFlows.npv(leg, rate, False, qsettle, qsettle)
    assert ours.full == pytest.approx(npv, rel=1e-12)

    risk = cash_flow_risk(flows, bey, settle=settle, delay_days=delay)
    mac = ql.CashFlows.duration(leg, rate, ql.Duration.Macaulay, False, qsettle)
    mod = ql.CashFlows.duration(leg, rate, ql.Duration.Modified, False, qsettle)
    conv = ql.CashFlows.convexity(leg, rate, False, qsettle, qsettle)
    assert risk.macaulay == pytest.approx(mac, rel=1e-10)
    assert risk.modified == pytest.approx(mod, rel=1e-10)
    assert risk.convexity == pytest.approx(conv, rel=1e-10)

    # yield from the full price, on both bases, against QuantLib's solver
    y_bey = yield_from_price(
        flows, npv, balance=100.0, settle=settle, delay_days=delay, price_type="full"
    )
    y_mtg = yield_from_price(
        flows,
        npv,
        balance=100.0,
        settle=settle,
        delay_days=delay,
        price_type="full",
        yield_type="mortgage",
    )
    ql_bey = ql.CashFlows.yieldRate(
        leg, npv, DC, ql.Compounded, ql.Semiannual, False, qsettle, qsettle, 1e-14, 200, 0.05
    )
    ql_mtg = ql.CashFlows.yieldRate(
        leg, npv, DC, ql.Compounded, ql.Monthly, False, qsettle, qsettle, 1e-14, 200, 0.05
    )
    assert y_bey == pytest.approx(ql_bey, abs=1e-10)
    assert y_mtg == pytest.approx(ql_mtg, abs=1e-10)


@pytest.mark.parametrize(("settle_day", "delay"), [(1, 0), (8, 0), (8, 24), (20, 14)])
def test_amortizing_bond_clean_price_accrued_and_yield(
    make_passthrough: Passthrough, settle_day: int, delay: int
) -> None:
    """``ql.AmortizingFixedRateBond`` from the same notionals: QuantLib builds the
    interest (coupon x 30/360) and principal itself, and prices clean with its own
    accrued interest (30/360 from the accrual start)."""
    gross, net, term = 0.065, 0.06, 360
    principal, interest = make_passthrough(gross=gross, net=net, term=term)
    notionals = list(100.0 - np.concatenate([[0.0], np.cumsum(principal)[:-1]]))
    start = ql.Date(1, 3, 2024)
    schedule = ql.Schedule(
        start,
        start + ql.Period(term, ql.Months),
        ql.Period(ql.Monthly),
        ql.NullCalendar(),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Forward,
        False,
    )
    bond = ql.AmortizingFixedRateBond(
        0, notionals, schedule, [net], DC, ql.Unadjusted, start, paymentLag=delay
    )
    qsettle = ql.Date(settle_day, 3, 2024)
    bond_flows = np.array([cf.amount() for cf in bond.cashflows()])
    pay_dates = sorted({cf.date() for cf in bond.cashflows()})
    assert len(pay_dates) == term
    # QuantLib's own interest + principal per date equal our reference vector
    by_date = np.array(
        [sum(cf.amount() for cf in bond.cashflows() if cf.date() == d) for d in pay_dates]
    )
    np.testing.assert_allclose(by_date, principal + interest, rtol=1e-12, atol=1e-12)
    assert bond_flows.sum() == pytest.approx((principal + interest).sum(), rel=1e-12)

    settle = date(2024, 3, settle_day)
    for bey in (0.03, 0.0607, 0.11):
        rate = ql.InterestRate(bey, DC, ql.Compounded, ql.Semiannual)
        ours = price_from_yield(
            principal + interest, bey, balance=100.0, coupon=net, settle=settle, delay_days=delay
        )
        ql_clean = ql.BondFunctions.cleanPrice(bond, rate, qsettle)
        ql_accrued = ql.BondFunctions.accruedAmount(bond, qsettle)
        assert ours.accrued == pytest.approx(ql_accrued, abs=1e-12)
        assert ours.clean == pytest.approx(ql_clean, abs=1e-10)
        back = ql.BondFunctions.bondYield(
            bond,
            ql.BondPrice(ours.clean, ql.BondPrice.Clean),
            DC,
            ql.Compounded,
            ql.Semiannual,
            qsettle,
            1e-14,
            200,
        )
        ours_back = yield_from_price(
            principal + interest,
            ours.clean,
            balance=100.0,
            coupon=net,
            settle=settle,
            delay_days=delay,
        )
        assert ours_back == pytest.approx(back, abs=1e-10)
        assert ours_back == pytest.approx(bey, abs=1e-12)

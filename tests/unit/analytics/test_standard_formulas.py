"""Published examples of the BMA Standard Formulas, reproduced to printed precision.

Source: The Bond Market Association, *Uniform Practices / Standard Formulas
for the Analysis of Mortgage-Backed Securities and Other Related Securities*,
chapter SF (02/01/99), as transcribed in the public repository
crmerrill/bma-standard-formulas, file docs/BMA_Calcs2.txt. Page numbers are
the document's ("SF-50" etc.).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest

from trancheflow.analytics import (
    ACTUAL_DELAY_DAYS,
    average_life,
    bey_to_mortgage,
    cash_flow_risk,
    days_30_360,
    effective_duration_convexity,
    effective_from_prices,
    mortgage_to_bey,
    price_from_yield,
    yield_from_price,
    yield_measures,
)

Passthrough = Callable[..., tuple[np.ndarray, np.ndarray]]
GNMA_DELAY = 14  # actual delay of a Ginnie Mae I pass-through (SF E.2, page SF-45)


def test_sf4_first_cash_flow_components(make_passthrough: Passthrough) -> None:
    """SF B.1 example (page SF-4/5): 9.0%/9.5%, 360 months, first-month prepay 0.00025022."""
    principal, interest = make_passthrough(gross=0.095, net=0.09, term=360, psa=150.0, balance=1.0)
    sched = 1.0 * 0.095 / 12 / ((1 + 0.095 / 12) ** 360 - 1)
    assert round(sched, 8) == 0.00049188
    assert round(principal[0] - sched, 8) == 0.00025022
    assert round(principal[0], 8) == 0.00074210
    assert round(interest[0], 8) == 0.00750000
    assert round(principal[0] + interest[0], 8) == 0.00824210


def test_sf50_gnma_cash_flows(gnma_150psa: tuple[np.ndarray, np.ndarray]) -> None:
    """SF G.1 example (page SF-51): CF1 0.8242, CF2 0.8491, CF3 0.8738, CF360 0.0562."""
    principal, interest = gnma_150psa
    flows = principal + interest
    assert [round(float(x), 4) for x in flows[[0, 1, 2, -1]]] == [0.8242, 0.8491, 0.8738, 0.0562]


def test_sf51_gnma_par_yield_table(gnma_150psa: tuple[np.ndarray, np.ndarray]) -> None:
    """SF G.1 example (page SF-50/51): GNMA I 9.0%, 14-day delay, settled on issue, par."""
    principal, interest = gnma_150psa
    m = yield_measures(principal, interest, price=100.0, delay_days=GNMA_DELAY)
    assert round(100 * m.yield_bey, 5) == 9.10675
    assert round(100 * m.yield_mortgage, 5) == 8.93863
    assert round(m.wal, 5) == 9.77844
    assert round(m.macaulay, 5) == 5.73147
    assert round(m.modified, 5) == 5.48186
    assert round(m.convexity, 4) == 54.4326
    assert m.accrued == 0.0
    # the price/yield equation's first exponent is 2 * 44/360 (page SF-50)
    one = np.zeros(360)
    one[0] = 1.0
    p = price_from_yield(one, 0.10, balance=100.0, delay_days=GNMA_DELAY).full
    assert p == pytest.approx(1.0 / 1.05 ** (2 * 44 / 360), rel=1e-14)


def test_sf52_gnma_seven_day_settlement(gnma_150psa: tuple[np.ndarray, np.ndarray]) -> None:
    """SF G.1 example (page SF-52): same pool at par, settled 7 days after issue."""
    principal, interest = gnma_150psa
    flows = principal + interest
    settle = date(1988, 3, 8)  # issue date 3/1 (any issue on the 1st gives the same)
    y = yield_from_price(flows, 100.0, balance=100.0, coupon=0.09, settle=settle, delay_days=14)
    assert round(100 * y, 5) == 9.10644
    quote = price_from_yield(flows, y, balance=100.0, coupon=0.09, settle=settle, delay_days=14)
    assert round(quote.full, 4) == 100.1750
    assert quote.clean == pytest.approx(100.0, abs=1e-10)
    # the full price is the same equation solved from the full side
    y_full = yield_from_price(
        flows, 100.175, balance=100.0, coupon=0.09, settle=settle, delay_days=14, price_type="full"
    )
    assert y_full == pytest.approx(y, abs=1e-14)


def test_sf51_sale_price_three_months_later(gnma_150psa: tuple[np.ndarray, np.ndarray]) -> None:
    """SF G.1.h example (page SF-51): sold three months later at the same yield for 99.9934,
    pool factor 0.99701075."""
    principal, interest = gnma_150psa
    flows = principal + interest
    y = yield_from_price(flows, 100.0, balance=100.0, delay_days=GNMA_DELAY)
    factor = 1.0 - principal[:3].sum() / 100.0
    assert round(factor, 8) == 0.99701075
    sale = price_from_yield(flows[3:], y, balance=100.0 * factor, delay_days=GNMA_DELAY)
    assert round(sale.clean, 4) == 99.9934


def test_sf51_effective_duration_example() -> None:
    """SF G.1.g (page SF-51): prices 99.453 / 100.541 at +/-10 bp give 5.44 and -60.0."""
    d, c = effective_from_prices(100.0, 99.453, 100.541, 0.001)
    assert round(d, 2) == 5.44
    assert round(c, 1) == -60.0
    # and the two defining equations hold exactly for the solution
    assert 100.0 * (1 - d * 0.001 + 0.5 * c * 0.001**2) == pytest.approx(99.453, abs=1e-12)
    assert 100.0 * (1 + d * 0.001 + 0.5 * c * 0.001**2) == pytest.approx(100.541, abs=1e-12)


def test_effective_with_faster_speeds_is_shorter_and_negatively_convex(
    make_passthrough: Passthrough,
) -> None:
    """A pass-through whose speed rises as yields fall: effective duration below the
    static modified duration and negative effective convexity (SF G.1.g, page SF-50)."""

    def project(k: float) -> tuple[np.ndarray, np.ndarray]:
        return make_passthrough(gross=0.095, net=0.09, term=360, psa=150.0 * k)

    base_p, base_i = project(1.0)
    static = cash_flow_risk(base_p + base_i, 0.0910675, delay_days=GNMA_DELAY)
    fixed = effective_duration_convexity(
        project, yield_=0.0910675, balance=100.0, delay_days=GNMA_DELAY, yield_shift=1e-4
    )
    assert fixed.duration == pytest.approx(static.modified, rel=1e-6)
    assert fixed.convexity == pytest.approx(static.convexity, rel=1e-3)
    eff = effective_duration_convexity(
        project, price=100.0, balance=100.0, delay_days=GNMA_DELAY, speed_shock=0.2
    )
    assert eff.price_base == pytest.approx(100.0, abs=1e-9)
    assert eff.duration < static.modified
    assert eff.convexity < 0.0


def test_sf56_average_life_of_accrual_instrument() -> None:
    """SF H.1 example (page SF-57): principal -10, 0, 110 gives 3.20 periods under the
    GPM/ARM convention and 3.00 periods under the Z-bond convention (no delay)."""
    pr = [-10.0, 0.0, 110.0]
    assert round(average_life(pr) * 12, 10) == 3.20
    assert round(average_life(pr, convention="z_bond") * 12, 10) == 3.00


def test_mortgage_and_bond_equivalent_conversion() -> None:
    """SF G.1.b (page SF-48): Mortgage Yield = 1200[(1 + Y/200)^(1/6) - 1]."""
    assert round(100 * bey_to_mortgage(0.0910675), 5) == 8.93863
    assert mortgage_to_bey(bey_to_mortgage(0.0910675)) == pytest.approx(0.0910675, abs=1e-15)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(1993, 2, 28), date(1993, 3, 31), 30),  # Feb end (non-leap) -> 30, then 31 -> 30
        (date(1992, 2, 29), date(1992, 3, 15), 15),  # Feb end (leap year)
        (date(1992, 2, 28), date(1992, 3, 15), 17),  # not Feb end in a leap year
        (date(1993, 1, 31), date(1993, 2, 28), 28),
        (date(1993, 1, 1), date(1993, 1, 31), 30),  # D1 is 1, D2 stays 31
        (date(1993, 3, 15), date(1993, 3, 1), 0),  # floored at zero
        (date(1988, 3, 1), date(1988, 4, 15), 44),  # GNMA I first payment (page SF-45)
    ],
)
def test_day_count_30_360(start: date, end: date, days: int) -> None:
    """SF E.1 (page SF-44) calendar procedure."""
    assert days_30_360(start, end) == days


def test_actual_delay_table() -> None:
    """SF E.2 (page SF-45): March 1 issue; payments April 15/20/25, May 15, April 15."""
    paid = {"GNMA I": 44, "GNMA II": 49, "FNMA": 54, "FHLMC non-Gold": 74, "FHLMC Gold": 44}
    for name, days_to_investor in paid.items():
        assert 30 + ACTUAL_DELAY_DAYS[name] == days_to_investor

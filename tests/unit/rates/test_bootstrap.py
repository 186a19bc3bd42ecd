"""Bootstrapping reprices its inputs: bills, zeros and semiannual par bonds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.errors import CurveError
from trancheflow.rates import (
    ZeroCurve,
    bootstrap_curve,
    bootstrap_par_curve,
    par_bond_price,
    par_yield,
)
from trancheflow.rates.bootstrap import coupon_times

TENORS = [1 / 12, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0]
PARS = [0.0549, 0.0546, 0.0538, 0.0503, 0.0462, 0.0440, 0.0421, 0.0420, 0.0420, 0.0445, 0.0434]


def test_par_curve_reprices_every_input_to_1e_10() -> None:
    curve = bootstrap_par_curve(TENORS, PARS)
    for t, y in zip(TENORS, PARS, strict=True):
        if t < 1.0:  # bill: P = 1 / (1 + y t)
            assert abs(curve.discount(t) * (1 + y * t) - 1.0) < 1e-12
        else:  # par bond prices at 1 with its own coupon
            assert abs(par_bond_price(curve, t, y) - 1.0) < 1e-10
            assert abs(par_yield(curve, t) - y) < 1e-10


@given(
    level=st.floats(min_value=0.001, max_value=0.10),
    steps=st.lists(st.floats(min_value=-0.01, max_value=0.01), min_size=7, max_size=7),
)
def test_random_par_curves_reprice(level: float, steps: list[float]) -> None:
    # Realistic curves: adjacent par yields differ by at most 1%. (Wilder inputs
    # can be arbitrageable and are refused; see the test below.)
    tenors = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0]
    pars = list(np.maximum(level + np.concatenate(([0.0], np.cumsum(steps))), 0.001))
    curve = bootstrap_par_curve(tenors, pars)
    for t, y in zip(tenors[2:], pars[2:], strict=True):
        assert abs(par_bond_price(curve, t, y) - 1.0) < 1e-10


def test_flat_par_curve_gives_flat_semiannual_zero_curve() -> None:
    # Independent fact: with a flat semiannual par curve y, every zero rate is
    # the continuously compounded equivalent 2·ln(1 + y/2).
    y = 0.05
    curve = bootstrap_curve([0.5, 1.0, 2.0, 10.0, 30.0], [y] * 5, ["par"] * 5)
    np.testing.assert_allclose(curve.zero_rates, 2 * np.log1p(y / 2), rtol=0, atol=1e-13)


def test_arbitrageable_par_quotes_are_refused() -> None:
    # 30y par 9.375% after a 6.25% curve to 20y: the first 20 years of 9.375%
    # coupons alone are worth more than par, so no positive discount factor at
    # 30y can price the bond at 1.
    with pytest.raises(CurveError, match=r"0\.09375 at 30\.0y cannot be matched"):
        bootstrap_par_curve([1.0, 20.0, 30.0], [0.0625, 0.0625, 0.09375])


def test_zero_quotes_are_taken_as_is() -> None:
    curve = bootstrap_curve([1.0, 2.0], [0.03, 0.035], ["zero", "zero"])
    np.testing.assert_array_equal(curve.zero_rates, [0.03, 0.035])


def test_mixed_quotes() -> None:
    curve = bootstrap_curve([0.5, 2.0, 3.0], [0.05, 0.047, 0.046], ["bill", "zero", "par"])
    assert curve.discount(0.5) == pytest.approx(1 / 1.025, rel=1e-14)
    assert curve.zero_rate(2.0) == pytest.approx(0.047, abs=1e-15)
    assert par_bond_price(curve, 3.0, 0.046) == pytest.approx(1.0, abs=1e-12)


def test_coupon_dates_need_whole_periods() -> None:
    assert coupon_times(1.5).tolist() == [0.5, 1.0, 1.5]
    with pytest.raises(CurveError, match="whole number"):
        coupon_times(1.25)
    with pytest.raises(CurveError, match="whole number"):
        bootstrap_curve([1.25], [0.04], ["par"])


@pytest.mark.parametrize(
    ("tenors", "rates", "kinds", "match"),
    [
        ([1.0, 2.0], [0.04, 0.05], ["par"], "equal length"),
        ([1.0], [0.04], ["swap"], "must be one of"),
        ([2.0, 1.0], [0.04, 0.05], ["par", "par"], "strictly increasing"),
        ([1.0], [9.0], ["par"], "cannot be matched"),
    ],
)
def test_bad_bootstrap_inputs(
    tenors: list[float], rates: list[float], kinds: list[str], match: str
) -> None:
    with pytest.raises(CurveError, match=match):
        bootstrap_curve(tenors, rates, kinds)


def test_par_yield_of_a_known_curve() -> None:
    # Flat 5% continuously compounded: par yield = 2(e^{0.025} - 1) for any maturity.
    flat = ZeroCurve([40.0], [0.05])
    for m in (0.5, 3.0, 10.0, 30.0):
        assert par_yield(flat, m) == pytest.approx(2 * np.expm1(0.025), rel=1e-13)

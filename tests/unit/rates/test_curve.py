"""ZeroCurve: discount / zero / forward consistency, interpolation, shifts, key rates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from trancheflow.errors import CurveError
from trancheflow.rates import KEY_RATE_TENORS, ZeroCurve

TENORS = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0]
RATES = [0.052, 0.051, 0.049, 0.046, 0.043, 0.044, 0.046]


@pytest.fixture
def curve() -> ZeroCurve:
    return ZeroCurve(TENORS, RATES)


def test_nodes_are_reproduced_exactly(curve: ZeroCurve) -> None:
    np.testing.assert_allclose(curve.zero_rate(TENORS), RATES, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        curve.discount(TENORS), np.exp(-np.array(RATES) * TENORS), rtol=1e-15
    )


def test_discount_at_zero_is_one_and_short_end_is_flat(curve: ZeroCurve) -> None:
    assert curve.discount(0.0) == 1.0
    assert curve.zero_rate(0.0) == pytest.approx(RATES[0], abs=1e-15)
    assert curve.zero_rate(0.1) == pytest.approx(RATES[0], abs=1e-15)


def test_log_discount_is_linear_between_nodes(curve: ZeroCurve) -> None:
    # Interpolation is linear in r(t)·t: check the midpoint of the 2y-5y segment.
    mid = 3.5
    expected = 0.5 * (RATES[3] * 2.0 + RATES[4] * 5.0)
    assert -np.log(curve.discount(mid)) == pytest.approx(expected, rel=1e-14)


def test_long_end_extrapolates_flat_zero_rate(curve: ZeroCurve) -> None:
    assert curve.zero_rate(45.0) == pytest.approx(RATES[-1], abs=1e-15)
    assert curve.instantaneous_forward(45.0) == pytest.approx(RATES[-1], abs=1e-15)


@given(
    t1=st.floats(min_value=0.0, max_value=39.0),
    gap=st.floats(min_value=1e-3, max_value=10.0),
)
def test_forward_discount_identity(t1: float, gap: float) -> None:
    c = ZeroCurve(TENORS, RATES)
    t2 = t1 + gap
    f = c.forward(t1, t2)
    assert c.discount(t2) == pytest.approx(c.discount(t1) * np.exp(-f * (t2 - t1)), rel=1e-12)
    # zero rate × time is minus the log discount
    assert c.zero_rate(t2) * t2 == pytest.approx(-np.log(c.discount(t2)), rel=1e-12)


@pytest.mark.parametrize("t", [0.1, 0.7, 3.3, 12.0, 29.9, 35.0])
def test_integral_of_instantaneous_forward_is_minus_log_discount(
    curve: ZeroCurve, t: float
) -> None:
    # Independent check by numerical quadrature over the piecewise-flat forwards.
    pts = [x for x in TENORS if x < t]
    value, _ = quad(lambda s: float(curve.instantaneous_forward(s)), 0.0, t, points=pts, limit=200)
    assert value == pytest.approx(-np.log(curve.discount(t)), rel=1e-10)


def test_instantaneous_forward_is_right_continuous_at_nodes(curve: ZeroCurve) -> None:
    seg = (RATES[4] * 5.0 - RATES[3] * 2.0) / 3.0  # forward on [2y, 5y)
    assert curve.instantaneous_forward(2.0) == pytest.approx(seg, rel=1e-14)
    assert curve.instantaneous_forward(4.999) == pytest.approx(seg, rel=1e-14)
    assert curve.forward(2.0, 5.0) == pytest.approx(seg, rel=1e-14)


def test_vectorised_matches_scalar(curve: ZeroCurve) -> None:
    ts = np.linspace(0.0, 40.0, 97).reshape(97, 1)
    vec = curve.discount(ts)
    assert vec.shape == (97, 1)
    for i in (0, 13, 50, 96):
        assert vec[i, 0] == curve.discount(float(ts[i, 0]))


def test_parallel_shift_moves_every_rate(curve: ZeroCurve) -> None:
    up = curve.shifted(25.0)
    ts = np.linspace(0.01, 40.0, 50)
    np.testing.assert_allclose(up.zero_rate(ts) - curve.zero_rate(ts), 0.0025, atol=1e-14)
    np.testing.assert_allclose(
        up.instantaneous_forward(ts) - curve.instantaneous_forward(ts), 0.0025, atol=1e-14
    )


def test_key_rate_bump_is_triangular(curve: ZeroCurve) -> None:
    bumped = curve.key_rate_shifted(5.0, 10.0)
    diff = lambda t: float(bumped.zero_rate(t) - curve.zero_rate(t))  # noqa: E731
    assert diff(5.0) == pytest.approx(0.001, abs=1e-14)
    assert diff(3.0) == pytest.approx(0.0, abs=1e-14)  # neighbouring key tenor
    assert diff(7.0) == pytest.approx(0.0, abs=1e-14)
    assert diff(1.0) == pytest.approx(0.0, abs=1e-14)
    assert diff(20.0) == pytest.approx(0.0, abs=1e-14)
    assert 0.0 < diff(4.0) < 0.001
    # ends are flat: the 30y bump covers the long end, the 1m bump the short end
    assert float(curve.key_rate_shifted(30.0, 10.0).zero_rate(40.0) - curve.zero_rate(40.0)) == (
        pytest.approx(0.001, abs=1e-14)
    )
    assert float(
        curve.key_rate_shifted(1 / 12, 10.0).zero_rate(0.01) - curve.zero_rate(0.01)
    ) == pytest.approx(0.001, abs=1e-14)


@given(
    rates=st.lists(st.floats(min_value=-0.01, max_value=0.12), min_size=7, max_size=7),
    bp=st.floats(min_value=-200, max_value=200),
    t=st.floats(min_value=0.0, max_value=45.0),
)
def test_key_rate_bumps_add_up_to_parallel_shift(rates: list[float], bp: float, t: float) -> None:
    base = ZeroCurve(TENORS, rates)
    total = sum(
        -np.log(base.key_rate_shifted(k, bp).discount(t)) + np.log(base.discount(t))
        for k in KEY_RATE_TENORS
    )
    parallel = -np.log(base.shifted(bp).discount(t)) + np.log(base.discount(t))
    assert total == pytest.approx(parallel, abs=1e-12)


@pytest.mark.parametrize(
    ("tenors", "rates", "match"),
    [
        ([1.0, 1.0], [0.01, 0.02], "strictly increasing"),
        ([2.0, 1.0], [0.01, 0.02], "strictly increasing"),
        ([0.0, 1.0], [0.01, 0.02], "must be > 0"),
        ([-1.0, 1.0], [0.01, 0.02], "must be > 0"),
        ([1.0, 2.0], [0.01], "must match"),
        ([1.0, 2.0], [0.01, float("nan")], "finite"),
        ([], [], "non-empty"),
    ],
)
def test_bad_curve_inputs_raise(tenors: list[float], rates: list[float], match: str) -> None:
    with pytest.raises(CurveError, match=match):
        ZeroCurve(tenors, rates)


def test_bad_queries_raise(curve: ZeroCurve) -> None:
    with pytest.raises(CurveError, match=">= 0"):
        curve.discount(-1.0)
    with pytest.raises(CurveError, match="t2 > t1"):
        curve.forward(2.0, 2.0)
    with pytest.raises(CurveError, match="not one of the key tenors"):
        curve.key_rate_shifted(4.0, 1.0)

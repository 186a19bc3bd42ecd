"""Closed-form bond prices against QuantLib and Hull's textbook, and model-curve fit.

QuantLib parameterisations (checked against its sources/docs):

* ``ql.Vasicek(r0, a, b, sigma, lambda)``: ``dr = a(b - r)dt + σ dW``; with the
  market price of risk ``lambda = 0`` it is our :class:`Vasicek` with the
  same letters.
* ``ql.CoxIngersollRoss(r0, theta, k, sigma)``: ``dr = k(θ - r)dt + σ√r dW``;
  note the order (theta before k). Ours is ``CIR(a=k, b=theta, sigma, r0)``.
* ``ql.HullWhite(handle, a, sigma)``: ``dr = (θ(t) - a r)dt + σ dW`` fitted to
  the handle's curve. Its ``A(t,T)`` uses the curve's instantaneous forward at
  ``t``, so we give QuantLib a curve with the *same* interpolation as ours,
  ``ql.ForwardCurve`` (backward-flat forwards = piecewise-flat forwards), on
  Actual/365 Fixed with node dates a whole number of days apart, and only
  compare for ``t`` strictly inside a segment (``f(0,t)`` jumps at nodes) and
  ``T`` up to the last node (the curves extrapolate differently).

``discountBond(now, maturity, rate)`` is ``P(now, maturity | r(now) = rate)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.errors import ModelError
from trancheflow.rates import CIR, HullWhite1F, Vasicek, ZeroCurve

ql = pytest.importorskip("QuantLib")

CASES = [(0.0, 1.0, 0.05), (0.0, 10.0, 0.03), (2.0, 7.0, 0.06), (5.0, 35.0, 0.02), (1.0, 1.5, 0.0)]


@pytest.mark.parametrize(("t", "T", "r"), CASES)
@pytest.mark.parametrize(("a", "b", "sigma"), [(0.1, 0.05, 0.01), (0.5, 0.08, 0.02)])
def test_vasicek_matches_quantlib(t: float, T: float, r: float, a: float, b: float, sigma: float):
    ours = Vasicek(a=a, b=b, sigma=sigma, r0=0.04).zero_coupon_price(t, T, r)
    theirs = ql.Vasicek(0.04, a, b, sigma, 0.0).discountBond(t, T, r)
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize(("t", "T", "r"), CASES)
@pytest.mark.parametrize(
    ("a", "b", "sigma"), [(0.3, 0.06, 0.08), (0.1, 0.05, 0.09), (2.0, 0.03, 0.3)]
)
def test_cir_matches_quantlib(t: float, T: float, r: float, a: float, b: float, sigma: float):
    ours = CIR(a=a, b=b, sigma=sigma, r0=0.04).zero_coupon_price(t, T, r)
    theirs = ql.CoxIngersollRoss(0.04, b, a, sigma).discountBond(t, T, r)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_quantlib_cir_only_overlaps_under_feller() -> None:
    # QuantLib's CoxIngersollRoss constrains σ² < 2kθ (Feller); ours also allows
    # the non-Feller case (checked by the σ → 0 limit and Monte Carlo tests).
    with pytest.raises(RuntimeError):
        ql.CoxIngersollRoss(0.04, 0.05, 0.1, 0.2)
    assert CIR(a=0.1, b=0.05, sigma=0.2, r0=0.04).zero_coupon_price(0.0, 5.0, 0.04) > 0.0


def test_vasicek_hull_problem_31_9() -> None:
    # Hull, Options, Futures and Other Derivatives, 10th ed., Problem 31.9
    # (Vasicek a = 0.1, b = 0.1, σ = 0.02, r = 10%, 10-year zero); the published
    # solution gives B(0,10) = 6.32121, A(0,10) = 0.71587 and a price of 0.38046.
    v = Vasicek(a=0.1, b=0.1, sigma=0.02, r0=0.1)
    b10 = (1 - np.exp(-1.0)) / 0.1
    assert b10 == pytest.approx(6.32121, abs=5e-6)
    assert v.zero_coupon_price(0.0, 10.0, 0.0) == pytest.approx(0.71587, abs=5e-6)  # A(0,10)
    assert v.zero_coupon_price(0.0, 10.0, 0.1) == pytest.approx(0.38046, abs=5e-6)


def _ql_forward_curve(days: list[int], forwards: list[float]):
    today = ql.Date(15, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dates = [today] + [today + d for d in days]
    fwd = [forwards[0], *forwards]
    curve = ql.ForwardCurve(dates, fwd, ql.Actual365Fixed())
    curve.enableExtrapolation()
    return ql.YieldTermStructureHandle(curve)


@pytest.fixture
def curves():
    days = [91, 365, 730, 1825, 3650, 7300, 10950]
    forwards = [0.052, 0.049, 0.041, 0.038, 0.045, 0.047, 0.040]
    handle = _ql_forward_curve(days, forwards)
    t = np.array(days) / 365.0
    log_disc = np.cumsum(np.diff(np.concatenate(([0.0], t))) * forwards)
    ours = ZeroCurve(t, log_disc / t)
    return ours, handle, t


def test_forward_curve_setups_agree(curves) -> None:
    ours, handle, _ = curves
    for x in [0.1, 0.9, 3.3, 12.0, 29.9]:
        assert ours.discount(x) == pytest.approx(handle.discount(x), rel=1e-13)


@pytest.mark.parametrize(
    ("t", "T", "r"),
    [(0.5, 3.0, 0.04), (1.5, 11.5, 0.06), (4.2, 14.2, 0.02), (12.0, 29.0, 0.05), (0.3, 0.8, 0.0)],
)
@pytest.mark.parametrize(("a", "sigma"), [(0.05, 0.01), (0.3, 0.02)])
def test_hull_white_matches_quantlib(curves, t: float, T: float, r: float, a: float, sigma: float):
    ours_curve, handle, _ = curves
    ours = HullWhite1F(ours_curve, a=a, sigma=sigma).zero_coupon_price(t, T, r)
    theirs = ql.HullWhite(handle, a, sigma).discountBond(t, T, r)
    # QuantLib takes f(0,t) by a finite difference of the curve; 1e-10 covers it.
    assert ours == pytest.approx(theirs, rel=1e-10)


def test_hull_white_reprices_the_curve_exactly(curves) -> None:
    curve, _, _ = curves
    hw = HullWhite1F(curve, a=0.07, sigma=0.012)
    T = np.linspace(0.0, 40.0, 161)
    np.testing.assert_allclose(hw.zero_coupon_price(0.0, T, hw.r0), curve.discount(T), rtol=1e-14)


def test_zero_volatility_limits() -> None:
    # σ → 0: Vasicek's short rate is deterministic, so P = exp(-∫ r).
    a, b, r0, T = 0.4, 0.06, 0.02, 7.0
    integral = b * T + (r0 - b) * (1 - np.exp(-a * T)) / a
    assert Vasicek(a, b, 0.0, r0).zero_coupon_price(0.0, T, r0) == pytest.approx(
        np.exp(-integral), rel=1e-13
    )
    # and the CIR price approaches it as σ shrinks
    assert CIR(a, b, 1e-6, r0).zero_coupon_price(0.0, T, r0) == pytest.approx(
        np.exp(-integral), rel=1e-9
    )


def test_prices_broadcast_over_paths_and_months() -> None:
    v = Vasicek(0.2, 0.05, 0.01, 0.04)
    t = np.arange(5)[np.newaxis, :] / 12
    r = np.full((3, 5), 0.05)
    assert v.zero_coupon_price(t, t + 10.0, r).shape == (3, 5)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: Vasicek(a=0.0, b=0.05, sigma=0.01, r0=0.03), "must be a finite number > 0"),
        (lambda: Vasicek(a=0.1, b=0.05, sigma=-0.01, r0=0.03), "sigma=-0.01"),
        (lambda: CIR(a=0.1, b=0.0, sigma=0.1, r0=0.03), "CIR parameter b=0.0"),
        (lambda: CIR(a=0.1, b=0.05, sigma=0.1, r0=-0.01), "CIR r0=-0.01"),
        (lambda: HullWhite1F(ZeroCurve([1.0], [0.03]), a=-1.0, sigma=0.01), "a=-1.0"),
    ],
)
def test_bad_parameters_raise(factory, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        factory()


def test_feller_flag() -> None:
    assert CIR(a=0.3, b=0.05, sigma=0.1, r0=0.03).feller  # 0.03 >= 0.01
    assert not CIR(a=0.1, b=0.02, sigma=0.1, r0=0.03).feller  # 0.004 < 0.01


def test_cir_long_maturity_does_not_overflow() -> None:
    # e^{γτ} overflows a double for γτ > ~709; the price must still be the
    # limit exp(ln A) with B → 2/(γ + a).
    cir = CIR(a=0.5, b=0.05, sigma=0.1, r0=0.03)
    p = cir.zero_coupon_price(0.0, np.array([100.0, 2000.0]), 0.03)
    assert np.all(np.isfinite(p)) and p[1] < p[0]
    assert -np.log(p[1]) / 2000.0 == pytest.approx(
        -np.log(cir.zero_coupon_price(0.0, 3000.0, 0.03)) / 3000.0, rel=1e-3
    )

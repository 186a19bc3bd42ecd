"""Path simulation: Monte Carlo bond prices converge to the closed forms; variance
reduction, reproducibility, Sobol', long rates and the mortgage-rate model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.errors import ModelError
from trancheflow.rates import (
    CIR,
    HullWhite1F,
    MortgageRateModel,
    Vasicek,
    bootstrap_par_curve,
    par_yield,
    standard_normals,
)
from trancheflow.rates.cir import ShiftedCIR

CURVE = bootstrap_par_curve(
    [0.25, 0.5, 1, 2, 3, 5, 7, 10, 20, 30],
    [0.0546, 0.0538, 0.0503, 0.0462, 0.044, 0.0421, 0.042, 0.042, 0.0445, 0.0434],
)
HW = HullWhite1F(CURVE, a=0.05, sigma=0.012)
VASICEK = Vasicek(a=0.15, b=0.05, sigma=0.015, r0=0.03)
CIR_FELLER = CIR(a=0.3, b=0.05, sigma=0.08, r0=0.04)
CIR_NO_FELLER = CIR(a=0.2, b=0.03, sigma=0.15, r0=0.02)  # 2ab = 0.012 < σ² = 0.0225

MONTHS = [12, 60, 120, 240, 360]


def _assert_within_3se(paths, model, months) -> None:
    mean, se = paths.mean_discount()
    closed = model.zero_coupon_price(0.0, paths.times, paths.short_rate[0, 0])
    for m in months:
        assert se[m] > 0
        z = (mean[m] - closed[m]) / se[m]
        assert abs(z) < 3.0, f"month {m}: MC {mean[m]:.6f} vs closed {closed[m]:.6f} ({z:.2f} se)"


@pytest.mark.parametrize("seed", [11, 12])
def test_hull_white_mc_discounts_converge_to_the_curve(seed: int) -> None:
    paths = HW.simulate(4000, 360, seed=seed)
    assert paths.discount_method == "exact"
    _assert_within_3se(paths, HW, MONTHS)
    # the closed form at t=0 is the input curve itself
    mean, se = paths.mean_discount()
    z = (mean[1:] - CURVE.discount(paths.times[1:])) / se[1:]
    assert np.max(np.abs(z)) < 4.0  # all 360 months (max of many ~N(0,1))


@pytest.mark.parametrize("seed", [21, 22])
def test_vasicek_mc_converges(seed: int) -> None:
    _assert_within_3se(VASICEK.simulate(4000, 360, seed=seed), VASICEK, MONTHS)


@pytest.mark.parametrize("model", [CIR_FELLER, CIR_NO_FELLER], ids=["feller", "no-feller"])
@pytest.mark.parametrize("scheme", ["qe", "exact"])
def test_cir_mc_converges(model: CIR, scheme: str) -> None:
    anti = scheme == "qe"
    paths = model.simulate(4000, 240, seed=31, scheme=scheme, antithetic=anti)
    assert paths.discount_method == "trapezoid"
    assert np.all(paths.short_rate >= 0.0)
    _assert_within_3se(paths, model, [12, 60, 120, 240])


def test_cir_full_truncation_runs_and_stays_non_negative() -> None:
    paths = CIR_NO_FELLER.simulate(2000, 120, seed=5, scheme="full_truncation")
    assert np.all(paths.short_rate >= 0.0)
    # Euler has an O(Δt) bias, so only a loose check against the closed form.
    mean, _ = paths.mean_discount()
    closed = CIR_NO_FELLER.zero_coupon_price(0.0, 10.0, CIR_NO_FELLER.r0)
    assert mean[120] == pytest.approx(closed, rel=0.01)


def test_pathwise_bond_prices_are_consistent_with_the_paths() -> None:
    # Tower property: E[D(t) · P(t, t+τ | r(t))] = P(0, t+τ). This ties the
    # simulated short rate to the closed form used for long rates.
    paths = HW.simulate(4000, 120, seed=41)
    for m, tau in [(24, 10.0), (120, 5.0), (60, 20.0)]:
        p = HW.zero_coupon_price(paths.times[m], paths.times[m] + tau, paths.short_rate[:, m])
        mean, se = paths.estimate(paths.discount[:, m] * p)
        assert abs(mean - CURVE.discount(paths.times[m] + tau)) < 3 * se


@settings(max_examples=10)
@given(
    a=st.floats(min_value=0.01, max_value=1.0),
    sigma=st.floats(min_value=0.002, max_value=0.03),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_antithetic_reduces_the_standard_error(a: float, sigma: float, seed: int) -> None:
    model = HullWhite1F(CURVE, a=a, sigma=sigma)
    anti = model.simulate(2000, 120, seed=seed, antithetic=True)
    plain = model.simulate(2000, 120, seed=seed, antithetic=False)
    _, se_anti = anti.mean_discount()
    _, se_plain = plain.mean_discount()
    assert se_anti[120] < se_plain[120]


def test_antithetic_pairs_mirror_the_noise() -> None:
    paths = VASICEK.simulate(6, 24, seed=3)
    mean_path = VASICEK.b + (VASICEK.r0 - VASICEK.b) * np.exp(-VASICEK.a * paths.times)
    np.testing.assert_allclose(
        paths.short_rate[:3] - mean_path, -(paths.short_rate[3:] - mean_path), atol=1e-15
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda s: HW.simulate(100, 36, seed=s),
        lambda s: HW.simulate(128, 36, seed=s, sobol=True),
        lambda s: CIR_FELLER.simulate(100, 36, seed=s),
        lambda s: CIR_FELLER.simulate(100, 36, seed=s, scheme="exact", antithetic=False),
    ],
)
def test_seeded_runs_are_reproducible(make) -> None:
    a, b, c = make(7), make(7), make(8)
    np.testing.assert_array_equal(a.short_rate, b.short_rate)
    np.testing.assert_array_equal(a.discount, b.discount)
    assert not np.array_equal(a.short_rate, c.short_rate)


def test_sobol_paths_run_and_price_the_curve() -> None:
    sob = HW.simulate(1024, 360, seed=5, sobol=True)
    plain = HW.simulate(1024, 360, seed=5)
    mean, _ = sob.mean_discount()
    _, se_plain = plain.mean_discount()
    for m in MONTHS:
        assert abs(mean[m] - CURVE.discount(m / 12)) < 3 * se_plain[m]
    cir = CIR_FELLER.simulate(512, 120, seed=5, sobol=True)
    assert np.all(np.isfinite(cir.discount))


def test_standard_normals_are_standard() -> None:
    for sobol in (False, True):
        z = standard_normals(4096, 3, seed=9, sobol=sobol)
        assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: HW.simulate(3, 12, seed=1), "must be even"),
        (lambda: HW.simulate(4, 0, seed=1), "n_months=0"),
        (lambda: CIR_FELLER.simulate(4, 12, seed=1, scheme="exact"), "antithetic=False"),
        (lambda: CIR_FELLER.simulate(4, 12, seed=1, scheme="milstein"), "scheme 'milstein'"),
        (lambda: standard_normals(4, 30000, seed=1, sobol=True), "at most 21201"),
    ],
)
def test_bad_simulation_requests_raise(call, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        call()


def test_long_rate_today_is_the_curve_par_yield() -> None:
    paths = HW.simulate(10, 24, seed=1)
    ten = paths.long_rate(10.0)
    assert ten.shape == (10, 25)
    np.testing.assert_allclose(ten[:, 0], par_yield(CURVE, 10.0), rtol=1e-13)
    zero = paths.long_rate(10.0, kind="zero")
    np.testing.assert_allclose(zero[:, 0], CURVE.zero_rate(10.0), rtol=1e-13)
    with pytest.raises(ModelError, match="whole number"):
        paths.long_rate(10.1)


def test_long_rate_rises_with_the_short_rate() -> None:
    # B(t,T) > 0, so on any month a path with a higher short rate has a higher long rate.
    paths = VASICEK.simulate(200, 60, seed=2)
    order = np.argsort(paths.short_rate[:, 60])
    assert np.all(np.diff(paths.long_rate(10.0)[order, 60]) > 0)


def test_mortgage_rate_is_affine_in_the_long_rate() -> None:
    paths = HW.simulate(50, 120, seed=4)
    model = MortgageRateModel(a=0.015, b=0.9, spread=0.002, floor=None)
    expected = 0.015 + 0.9 * paths.long_rate(10.0) + 0.002
    np.testing.assert_allclose(model.rate(paths), expected, rtol=1e-15)
    floored = MortgageRateModel(a=-0.2, floor=0.01).from_long_rate(np.array([0.03, 0.25]))
    np.testing.assert_allclose(floored, [0.01, 0.05], rtol=1e-15)
    with pytest.raises(ModelError, match="tenor_years"):
        MortgageRateModel(tenor_years=0.0)


@pytest.mark.parametrize("sobol", [False, True])
def test_shifted_cir_fits_the_curve_and_its_paths_price_it(sobol: bool) -> None:
    """CIR++ reproduces every zero price of the curve in closed form, and its Monte
    Carlo discount factors converge to them (within 3 standard errors)."""
    m = ShiftedCIR(CURVE, a=0.1, sigma=0.012 / 0.05**0.5)
    t = np.array([0.5, 1.0, 5.0, 10.0, 30.0])
    np.testing.assert_allclose(m.zero_coupon_price(0.0, t, m.r0), CURVE.discount(t), rtol=1e-12)
    paths = m.simulate(4000, 360, seed=5, sobol=sobol)
    _assert_within_3se(paths, m, MONTHS)
    # the factor stays non-negative, so r(t) >= φ(t)
    assert np.all(paths.short_rate >= m.phi(paths.times)[None, :] - 1e-12)
    # bond prices on a path are consistent with the path's own long rates
    long = paths.long_rate(10.0, kind="zero")
    assert np.all(np.isfinite(long)) and 0.0 < long.mean() < 0.2

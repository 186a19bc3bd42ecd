"""Hypothesis properties of price, yield, duration, convexity and average life."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trancheflow.analytics import (
    average_life,
    cash_flow_risk,
    cash_flow_times,
    effective_duration_convexity,
    price_from_yield,
    yield_from_price,
    yield_measures,
)
from trancheflow.analytics.mc_risk import RiskResult, effective_risk
from trancheflow.analytics.montecarlo import MonteCarloSettings, pool_security
from trancheflow.collateral import Assumptions, RepLine
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.rates import read_curve_csv

Passthrough = Callable[..., tuple[np.ndarray, np.ndarray]]

positive_flows = arrays(
    np.float64,
    st.integers(1, 120),
    elements=st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False),
).filter(lambda a: a.sum() > 1e-3)
yields = st.floats(-0.02, 0.25)
delays = st.sampled_from([0, 14, 19, 24, 44])
settle_days = st.integers(1, 30)


@given(flows=positive_flows, y1=yields, y2=yields, delay=delays)
def test_price_decreases_in_yield(flows: np.ndarray, y1: float, y2: float, delay: int) -> None:
    assume(abs(y1 - y2) > 1e-6)
    lo, hi = sorted((y1, y2))
    p_lo = price_from_yield(flows, lo, balance=100.0, delay_days=delay).full
    p_hi = price_from_yield(flows, hi, balance=100.0, delay_days=delay).full
    assert p_lo > p_hi


@given(
    flows=positive_flows,
    y=yields,
    delay=delays,
    day=settle_days,
    coupon=st.floats(0.0, 0.12),
    basis=st.sampled_from(["bey", "mortgage"]),
)
def test_yield_from_price_inverts_price_from_yield(
    flows: np.ndarray, y: float, delay: int, day: int, coupon: float, basis: str
) -> None:
    settle = date(2025, 4, day)
    kw = {"balance": 50.0, "coupon": coupon, "settle": settle, "delay_days": delay}
    price = price_from_yield(flows, y, yield_type=basis, **kw).clean  # type: ignore[arg-type]
    assume(price > 0.0)
    back = yield_from_price(flows, price, yield_type=basis, **kw)  # type: ignore[arg-type]
    assert back == pytest.approx(y, abs=1e-9)


@given(flows=positive_flows, y=yields, delay=delays)
def test_static_convexity_positive_and_matches_finite_differences(
    flows: np.ndarray, y: float, delay: int
) -> None:
    risk = cash_flow_risk(flows, y, delay_days=delay)
    assert risk.convexity > 0.0
    assert risk.modified < risk.macaulay or y < 1e-9
    h = 1e-4
    p0, pu, pd = (
        price_from_yield(flows, y + s, balance=1.0, delay_days=delay).full for s in (0.0, h, -h)
    )
    assert (pd - pu) / (2 * h * p0) == pytest.approx(risk.modified, rel=1e-6, abs=1e-9)
    assert (pu + pd - 2 * p0) / (h * h * p0) == pytest.approx(risk.convexity, rel=2e-3, abs=1e-5)


@given(flows=positive_flows, y=st.floats(0.0, 0.2), dy=st.floats(-0.005, 0.005))
def test_duration_convexity_taylor_approximation(flows: np.ndarray, y: float, dy: float) -> None:
    """SF G.1.g (page SF-49): P ~ P0 [1 - ModDur dY + Conv dY^2 / 2], error O(dY^3)."""
    risk = cash_flow_risk(flows, y)
    p0 = price_from_yield(flows, y, balance=1.0).full
    p = price_from_yield(flows, y + dy, balance=1.0).full
    approx = p0 * (1 - risk.modified * dy + 0.5 * risk.convexity * dy * dy)
    longest = cash_flow_times(flows.size)[-1]
    assert abs(p - approx) <= p0 * ((longest + 1.0) * abs(dy)) ** 3 + 1e-12 * p0


@given(n=st.integers(1, 480), delay=delays, day=settle_days, amount=st.floats(1e-3, 1e9))
def test_wal_of_a_bullet_is_its_maturity(n: int, delay: int, day: int, amount: float) -> None:
    principal = np.zeros(n)
    principal[-1] = amount
    settle = date(2025, 7, day)
    offset = min(day - 1, 30)
    assert average_life(principal, delay_days=delay, settle=settle) == pytest.approx(
        (30 * n + delay - offset) / 360, rel=1e-13
    )
    assert average_life(principal) == pytest.approx(n / 12, rel=1e-13)


@given(flows=positive_flows, y=yields, scale=st.floats(1e-3, 1e6))
def test_price_is_per_unit_of_face(flows: np.ndarray, y: float, scale: float) -> None:
    base = price_from_yield(flows, y, balance=100.0).full
    scaled = price_from_yield(flows * scale, y, balance=100.0 * scale).full
    assert scaled == pytest.approx(base, rel=1e-12)


@given(
    gross=st.floats(0.02, 0.12),
    price=st.floats(80.0, 120.0),
    delay=delays,
    day=settle_days,
)
def test_measures_from_price_and_from_yield_agree(
    make_passthrough: Passthrough, gross: float, price: float, delay: int, day: int
) -> None:
    principal, interest = make_passthrough(gross=gross, net=gross - 0.005, term=120, psa=200.0)
    settle = date(2025, 1, day)
    by_price = yield_measures(principal, interest, price=price, settle=settle, delay_days=delay)
    by_yield = yield_measures(
        principal,
        interest,
        yield_=by_price.yield_mortgage,
        yield_type="mortgage",
        settle=settle,
        delay_days=delay,
    )
    assert by_yield.price == pytest.approx(price, abs=1e-9)
    assert by_yield.macaulay == pytest.approx(by_price.macaulay, rel=1e-9)
    # coupon inferred from the first month's interest: the pass-through rate
    assert by_price.accrued == pytest.approx(100 * (gross - 0.005) * (day - 1) / 360, rel=1e-12)
    assert by_price.full_price == pytest.approx(price + by_price.accrued, rel=1e-14)


@given(shock=st.floats(0.0, 0.5), psa=st.floats(50.0, 400.0))
def test_effective_duration_shortens_with_prepayment_response(
    make_passthrough: Passthrough, shock: float, psa: float
) -> None:
    """Faster speeds when rates fall can only shorten a premium pass-through's
    effective duration relative to the fixed-speed (shock 0) measure."""

    def project(k: float) -> tuple[np.ndarray, np.ndarray]:
        return make_passthrough(gross=0.07, net=0.065, term=360, psa=psa * k)

    kw = {"balance": 100.0, "price": 104.0, "delay_days": 24}
    fixed = effective_duration_convexity(project, **kw)  # type: ignore[arg-type]
    moving = effective_duration_convexity(project, speed_shock=shock, **kw)  # type: ignore[arg-type]
    assert moving.duration <= fixed.duration + 1e-9
    assert fixed.convexity > 0.0


# ------------------------------------------------ Monte Carlo risk with the rate-driven model
_CURVE = read_curve_csv(Path(__file__).resolve().parents[3] / "examples/curves/treasury_sample.csv")
# mortgage rate today ~ 4.2% 10y par + 1.7% = 5.9%: the current coupon (gross)
_CURRENT = 0.059


def _risk(model: RefiPrepayModel, gross: float, price: float, paths: int) -> RiskResult:
    sec = pool_security(
        RepLine(1e6, gross, gross - 0.005, 360, 360, 0), Assumptions("CPR 0", "CDR 0"), model
    )
    return effective_risk(sec, _CURVE, MonteCarloSettings(n_paths=paths, seed=7), price=price)[0]


@settings(max_examples=6, deadline=None)
@given(
    slope=st.floats(1.0, 10.0),
    midpoint=st.floats(-0.5, 1.5),
    height=st.floats(0.2, 0.6),
    floor=st.floats(0.0, 1.0),
    shape=st.sampled_from(["arctan", "logistic"]),
)
def test_pool_duration_shortens_as_coupon_rises_through_current_coupon(
    slope: float, midpoint: float, height: float, floor: float, shape: str
) -> None:
    """Discount -> current -> premium: the more in the money, the shorter the pool."""
    m = RefiPrepayModel(
        slope=slope,
        midpoint=midpoint,
        refi_max_cpr=height,
        burnout_floor=floor,
        s_curve=shape,  # type: ignore[arg-type]
    )
    coupons = [_CURRENT - 0.01, _CURRENT, _CURRENT + 0.005, _CURRENT + 0.01, _CURRENT + 0.02]
    durations = [_risk(m, g, 100.0, 64).effective_duration for g in coupons]
    assert all(b < a for a, b in pairwise(durations)), durations


@pytest.mark.parametrize("model", [RefiPrepayModel(), RefiPrepayModel(s_curve="logistic")])
@pytest.mark.parametrize(
    ("gross", "price"), [(_CURRENT, 100.0), (0.065, 101.5), (0.07, 102.5), (0.08, 103.0)]
)
def test_current_and_premium_pools_have_negative_convexity(
    model: RefiPrepayModel, gross: float, price: float
) -> None:
    """The defining MBS behaviour on the sample curve: the prepayment option makes the
    pool's effective convexity negative at and above the current coupon."""
    r = _risk(model, gross, price, 256)
    assert r.effective_convexity < 0.0, r

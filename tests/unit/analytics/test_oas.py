"""Monte Carlo OAS, option cost and effective risk for pools and tranches."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from trancheflow.analytics.mc_risk import effective_risk
from trancheflow.analytics.montecarlo import (
    MonteCarloSettings,
    deal_security,
    pool_security,
    simulate_values,
)
from trancheflow.analytics.oas import oas_analysis, oas_from_price, price_from_oas
from trancheflow.analytics.zspread import zspread_from_price
from trancheflow.collateral import Assumptions, RepLine
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.deal import DealSpec
from trancheflow.errors import AnalyticsError, SolverError
from trancheflow.rates import KEY_RATE_TENORS, read_curve_csv

ROOT = Path(__file__).resolve().parents[3]
CURVE = read_curve_csv(ROOT / "examples/curves/treasury_sample.csv")
NO_PREPAY = Assumptions("CPR 0", "CDR 0")
S = MonteCarloSettings(n_paths=200, seed=11, workers=1)


def _premium_pool() -> object:
    # mortgage rate today ~ 1.7% + 4.2% 10y = 5.9%: a 7% note is ~110bp in the money
    return pool_security(RepLine(1e6, 0.07, 0.065, 360, 330, 30), NO_PREPAY, RefiPrepayModel())


def test_non_prepaying_bond_oas_equals_zspread_within_mc_error() -> None:
    sec = pool_security(RepLine(1e6, 0.06, 0.06, 360, 360, 0), NO_PREPAY)
    r = oas_analysis(sec, CURVE, replace(S, n_paths=400), price=101.5)[0]
    assert r.price == pytest.approx(101.5, abs=1e-9)
    assert abs(r.oas - r.zspread) < 3 * r.oas_se
    assert r.oas_se < 5e-4


@pytest.mark.parametrize("price", [97.0, 103.0])
def test_zero_volatility_oas_equals_zspread_with_refi_model(price: float) -> None:
    s = replace(S, n_paths=4, volatility=0.0)
    r = oas_analysis(_premium_pool(), CURVE, s, price=price)[0]
    assert r.oas == pytest.approx(r.zspread, abs=1e-10)
    assert r.option_cost == pytest.approx(0.0, abs=1e-10)
    assert r.price_se == pytest.approx(0.0, abs=1e-9)


def test_option_cost_is_positive_for_a_refinanceable_premium_pool() -> None:
    r = oas_analysis(_premium_pool(), CURVE, S, price=102.0)[0]
    assert r.option_cost > 5 * r.oas_se


def test_prices_fall_as_oas_rises_and_solve_round_trips() -> None:
    v = simulate_values(_premium_pool(), CURVE, S)
    grid = np.linspace(-0.01, 0.03, 9)
    prices = np.array([price_from_oas(v, o)[0][0] for o in grid])
    assert np.all(np.diff(prices) < 0)
    p, se = price_from_oas(v, 0.0123)
    assert se[0] > 0
    assert oas_from_price(v, p)[0] == pytest.approx(0.0123, abs=1e-12)


def test_same_seed_same_numbers_and_chunking_does_not_matter() -> None:
    sec = _premium_pool()
    a = simulate_values(sec, CURVE, S)
    b = simulate_values(sec, CURVE, replace(S, chunks=7))
    np.testing.assert_array_equal(a.dcf, b.dcf)
    c = simulate_values(sec, CURVE, replace(S, seed=12))
    assert not np.array_equal(a.dcf, c.dcf)


def test_premium_pool_is_negatively_convex_and_shortens_as_rates_fall() -> None:
    sec = _premium_pool()
    base = effective_risk(sec, CURVE, S, oas=0.005)[0]
    lower = effective_risk(sec, CURVE.shifted(-100), S, oas=0.005)[0]
    assert base.effective_convexity < 0
    assert 0 < lower.effective_duration < base.effective_duration
    assert base.price_down - base.price < base.price - base.price_up  # capped upside


def test_non_prepaying_bond_is_positively_convex_and_key_rates_add_up() -> None:
    sec = pool_security(RepLine(1e6, 0.06, 0.06, 120, 120, 0), NO_PREPAY)
    s = replace(S, n_paths=20)
    r = effective_risk(sec, CURVE, s, oas=0.0, key_rate_tenors=KEY_RATE_TENORS)[0]
    assert r.effective_convexity > 0
    assert set(r.key_rate_durations) == set(KEY_RATE_TENORS)
    assert r.key_rate_durations[30.0] == pytest.approx(0.0, abs=1e-9)  # ends at 10y
    assert sum(r.key_rate_durations.values()) == pytest.approx(r.effective_duration, rel=1e-3)


SPEC = {
    "deal": "OAS-TEST",
    "collateral": {
        "rep_lines": [
            {
                "balance": 1_000_000,
                "gross_rate": 0.07,
                "net_rate": 0.065,
                "term": 360,
                "wam": 330,
                "wala": 30,
            }
        ]
    },
    "assumptions": {"prepay": "CPR 0", "default": "CDR 0"},
    "tranches": [
        {"name": "A", "balance": 600_000, "coupon": 0.06},
        {"name": "B", "balance": 300_000, "coupon": 0.065},
        {"name": "R", "residual": True},
    ],
}


def test_every_tranche_is_valued_and_tranches_add_up_to_the_pool() -> None:
    spec = DealSpec.model_validate(SPEC)
    deal = deal_security(spec, RefiPrepayModel())
    res = oas_analysis(deal, CURVE, S, price={"A": 100.5, "B": 99.0})
    assert [r.name for r in res] == ["A", "B", "R"]
    assert res[0].price == pytest.approx(100.5) and res[1].price == pytest.approx(99.0)
    assert np.isnan(res[2].oas) and res[2].pv > 0
    assert all(r.price_se > 0 for r in res[:2])
    # no fees or reserve: tranche + residual cash is the pool's cash on every path
    pool = pool_security(RepLine(1e6, 0.07, 0.065, 360, 330, 30), NO_PREPAY, RefiPrepayModel())
    s64 = replace(S, precision="float64")  # the deal's projection runs in float64
    vd, vp = simulate_values(deal, CURVE, s64), simulate_values(pool, CURVE, s64)
    np.testing.assert_allclose(vd.dcf.sum(axis=2), vp.dcf[:, :, 0], rtol=1e-9, atol=1e-9)
    risk = effective_risk(deal, CURVE, S, price={"A": 100.5, "B": 99.0})
    assert [r.name for r in risk] == ["A", "B", "R"]
    assert risk[0].effective_duration < risk[1].effective_duration  # senior is shorter


def test_zspread_is_taken_on_zero_volatility_flows() -> None:
    sec = _premium_pool()
    r = oas_analysis(sec, CURVE, S, price=101.0)[0]
    zero = simulate_values(sec, CURVE, S.zero_volatility())
    z = zspread_from_price(zero.mean_cash_flow[:, 0], CURVE, 101.0, balance=1e6)
    assert r.zspread == pytest.approx(z, abs=1e-12)


def test_errors() -> None:
    sec = _premium_pool()
    with pytest.raises(AnalyticsError, match="exactly one of price or oas"):
        oas_analysis(sec, CURVE, S, price=100.0, oas=0.01)
    with pytest.raises(AnalyticsError, match=r"unknown instrument.*'X'"):
        oas_analysis(sec, CURVE, S, price={"X": 100.0})
    v = simulate_values(sec, CURVE, replace(S, n_paths=8))
    with pytest.raises(SolverError, match=r"no OAS.*'pool' the price 1000000"):
        oas_from_price(v, 1e6)
    with pytest.raises(AnalyticsError, match="shock_bp"):
        effective_risk(sec, CURVE, S, oas=0.0, shock_bp=0.0)


def test_process_pool_equals_inline() -> None:
    sec = _premium_pool()
    s = replace(S, n_paths=16, chunks=4)
    inline = simulate_values(sec, CURVE, replace(s, workers=1))
    pooled = simulate_values(sec, CURVE, replace(s, workers=2))
    np.testing.assert_array_equal(inline.dcf, pooled.dcf)


def test_dask_local_cluster_equals_local_executor() -> None:
    distributed = pytest.importorskip("dask.distributed")
    sec = _premium_pool()
    s = replace(S, n_paths=16, chunks=4)
    local = simulate_values(sec, CURVE, replace(s, workers=1))
    seen: list[tuple[int, int]] = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = simulate_values(
            sec,
            CURVE,
            replace(s, scheduler=cluster.scheduler_address),
            progress=lambda d, n: seen.append((d, n)),
        )
    np.testing.assert_array_equal(local.dcf, remote.dcf)
    assert seen[-1] == (16, 16)


def test_floating_tranche_reads_the_path_short_rate() -> None:
    """A floater resets to each path's short rate, so its duration is a fraction of a
    fixed-rate tranche's of similar life."""
    spec = DealSpec.model_validate(
        {
            **SPEC,
            "tranches": [
                {"name": "F", "balance": 450_000, "coupon": {"index": "SOFR", "margin": 0.004}},
                {"name": "A", "balance": 450_000, "coupon": 0.06},
                {"name": "R", "residual": True},
            ],
            "waterfall": {"principal": "pro_rata"},
            "indices": {"SOFR": 0.05},
        }
    )
    deal = deal_security(spec, RefiPrepayModel())
    assert deal.indices == ("SOFR",)
    risk = effective_risk(deal, CURVE, replace(S, n_paths=40), oas=0.0)
    f, a = risk[0], risk[1]
    assert abs(f.effective_duration) < 0.3 * a.effective_duration


def test_float32_kernel_moves_prices_by_under_a_tenth_of_a_cent() -> None:
    """The float32 Monte Carlo kernel against the same kernel in float64 (and the
    float64 general kernel it equals to rounding): loan-level tape, 64 paths."""
    from trancheflow.tape import generate_tape

    sec = pool_security(generate_tape(400, seed=5), NO_PREPAY, RefiPrepayModel())
    s = replace(S, n_paths=64)
    v32 = simulate_values(sec, CURVE, s)
    v64 = simulate_values(sec, CURVE, replace(s, precision="float64"))
    for oas in (0.0, 0.01, 0.03):
        p32, _ = price_from_oas(v32, np.array([oas]))
        p64, _ = price_from_oas(v64, np.array([oas]))
        cents = 100.0 * abs(float(p32[0]) - float(p64[0]))  # cents per 100 of face
        assert cents < 0.1


@pytest.mark.parametrize("rate_model", ["hw", "cir"])
@pytest.mark.parametrize("sobol", [False, True])
def test_rate_models_and_sobol_agree_and_keep_the_option(rate_model: str, sobol: bool) -> None:
    """CIR++ and Hull-White (same normal volatility today), pseudo-random and Sobol':
    the premium pool's option cost is positive and convexity negative in each, and the
    price at a fixed OAS agrees with Hull-White pseudo-random within a few standard errors."""
    sec = _premium_pool()
    s = replace(S, n_paths=256, rate_model=rate_model, sobol=sobol)
    r = oas_analysis(sec, CURVE, s, price=102.0)[0]
    assert r.option_cost > 0
    risk = effective_risk(sec, CURVE, s, price=102.5)[0]
    assert risk.effective_convexity < 0
    base = simulate_values(sec, CURVE, replace(S, n_paths=256))
    p_base, se_base = price_from_oas(base, 0.01)
    p, se = price_from_oas(simulate_values(sec, CURVE, s), 0.01)
    tol = 4 * float(np.hypot(se_base[0], se[0])) + (0.4 if rate_model == "cir" else 0.0)
    assert abs(float(p[0]) - float(p_base[0])) < tol
    with pytest.raises(AnalyticsError, match="rate_model"):
        replace(S, rate_model="bdt")

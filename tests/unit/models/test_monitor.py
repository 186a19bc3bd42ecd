"""Each period: forecast vs realized rates, and the surviving pool re-priced."""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.analytics.montecarlo import MonteCarloSettings
from trancheflow.errors import ModelError
from trancheflow.models.monitor import (
    performance_history,
    period_performance,
    rescore_and_reprice,
    surviving_tape,
)
from trancheflow.models.train import risk_rows
from trancheflow.rates import ZeroCurve


def test_realized_rates_are_the_panel_events(small_sim, small_model):
    lm = small_sim.panel
    perf = period_performance(small_model, lm, small_sim.market, "2021-06")
    # independent recount: loans current at the start of 2021-06 that paid off
    from trancheflow.models.features import month_index

    m = month_index(["2021-06-01"])[0]
    rows, y = risk_rows(lm, "prepay", lm.period == m)
    prev = lm.prev_index()[rows]
    w = lm.upb[prev]
    assert perf["prepay_loans"] == len(rows)
    assert perf["prepay_realized"] == pytest.approx(w[y == 1].sum() / w.sum(), rel=1e-12)
    assert 0 < perf["prepay_forecast"] < 0.2


def test_forecast_tracks_realized_over_the_test_months(small_sim, small_model):
    h = performance_history(small_model, small_sim.panel, small_sim.market, first="2021-01")
    assert len(h) == 24
    f, r = h["prepay_forecast"].sum(), h["prepay_realized"].sum()
    assert f == pytest.approx(r, rel=0.35)  # small panel: a loose bound
    # the 2022 rate rise slows both forecast and realized prepayment
    assert h["prepay_forecast"].iloc[:6].mean() > h["prepay_forecast"].iloc[-6:].mean()


def test_reprice_round_trip(small_sim, small_model):
    curve = ZeroCurve([1.0, 30.0], [0.04, 0.045])
    s = MonteCarloSettings(n_paths=8, seed=2, workers=1)
    a = rescore_and_reprice(
        small_model, small_sim.panel, small_sim.market, "2021-12", curve, s, price=99.0
    )
    b = rescore_and_reprice(
        small_model, small_sim.panel, small_sim.market, "2021-12", curve, s, oas=a.oas
    )
    assert b.price == pytest.approx(99.0, abs=1e-8)
    tape = surviving_tape(small_sim.panel, "2021-12")
    assert a.loans == len(tape) and a.balance == pytest.approx(tape["current_balance"].sum())
    assert np.all(tape["current_balance"] > 0)
    with pytest.raises(ModelError, match="exactly one"):
        rescore_and_reprice(small_model, small_sim.panel, small_sim.market, "2021-12", curve, s)

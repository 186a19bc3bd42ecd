"""A deal's model monitoring: attested loan records, forecast vs realized, re-pricing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trancheflow.chain.servicer import ServicerFeed
from trancheflow.deal.spec import parse_spec
from trancheflow.errors import ModelError
from trancheflow.models.features import (
    build_features,
    incentive_of,
    incentive_units,
    month_index,
)
from trancheflow.models.ops_deal import DealMonitor, forecast_features, metric_rows
from trancheflow.models.ops_loans import PeriodLoans, from_feed, from_remittance
from trancheflow.servicer.period import prepare_period
from trancheflow.servicer.simulate import simulate_remittances
from trancheflow.tape import generate_tape


@pytest.fixture(scope="module")
def deal():
    tape = generate_tape(60, seed=1)
    b = round(float(tape["current_balance"].sum()), 2)
    spec = parse_spec(
        {
            "deal": "MON-1",
            "currency": {"symbol": "USDC", "decimals": 6},
            "collateral": {
                "rep_lines": [
                    {
                        "balance": b,
                        "gross_rate": 0.065,
                        "net_rate": 0.06,
                        "term": 360,
                        "wam": 357,
                        "wala": 3,
                    }
                ]
            },
            "assumptions": {
                "prepay": "CPR 12",
                "default": "CDR 3",
                "recovery_lag": 4,
                "severity": 0.4,
                "advance": True,
            },
            "tranches": [
                {"name": "A", "balance": round(0.8 * b, 2), "coupon": 0.04},
                {"name": "B", "balance": round(0.15 * b, 2), "coupon": 0.05},
                {"name": "R", "residual": True},
            ],
            "waterfall": {"principal": "sequential"},
        }
    )
    return spec, tape, ServicerFeed(spec, tape)


def test_forecast_features_equal_the_panel_features(small_sim, small_model):
    """The monitor's one-month features equal build_features on the same loans and month."""
    lm, mk = small_sim.panel, small_sim.market
    m = int(month_index(["2021-03-01"])[0])
    X, has = build_features(lm, mk, small_model.codes)
    rows = np.flatnonzero(has & (lm.period == m))
    prev = lm.prev_index()[rows]
    li = lm.loan_idx[rows]
    # burnout recounted loan by loan: positive incentive units of the earlier transitions
    note = lm.loans["orig_rate"].to_numpy()
    allprev = lm.prev_index()
    burn = np.zeros(len(rows), dtype=np.int64)
    for k, i in enumerate(li):
        mine = np.flatnonzero((lm.loan_idx == i) & (lm.period < m) & (allprev >= 0))
        inc = incentive_of(np.full(len(mine), note[i]), mk.rate_at(lm.period[mine] - 1))
        burn[k] = int(incentive_units(inc).sum())
    got = forecast_features(
        lm.loans.iloc[li].reset_index(drop=True),
        small_model.codes,
        mk,
        m,
        upb_start=lm.upb[prev],
        loan_age=lm.loan_age[rows],
        burn_units=burn,
        status=lm.status[prev],
    )
    want = X.iloc[rows].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_feed_records_are_checked_against_the_attested_root(deal):
    _spec, tape, feed = deal
    rep = feed.report(2)
    pl = from_feed(feed, 2, rep, tape=tape)
    assert pl.fractional and len(pl.loan_ids) == 60 and (pl.end <= pl.begin).all()
    forged = dataclasses.replace(rep, loans_root=feed.report(3).loans_root)
    with pytest.raises(ModelError, match="refusing to score"):
        from_feed(feed, 2, forged, tape=tape)
    blank = dataclasses.replace(rep, loans_root=b"\x00" * 32)
    with pytest.raises(ModelError, match="no loan-level root"):
        from_feed(feed, 2, blank, tape=tape)


def test_feed_realized_rates_are_the_collateral_engines(deal):
    """Realized SMM/MDR from the attested records equal the projection's own smm/mdr."""
    _spec, tape, feed = deal
    cf = feed.cash_flows
    for t in range(1, 6):
        r = from_feed(feed, t, feed.report(t), tape=tape).realized()
        assert r["prepay_smm"] == pytest.approx(cf["smm"].iloc[t - 1], rel=1e-4)
        assert r["default_mdr"] == pytest.approx(cf["mdr"].iloc[t - 1], rel=1e-2)


def _remittance_periods(spec, tape, tmp_path: Path, periods: int):
    frames = simulate_remittances(
        tape, periods, prepay="CPR 40", default="CDR 25", recovery_lag=4, seed=3
    )
    out, prev = [], None
    for t, df in enumerate(frames, start=1):
        f = tmp_path / f"remit-{t}.csv"
        df.to_csv(f, index=False)
        prepared = prepare_period(spec, tape, t, f, previous=prev)
        out.append((df, prepared))
        prev = f
    return out


def test_remittance_realized_rates_recount(deal, tmp_path):
    """Per-loan terminations of real remittance files, recounted from the raw frames."""
    spec, tape, _ = deal
    periods = _remittance_periods(spec, tape, tmp_path, 4)
    status_before = dict.fromkeys(tape["loan_id"].astype(str), "current")
    seen_default = seen_prepay = False
    for df, prepared in periods:
        pl = from_remittance(prepared.reconciled, prepared.previous, prepared.report)
        r = pl.realized()
        money = df.assign(
            **{
                c: df[c].astype(float)
                for c in ("beginning_balance", "scheduled_principal", "payoff", "curtailment")
            }
        )
        cur = money["loan_id"].map(status_before).eq("current")
        c = money[cur]
        smm = (c["payoff"] + c["curtailment"]).sum() / (
            c["beginning_balance"] - c["scheduled_principal"]
        ).sum()
        stopped = c["delinquency_status"].isin(
            ["dpd30", "dpd60", "dpd90", "dpd120plus", "foreclosure", "reo", "liquidated"]
        )
        mdr = c.loc[stopped, "beginning_balance"].sum() / c["beginning_balance"].sum()
        assert r["prepay_smm"] == pytest.approx(smm, rel=1e-9)
        assert r["default_mdr"] == pytest.approx(mdr, rel=1e-9, abs=1e-15)
        seen_default |= mdr > 0
        seen_prepay |= r["paid_off_loans"] > 0
        status_before.update(zip(df["loan_id"].astype(str), df["delinquency_status"], strict=True))
    assert seen_default and seen_prepay
    df, prepared = periods[-1]
    other = periods[-2][1].report
    with pytest.raises(ModelError, match="refusing to score"):
        from_remittance(prepared.reconciled, prepared.previous, other)


def test_monitor_records_and_reprices(deal, small_model):
    spec, tape, feed = deal
    mon = DealMonitor(small_model, spec, tape, mortgage_rate=0.06, oas_bp=80.0, paths=8, seed=2)
    bal = {"A": spec.tranches[0].balance, "B": spec.tranches[1].balance}
    recs = []
    for t in (1, 2):
        pl = from_feed(feed, t, feed.report(t), tape=tape)
        recs.append(mon.update(pl, bal))
    for r in recs:
        assert 0 < r["forecast_smm"] < 0.2 and 0 < r["forecast_mdr"] < 0.05
        assert 0 < r["pool_value"] < 130 and set(r["tranches"]) == {"A", "B"}
        assert all(np.isfinite(v) and v > 0 for v in r["tranches"].values())
        assert r["tranche_oas_bp"] == {"A": 80.0, "B": 80.0}
    # the forecast is the model's probability of the same features, balance-weighted
    pl = from_feed(feed, 2, feed.report(2), tape=tape)
    X = forecast_features(
        mon.loans,
        small_model.codes,
        mon.market,
        mon.closing_month + 2,
        upb_start=pl.begin / 1e6,
        loan_age=mon.age0 + 2,
        burn_units=incentive_units(
            incentive_of(mon.loans["orig_rate"].to_numpy(), np.full(60, 0.06))
        ),
        status=np.zeros(60),
    )
    p = small_model.predict("prepay", X)
    assert recs[1]["forecast_smm"] == pytest.approx(np.average(p, weights=pl.begin), rel=1e-12)
    rows = metric_rows(recs, {"model": "m", "x": float("nan")})
    assert [(r[0], r[1]) for r in rows] == [(0, "model"), (1, "period"), (2, "period")]
    assert rows[0][2]["x"] is None


def test_monitor_refuses_a_tape_without_dates(deal, small_model):
    spec, tape, _ = deal
    with pytest.raises(ModelError, match="first_payment_date"):
        DealMonitor(
            small_model, spec, tape.drop(columns=["first_payment_date"]), mortgage_rate=0.06
        )


def test_period_loans_with_nothing_current_is_an_error():
    z = np.zeros(2, dtype=np.int64)
    pl = PeriodLoans(1, ("a", "b"), z, z, z, z, np.array(["paid_off"] * 2), z, z, "x")
    with pytest.raises(ModelError, match="no loan was current"):
        pl.realized()

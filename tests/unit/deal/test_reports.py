"""Period reports, tranche analytics, yield tables, charts and the deal CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trancheflow.analytics import price_from_yield
from trancheflow.cli.deal import app
from trancheflow.deal.report import TRANCHE_COLUMNS, deal_report, to_json, tranche_report, write_csv
from trancheflow.deal.run import run_deal
from trancheflow.deal.spec import load_spec
from trancheflow.deal.tables import (
    balance_chart,
    expand_speeds,
    tranche_analytics,
    yield_table,
    yield_table_rich,
)
from trancheflow.errors import SpecError, SpeedNotationError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "deals"


@pytest.fixture(scope="module")
def example():
    return run_deal(load_spec(EXAMPLES / "example.yaml"), mode="exact")


@pytest.fixture(scope="module")
def fjf01():
    return run_deal(load_spec(EXAMPLES / "fjf01.yaml"))


def test_tranche_report_shape_and_identities(example):
    f = tranche_report(example)
    assert tuple(f.columns[: len(TRANCHE_COLUMNS)]) == TRANCHE_COLUMNS
    T = len(example.exact)
    assert len(f) == T * 4  # A, B, Z and the residual rows
    debt = f[f.tranche != "R"]
    np.testing.assert_allclose(debt.cash_flow, debt.interest_paid + debt.principal_paid)
    a = debt[debt.tranche == "A"]
    np.testing.assert_allclose(a.factor, a.ending_balance / 194_500_000)
    residual = f.loc[f.tranche == "R", "cash_flow"].sum()
    assert residual == pytest.approx(sum(r.residual for r in example.exact) / 1e6)


def test_deal_report_conserves_cash(example):
    d = deal_report(example)
    t = tranche_report(example, residual=False)
    paid = t.groupby("period")["cash_flow"].sum().to_numpy()
    reserve_change = d.reserve_balance.diff().fillna(d.reserve_balance.iloc[0]).to_numpy()
    out = paid + d.fee_trustee_paid + d.residual + reserve_change
    np.testing.assert_allclose(out, d.cash_in, rtol=0, atol=1e-5)
    assert {"active_rule", "trigger_cum_loss", "reserve_draw", "turbo"} <= set(d.columns)


def test_csv_and_json_round_trip(example, tmp_path):
    write_csv(example, tmp_path / "t.csv", deal_file=tmp_path / "d.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert tuple(back.columns[: len(TRANCHE_COLUMNS)]) == TRANCHE_COLUMNS
    assert len(back) == len(tranche_report(example))
    assert len(pd.read_csv(tmp_path / "d.csv")) == len(example.exact)
    doc = json.loads(to_json(example))
    assert doc["deal"] == "EXAMPLE-2026-1" and doc["mode"] == "exact"
    assert doc["tranches"][0]["tranche"] == "A" and len(doc["periods"]) == len(example.exact)


def test_par_tranches_yield_the_pass_through_rate(fjf01):
    """Every FJF-01 tranche pays 7.5% monthly on its balance, so at par its
    bond-equivalent yield is 2((1 + 0.075/12)^6 - 1) whatever its window
    (with no payment delay: a delay lowers the yield at par)."""
    t = tranche_analytics(fjf01, price=100.0, delay_days=0)
    bey = 2 * ((1 + 0.075 / 12) ** 6 - 1)
    np.testing.assert_allclose(t["yield"], bey, atol=1e-8)
    assert list(t.first_principal) == [1, 81, 100, 178]
    assert list(t.last_principal) == [81, 100, 178, 357]
    assert t.mod_duration.is_monotonic_increasing and t.wal.is_monotonic_increasing
    assert (t.writedown == 0).all() and (t.loss == 0).all()


def test_price_at_yield_inverts_yield_at_price(fjf01):
    t = tranche_analytics(fjf01, price={"A": 101.5, "D": 95.0}, delay_days=0)
    back = tranche_analytics(
        fjf01, yield_=dict(zip(t.tranche, t["yield"], strict=True)), delay_days=0
    )
    np.testing.assert_allclose(back.price, [101.5, 100, 100, 95.0], atol=1e-7)
    d = fjf01.flows
    direct = price_from_yield(d.cash_flow[0, :, 3], t["yield"][3], balance=73_000_000).clean
    assert direct == pytest.approx(95.0, abs=1e-7)


def test_yield_table_runs_each_scenario_like_run_deal():
    spec = load_spec(EXAMPLES / "example.yaml")
    table = yield_table(spec, ["PSA 100", "PSA 300"], ["SDA 0", "SDA 200"], price=99.0)
    assert len(table) == 4 * 3
    one = table[(table.prepay == "PSA 300") & (table.default == "SDA 200")]
    alone = tranche_analytics(
        run_deal(spec, assumptions={"prepay": "PSA 300", "default": "SDA 200"}), price=99.0
    )
    np.testing.assert_allclose(one["yield"], alone["yield"], rtol=1e-10)
    np.testing.assert_allclose(one["wal"], alone["wal"], rtol=1e-10)
    a = table[table.tranche == "A"].set_index(["prepay", "default"])["wal"]
    assert a["PSA 300", "SDA 0"] < a["PSA 100", "SDA 0"]
    assert yield_table_rich(table).row_count == 4


def test_expand_speeds():
    assert expand_speeds("PSA 100,165,300") == ["PSA 100", "PSA 165", "PSA 300"]
    assert expand_speeds("SDA 0, 100, CDR 1, 2") == ["SDA 0", "SDA 100", "CDR 1", "CDR 2"]
    with pytest.raises(SpeedNotationError, match="needs a curve name"):
        expand_speeds("100")


def test_balance_chart_png_and_html(fjf01, tmp_path):
    png = balance_chart(fjf01, tmp_path / "b.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = balance_chart(fjf01, tmp_path / "b.html").read_text()
    assert html.startswith("<!doctype html>") and "data:image/png;base64," in html


# ---------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_validate():
    ok = runner.invoke(app, ["validate", str(EXAMPLES / "fjf01.yaml"), "--onchain"])
    assert ok.exit_code == 0 and "FJF-01" in ok.output and "spec hash 0x" in ok.output


def test_cli_validate_reports_key_paths(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "deal: X\ncollateral: {tape: t.csv}\ntranches: [{name: R, residual: true, coupon: 0.1}]\n"
    )
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code != 0 and isinstance(res.exception, SpecError)
    assert "tranches[0]" in str(res.exception)


def test_cli_run_formats(tmp_path):
    spec = str(EXAMPLES / "fjf02.yaml")
    res = runner.invoke(app, ["run", spec, "--mode", "exact"])
    assert res.exit_code == 0 and "FJF-02 (exact)" in res.output
    out = tmp_path / "r.csv"
    res = runner.invoke(
        app, ["run", spec, "--format", "csv", "--output", str(out), "--prepay", "PSA 300"]
    )
    assert res.exit_code == 0
    frame = pd.read_csv(out)
    assert frame.loc[frame.tranche == "A", "principal_paid"].gt(0).sum() < 64  # faster than 165 PSA
    res = runner.invoke(app, ["run", spec, "--format", "json"])
    assert json.loads(res.output)["deal"] == "FJF-02"


def test_cli_yield_table(tmp_path):
    chart = tmp_path / "c.png"
    res = runner.invoke(
        app,
        [
            "yield-table",
            str(EXAMPLES / "fjf01.yaml"),
            "--prepay",
            "PSA 100,165,300",
            "--default",
            "SDA 0,100",
            "--price",
            "100",
            "--format",
            "csv",
            "--chart",
            str(chart),
        ],
    )
    assert res.exit_code == 0, res.output
    assert chart.exists()
    assert "prepay,default,tranche" in res.output

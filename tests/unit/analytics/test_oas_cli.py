"""``trancheflow price oas | z-spread | risk`` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trancheflow.cli import app

ROOT = Path(__file__).resolve().parents[3]
CURVE = str(ROOT / "examples/curves/treasury_sample.csv")
REP = [
    "--balance",
    "1000000",
    "--gross-rate",
    "7",
    "--net-rate",
    "6.5",
    "--term",
    "360",
    "--wala",
    "30",
]
FAST = ["--paths", "40", "--workers", "1"]
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, ["price", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_oas_of_a_rep_line_at_a_price_json() -> None:
    rows = json.loads(
        _run("oas", *REP, "--curve", CURVE, "--price", "101.5", *FAST, "--format", "json")
    )
    (r,) = rows
    assert r["instrument"] == "pool" and r["price"] == pytest.approx(101.5)
    assert r["option_cost_bp"] == pytest.approx(r["zspread_bp"] - r["oas_bp"])
    assert r["price_se"] > 0 and r["paths"] == 40


def test_price_at_an_oas_round_trips_through_the_cli() -> None:
    (a,) = json.loads(_run("oas", *REP, "--curve", CURVE, "--oas", "75", *FAST, "--format", "json"))
    (b,) = json.loads(
        _run("oas", *REP, "--curve", CURVE, "--price", str(a["price"]), *FAST, "--format", "json")
    )
    assert b["oas_bp"] == pytest.approx(75.0, abs=1e-6)


def test_every_tranche_of_a_spec_csv() -> None:
    out = _run(
        "oas",
        str(ROOT / "examples/deals/example.yaml"),
        "--curve",
        CURVE,
        "--price",
        "A=100.5,B=99,Z=95",
        *FAST,
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["instrument"] for r in rows] == ["A", "B", "Z", "R"]
    assert float(rows[0]["price"]) == pytest.approx(100.5)
    assert rows[3]["oas_bp"] == "" and float(rows[3]["pv"]) > 0


def test_z_spread_and_risk_table() -> None:
    (z,) = json.loads(
        _run("z-spread", *REP, "--curve", CURVE, "--price", "101.5", "--format", "json")
    )
    (o,) = json.loads(
        _run("oas", *REP, "--curve", CURVE, "--price", "101.5", *FAST, "--format", "json")
    )
    assert z["zspread_bp"] == pytest.approx(o["zspread_bp"], abs=1e-9)
    table = _run("risk", *REP, "--curve", CURVE, "--oas", "50", *FAST, "--no-key-rates")
    assert "eff. duration" in table and "pool" in table
    # 40 paths are too few for the sign of a second difference; 400 settle it
    rows = json.loads(
        _run("risk", *REP, "--curve", CURVE, "--oas", "50", "--paths", "400", "--format", "json")
    )
    assert rows[0]["effective_convexity"] < 0
    assert {"krd_10y", "krd_0.25y"} <= set(rows[0])


def test_model_file_and_constant_speed(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text("prepay_model:\n  refi_max_cpr: 0.0\n  turnover_cpr: 0.0\n")
    (no_prepay,) = json.loads(
        _run(
            "oas",
            *REP,
            "--curve",
            CURVE,
            "--price",
            "100",
            *FAST,
            "--model",
            str(model),
            "--format",
            "json",
        )
    )
    (cpr0,) = json.loads(
        _run(
            "oas",
            *REP,
            "--curve",
            CURVE,
            "--price",
            "100",
            *FAST,
            "--prepay",
            "CPR 0",
            "--format",
            "json",
        )
    )
    # the model runs in the float32 Monte Carlo kernel, CPR 0 in the float64 one
    assert no_prepay["oas_bp"] == pytest.approx(cpr0["oas_bp"], abs=1e-3)


def test_prepay_model_rate_model_sobol_and_the_statement() -> None:
    """--prepay-model FILE, CIR++ paths and Sobol' numbers; every risk table says
    which models and parameters produced it."""
    model = str(ROOT / "examples/models/prepay_default.yaml")
    out = _run(
        "risk", *REP, "--curve", CURVE, "--price", "101", *FAST, "--no-key-rates",
        "--prepay-model", model, "--rate-model", "cir", "--sobol",
    )  # fmt: skip
    text = " ".join(out.split())
    assert "Prepay model: RefiPrepayModel s_curve=arctan" in text
    assert "burnout_floor=0.3" in text and "slope=4.3" in text
    assert "Rates: CIR++" in text and "Sobol'" in text
    out = _run("oas", *REP, "--curve", CURVE, "--price", "101", *FAST, "--prepay", "CPR 6")
    assert "Prepay: constant CPR 6" in " ".join(out.split())


def test_bad_prepay_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("prepay_model:\n  burnout: 0.02\n")
    result = runner.invoke(
        app, ["price", "oas", *REP, "--curve", CURVE, "--price", "101", *FAST,
              "--prepay-model", str(bad)],
    )  # fmt: skip
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "bad.yaml" in text and "unknown prepay model key" in text and "burnout" in text
    assert "Traceback" not in result.output
    result = runner.invoke(
        app, ["price", "oas", *REP, "--curve", CURVE, "--price", "101", *FAST,
              "--rate-model", "bdt"],
    )  # fmt: skip
    assert result.exit_code != 0 and "rate_model 'bdt'" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["oas", *REP, "--curve", CURVE, *FAST], "exactly one of --price or --oas"),
        (["oas", *REP, "--curve", CURVE, "--price", "abc"], "is not a price"),
        (["oas", "--curve", CURVE, "--price", "100", "--balance", "1"], "needs --gross-rate"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["price", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())

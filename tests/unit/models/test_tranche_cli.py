"""``trancheflow price --model NAME``, ``price yield-table`` and ``model price`` end to end."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.deal import load_spec
from trancheflow.models.registry import save_model
from trancheflow.models.tranche_pricing import value_tranches
from trancheflow.tape import generate_tape, read_tape

runner = CliRunner()
WIDE = {"COLUMNS": "220", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def setup(small_model, tmp_path_factory):
    d = tmp_path_factory.mktemp("mlcli")
    save_model(small_model, "cli-m", directory=d / "models", overwrite=True)
    tape = generate_tape(120, seed=21)
    tape.to_csv(d / "pool.csv", index=False)
    b = float(read_tape(d / "pool.csv")["current_balance"].sum())
    spec = {
        "deal": "CLI-1",
        "currency": {"symbol": "USDC", "decimals": 6},
        "collateral": {"tape": "pool.csv"},
        "assumptions": {"prepay": "PSA 150", "default": "SDA 100", "severity": 0.4},
        "tranches": [
            {"name": "A", "balance": round(0.8 * b, 2), "coupon": 0.045},
            {"name": "B", "balance": round(0.15 * b, 2), "coupon": 0.055},
            {"name": "R", "residual": True},
        ],
        "waterfall": {"principal": "sequential"},
    }
    (d / "deal.yaml").write_text(yaml.safe_dump(spec))
    (d / "curve.csv").write_text("tenor,rate\n1,0.04\n30,0.04\n")
    return d


def _run(setup, monkeypatch, *args):
    monkeypatch.setenv("TRANCHEFLOW_MODELS", str(setup / "models"))
    r = runner.invoke(app, list(args), env=WIDE)
    return r.exit_code, r.output


def test_model_price_prints_the_library_values(setup, monkeypatch, small_model):
    code, out = _run(
        setup, monkeypatch, "model", "price", str(setup / "deal.yaml"), "--model", "cli-m",
        "--oas", "50", "--paths", "8", "--seed", "3",
    )  # fmt: skip
    assert code == 0, out
    spec = load_spec(setup / "deal.yaml")
    pool = read_tape(setup / "pool.csv")
    v = value_tranches(spec, pool, small_model, oas_bp=50.0, paths=8, seed=3)
    for name, value in zip(v["tranche"], v["value"], strict=True):
        line = next(ln for ln in out.splitlines() if ln.strip("│ ").startswith(name))
        assert f"{value:.4f}" in line


def test_price_oas_with_a_trained_model_and_unknown_names(setup, monkeypatch):
    deal, curve = str(setup / "deal.yaml"), str(setup / "curve.csv")
    code, out = _run(
        setup, monkeypatch, "price", "oas", deal, "--curve", curve, "--model", "cli-m",
        "--oas", "40", "--paths", "8",
    )  # fmt: skip
    assert code == 0, out
    assert "ML hazard model 'cli-m'" in out and "A" in out
    code, out = _run(
        setup, monkeypatch, "price", "oas", deal, "--curve", curve, "--model", "nope",
        "--oas", "40", "--paths", "8",
    )  # fmt: skip
    assert code == 2
    assert "cli-m" in out and "nope" in out
    code, out = _run(setup, monkeypatch, "model", "price", deal, "--model", "nope")
    assert code == 2 and "cli-m" in out


def test_yield_table_with_a_model_moves_with_the_mortgage_rate(setup, monkeypatch):
    code, out = _run(
        setup, monkeypatch, "price", "yield-table", str(setup / "deal.yaml"), "--model", "cli-m",
        "--mortgage-rates", "3,9", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    import json

    rows = json.loads(out)
    wal = {(r["mortgage_rate"], r["tranche"]): r["wal"] for r in rows}
    cpr = {r["mortgage_rate"]: r["cpr"] for r in rows}
    assert cpr[0.03] > cpr[0.09]  # low market rates: refinancing
    assert wal[(0.03, "A")] < wal[(0.09, "A")]
    assert np.isfinite([r["yield"] for r in rows]).all()
    code, out = _run(
        setup, monkeypatch, "price", "yield-table", str(setup / "deal.yaml"), "--model", "cli-m",
        "--mortgage-rates", "3,x",
    )  # fmt: skip
    assert code == 2

"""Tables for people: formatted cells, never truncated when piped, --format/--output."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.cli._tables import Column, cell

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "examples/deals/example.yaml")
CURVE = str(ROOT / "examples/curves/treasury_sample.csv")
REP = ["--balance", "1000000", "--gross-rate", "7", "--net-rate", "6.5", "--term", "360"]
runner = CliRunner()


def test_cells_by_kind() -> None:
    row = {"n": 2000.0, "m": 1234567.8912, "y": 0.07404, "t": 1_767_225_600, "x": float("nan")}
    assert cell(row, Column("n", "loans", "count")) == "2,000"
    assert cell(row, Column("m", "balance", "money")) == "1,234,567.89"
    assert cell(row, Column("y", "yield (%)", "percent")) == "7.404"
    assert cell(row, Column("t", "at", "date")) == "2026-01-01 00:00 UTC"
    assert cell(row, Column("x", "x", "money")) == "-"


def test_piped_table_is_not_truncated() -> None:
    code = "import sys; from trancheflow.cli import main; sys.argv = sys.argv[1:]; main()"
    out = subprocess.run(
        [sys.executable, "-c", code, "trancheflow", "deal", "run", EXAMPLE],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    header = next(line for line in out.splitlines() if "tranche" in line and "balance" in line)
    for label in ("yield (%)", "WAL (years)", "interest shortfall", "forgiven interest"):
        assert label in header
    assert "…" not in out


def test_format_and_output_on_table_commands(tmp_path: Path) -> None:
    z = tmp_path / "z.json"
    quote = ["--curve", CURVE, "--price", "101-16"]
    res = runner.invoke(
        app, ["price", "z-spread", *REP, *quote, "--format", "json", "--output", str(z)]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(z.read_text())[0]["price"] == 101.5
    y = tmp_path / "y.csv"
    speeds = ["--prepay", "PSA 100,300"]
    res = runner.invoke(
        app, ["deal", "yield-table", EXAMPLE, *speeds, "--format", "csv", "--output", str(y)]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(y.open()))
    assert len(rows) == 2 * 3 and {"prepay", "tranche", "yield", "wal"} <= set(rows[0])
    s = tmp_path / "s.txt"
    res = runner.invoke(app, ["deal", "run", EXAMPLE, "--output", str(s)])
    assert res.exit_code == 0, res.output
    assert "forgiven interest" in s.read_text() and "payment delay 24 days" in s.read_text()

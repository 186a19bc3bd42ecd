"""``trancheflow market stress`` through the root app (its error boundary)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from trancheflow.cli import app

ROOT = Path(__file__).resolve().parents[3]
INSURED = str(ROOT / "examples/deals/insured.yaml")
BASE = ["market", "stress", "--spec", INSURED, "--tranche", "B", "--months", "12"]
runner = CliRunner()


def test_summary_csv_covers_every_scenario() -> None:
    res = runner.invoke(app, [*BASE, "--scenarios", "90", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert sum(int(r["scenarios"]) for r in rows) == 90
    assert {float(r["depth"]) for r in rows} <= {0.02, 0.05, 0.10}


def test_scenario_json_with_paths_and_chart(tmp_path: Path) -> None:
    out, png = tmp_path / "s.json", tmp_path / "c.png"
    args = [*BASE, "--scenarios", "20", "--by", "scenario", "--paths", "--format", "json"]
    res = runner.invoke(app, [*args, "--output", str(out), "--chart", str(png)])
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())
    assert len(rows) == 20 and len(rows[0]["pool_price_path"]) == 13
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_names_the_mark() -> None:
    res = runner.invoke(app, [*BASE, "--scenarios", "20"])
    assert res.exit_code == 0, res.output
    assert "mark = 1 x pool spot" in res.output and "max rounds" in res.output


def test_bad_input_is_one_line() -> None:
    for extra, needle in (
        (["--threshold", "1.5"], "--threshold 1.5"),
        (["--scenarios", "0"], "--scenarios 0"),
        (["--leverages", "0.5,x"], "--leverages"),
        (["--tranche", "Q"], "tranche 'Q'"),
        (["--by", "month"], "--by"),
        (["--chart", "c.svg"], ".png"),
    ):
        res = runner.invoke(app, [*BASE, "--scenarios", "5", *extra])
        assert res.exit_code == 2, (extra, res.output)
        assert needle in " ".join(res.output.split()) and "Traceback" not in res.output

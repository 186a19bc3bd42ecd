"""``trancheflow collateral project``: rep lines, tapes, formats and errors."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import trancheflow.cli.collateral as cli_collateral
from trancheflow.cli import app, main
from trancheflow.collateral import Assumptions, RepLine, project_pool

runner = CliRunner()
REP = ["collateral", "project", "--balance", "1000000", "--gross-rate", "7", "--net-rate", "6.5",
       "--term", "360", "--wam", "348", "--wala", "12"]  # fmt: skip
SCEN = ["--prepay", "PSA 150", "--default", "SDA 100", "--severity", "35", "--recovery-lag", "12"]
LINE = RepLine(1_000_000, 0.07, 0.065, 360, 348, 12)
A = Assumptions("PSA 150", "SDA 100", 0.35, 12)

TAPE_CSV = (
    "loan_id,original_balance,current_balance,note_rate,net_rate,original_term,loan_age,"
    "remaining_term,amortization_type,io_term,balloon_term\n"
    """L1,200000,190000,0.065,0.06,360,24,336,level_pay,0,0
L2,300000,300000,0.07,0.065,360,0,360,interest_only,120,0
L3,150000,140000,0.055,0.05,360,12,348,balloon,0,84
"""
)


def test_rep_line_table_output() -> None:
    result = runner.invoke(app, [*REP, *SCEN])
    assert result.exit_code == 0, result.output
    assert "PSA 150 / SDA 100" in result.output
    assert "total" in result.output
    assert "WAL (yrs)" in result.output


def test_rep_line_csv_matches_library() -> None:
    result = runner.invoke(app, [*REP, *SCEN, "--format", "csv"])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.output))
    want = project_pool(LINE, A)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-9)


def test_json_output_carries_assumptions_pool_and_flows() -> None:
    result = runner.invoke(app, [*REP, *SCEN, "--format", "json", "--periods", "24"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["assumptions"] == {"prepay": "PSA 150", "default": "SDA 100", "severity": 0.35,
                                  "recovery_lag": 12, "advance": True}  # fmt: skip
    assert doc["pool"]["loans"] == 1
    assert len(doc["cash_flows"]) == 24
    want = project_pool(LINE, A, n_periods=24)
    assert doc["cash_flows"][5]["total_cash_flow"] == pytest.approx(
        want["total_cash_flow"].iloc[5], rel=1e-14
    )


def test_tape_input_parquet_output(tmp_path: Path) -> None:
    from trancheflow.tape import read_tape

    tape = tmp_path / "tape.csv"
    tape.write_text(TAPE_CSV)
    out = tmp_path / "cf.parquet"
    args = ["collateral", "project", "--tape", str(tape), "--prepay", "CPR 8", "--default",
            "CDR 1", "--severity", "30", "--recovery-lag", "6", "--no-advance",
            "--format", "parquet", "--output", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out)
    want = project_pool(read_tape(tape), Assumptions("CPR 8", "CDR 1", 0.3, 6, advance=False))
    pd.testing.assert_frame_equal(got, want)


def test_table_to_file_and_progress_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tape = tmp_path / "tape.csv"
    tape.write_text(TAPE_CSV)
    monkeypatch.setattr(cli_collateral, "PROGRESS_MIN_LOANS", 1)
    out = tmp_path / "cf.txt"
    result = runner.invoke(app, ["collateral", "project", "--tape", str(tape), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "3 loan(s)" in text
    assert "total" in text


def test_bad_speed_names_text_and_forms(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = runner.invoke(app, [*REP, "--prepay", "PSA fast"])
    assert result.exit_code == 2 and "'PSA fast' is not in market notation" in result.output
    monkeypatch.setattr(sys, "argv", ["trancheflow", *REP, "--default", "SDA lots"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())  # undo the console's line wrapping
    assert "'SDA lots'" in err
    assert "'SDA 100', 'CDR 2', 'MDR 1'" in err


@pytest.mark.parametrize(
    "args",
    [
        ["collateral", "project"],
        ["collateral", "project", "--tape", "x.csv", "--balance", "5"],
        [*REP, "--format", "parquet"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2


def test_missing_tape_file_is_a_tape_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["collateral", "project", "--tape", str(tmp_path / "no.csv")])
    assert result.exit_code == 2 and "no.csv" in result.output  # a TapeError, one line

"""The loan-month panel: schema checks, and the builder on hand-made Freddie Mac files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trancheflow.errors import TapeError, TapeValidationError
from trancheflow.tape.panel import PANEL_COLUMNS, STATUSES, empty_panel, validate_panel
from trancheflow.tape.panel_build import build_panel, read_panel

DATA = Path(__file__).parents[2] / "data" / "freddie"
ORIG = DATA / "sample_orig_2019.txt"
PERF = DATA / "sample_svcg_2019.txt"


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("panel") / "p"
    build_panel(ORIG, PERF, out)
    return read_panel(out)


def _path(panel: pd.DataFrame, loan: str) -> list[str]:
    return panel.loc[panel["loan_id"] == loan, "status"].tolist()


def test_status_paths_follow_the_codes(panel: pd.DataFrame) -> None:
    assert list(panel.columns) == list(PANEL_COLUMNS)
    assert set(panel["status"]) <= set(STATUSES)
    assert _path(panel, "F19Q10000001") == ["current"] * 4 + ["prepaid"]  # code 01
    assert _path(panel, "F19Q10000002") == [
        "current",
        "current",
        "d30",
        "d60",
        "d90p",
        "d90p",
        "fc_reo",
        "default",
    ]  # fmt: skip  (delinquent 1..4 months, RA, then 09 REO disposition)
    assert _path(panel, "F19Q10000003")[-1] == "default"  # 03 short sale
    assert _path(panel, "F19Q10000004")[-1] == "default"  # 02 third-party sale
    assert _path(panel, "F19Q10000005")[-1] == "repurchased"  # 96 repurchase
    # XX (unknown) month keeps the previous status; the modification cures the loan.
    assert _path(panel, "F19Q10000006")[-3:] == ["d90p", "current", "current"]
    assert _path(panel, "F19Q10000007") == ["current"] * 3


def test_losses_rates_ages_and_covariates(panel: pd.DataFrame) -> None:
    last = panel.groupby("loan_id").last()
    assert last.loc["F19Q10000002", "loss"] == 29550.0
    assert last.loc["F19Q10000003", "loss"] == 51300.0
    assert last.loc["F19Q10000004", "loss"] == 6400.0
    assert np.isnan(last.loc["F19Q10000001", "loss"]) and np.isnan(last.loc["F19Q10000005", "loss"])
    assert last["zero_balance_code"].tolist()[:5] == ["01", "09", "03", "02", "96"]
    assert (last.loc[last["status"].isin(["prepaid", "default"]), "upb"] == 0).all()
    f6 = panel[panel["loan_id"] == "F19Q10000006"]
    assert f6["note_rate"].tolist()[-1] == 3.0 and f6["note_rate"].iloc[0] == 4.375
    assert f6["loan_age"].tolist() == list(range(8))
    assert f6["period"].iloc[0] == pd.Timestamp("2019-05-01")
    f2 = last.loc["F19Q10000002"]
    assert np.isnan(f2["fico"]) and np.isnan(f2["dti"]) and f2["ltv"] == 95.0
    assert (f2["state"], f2["channel"], f2["vintage"]) == ("OH", "correspondent", 2019)
    assert last.loc["F19Q10000003", "property_type"] == "two_to_four_unit"
    assert (panel.groupby("loan_id")["status"].apply(lambda s: s.isin(["prepaid", "default"])
            .sum()) <= 1).all()  # fmt: skip


def test_chunk_size_does_not_change_the_panel(tmp_path: Path, panel: pd.DataFrame) -> None:
    for rows in (3, 11):
        build_panel(ORIG, PERF, tmp_path / f"p{rows}", chunk_rows=rows)
        pd.testing.assert_frame_equal(read_panel(tmp_path / f"p{rows}"), panel)


def test_problems_reject_the_build_and_leave_nothing(tmp_path: Path) -> None:
    lines = PERF.read_text().splitlines()
    lines[6] = lines[6].replace("|95000.00|0|001|", "|95000.00|Q|001|")  # line 7: bad status
    lines.insert(9, lines[8])  # line 10 repeats line 9's month
    lines.append(lines[0].replace("201902", "202001"))  # F19Q...01 again after others
    lines.append("F19Q99999999|201905|1.00|0|001|359|||||4.0" + "|" * 21)
    perf = tmp_path / "svcg.txt"
    perf.write_text("\n".join(lines) + "\n")
    with pytest.raises(TapeValidationError) as info:
        build_panel(ORIG, perf, tmp_path / "out")
    got = {(p.row, p.field) for p in info.value.problems}
    assert got == {
        (7, "current_loan_delinquency_status"),
        (10, "monthly_reporting_period"),
        (40, "loan_sequence_number"),
        (41, "loan_sequence_number"),
    }
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(TapeError, match="overwrite"):
        build_panel(ORIG, PERF, tmp_path / "out")
    assert build_panel(ORIG, PERF, tmp_path / "out", overwrite=True).rows == 38


def test_validate_panel_rules(panel: pd.DataFrame) -> None:
    assert validate_panel(empty_panel()).empty
    bad = panel.copy()
    bad.loc[0, "status"] = "late"
    bad.loc[1, "period"] = pd.Timestamp("2019-03-15")
    with pytest.raises(TapeValidationError) as info:
        validate_panel(bad)
    assert {(p.row, p.field) for p in info.value.problems} == {(1, "status"), (2, "period")}
    after_end = pd.concat([panel.iloc[:5], panel.iloc[[4]].assign(
        period=pd.Timestamp("2019-07-01"), status="current")])  # fmt: skip
    with pytest.raises(TapeValidationError, match="terminal status"):
        validate_panel(after_end)
    with pytest.raises(TapeValidationError, match="column is missing"):
        validate_panel(panel.drop(columns="loss"))


def test_repeated_origination_line_and_missing_file(tmp_path: Path) -> None:
    lines = ORIG.read_text().splitlines()
    orig = tmp_path / "orig.txt"
    orig.write_text("\n".join([*lines, lines[2]]) + "\n")
    with pytest.raises(TapeValidationError) as info:
        build_panel(orig, PERF, tmp_path / "out")
    assert [(p.row, p.field, p.value, p.rule) for p in info.value.problems] == [
        (8, "loan_sequence_number", "F19Q10000003", "repeats an earlier loan")
    ]
    with pytest.raises(TapeError, match="no such Freddie Mac file"):
        build_panel(orig, tmp_path / "absent.txt", tmp_path / "out")

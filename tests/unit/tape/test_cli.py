"""``trancheflow tape`` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trancheflow.cli import app
from trancheflow.cli.tape import summary
from trancheflow.tape import read_freddie, read_tape

runner = CliRunner()
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["tape", *args], env=WIDE)
    return result.exit_code, result.output


def test_generate_then_validate_prints_summary(tmp_path: Path) -> None:
    out = tmp_path / "pool.csv"
    code, text = run("generate", "--loans", "250", "--seed", "4", "--output", str(out))
    assert code == 0 and "wrote 250 loans" in text
    tape = read_tape(out)
    code, text = run("validate", str(out))
    assert code == 0
    s = summary(tape)
    assert "valid tape" in text and "250" in text
    assert f"{s['wac']:.4%}" in text and f"{s['wam']:.1f}" in text and f"{s['wala']:.1f}" in text


def test_generate_is_reproducible_and_parquet_by_flag(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run("generate", "--loans", "50", "--seed", "8", "--format", "parquet",
                   "--output", str(tmp_path / name))[0] == 0  # fmt: skip
    pd.testing.assert_frame_equal(
        read_tape(tmp_path / "a", format="parquet"), read_tape(tmp_path / "b", format="parquet")
    )


def test_validate_bad_tape_prints_problem_table_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    run("generate", "--loans", "20", "--output", str(path))
    df = pd.read_csv(path, dtype=str)
    df.loc[4, "note_rate"] = "six"
    df.loc[9, "fico"] = "9000"
    df.to_csv(path, index=False)
    code, text = run("validate", str(path))
    assert code == 2
    assert "2 problem(s)" in text
    assert "'six'" in text and "must be a number" in text and "note_rate" in text
    rows = [line for line in text.splitlines() if "bad.csv" in line and "│" in line]
    assert [line.split("│")[2].strip() for line in rows] == ["5", "10"]
    code, text = run("validate", str(path), "--max-problems", "1")
    assert code == 2 and "1 problem(s) (cap reached)" in text


def test_freddie_generate_validate_convert(tmp_path: Path) -> None:
    prefix = tmp_path / "fm"
    code, text = run("generate", "--loans", "60", "--format", "freddie", "--output", str(prefix))
    assert code == 0
    orig, perf = tmp_path / "fm_orig.txt", tmp_path / "fm_svcg.txt"
    assert orig.is_file() and perf.is_file()
    code, text = run("validate", str(orig))  # performance file found by name
    assert code == 0 and "60" in text
    code, _ = run("convert", str(orig), str(tmp_path / "fm.parquet"))
    assert code == 0
    pd.testing.assert_frame_equal(read_tape(tmp_path / "fm.parquet"), read_freddie(orig, perf))


def test_convert_csv_parquet_both_ways(tmp_path: Path) -> None:
    run("generate", "--loans", "30", "--output", str(tmp_path / "a.csv"))
    assert run("convert", str(tmp_path / "a.csv"), str(tmp_path / "b.parquet"))[0] == 0
    assert run("convert", str(tmp_path / "b.parquet"), str(tmp_path / "c.csv"))[0] == 0
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "c.csv").read_text()


def test_convert_invalid_input_shows_problems_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("loan_id\nA\n")
    code, text = run("convert", str(tmp_path / "x.csv"), str(tmp_path / "y.csv"))
    assert code == 2 and "required column is missing" in text and "note_rate" in text
    assert not (tmp_path / "y.csv").exists()


@pytest.mark.parametrize("bad", ["2024-02-30", "June"])
def test_bad_as_of_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    code, text = run("generate", "--output", str(tmp_path / "t.csv"), "--as-of", bad)
    assert code == 2 and "YYYY-MM-DD" in text


FREDDIE = Path(__file__).parents[2] / "data" / "freddie"


def test_convert_31_field_origination_only_file(tmp_path: Path) -> None:
    # Issue 14's reproduction: a 2019-style 31-field origination file, no performance file.
    orig = tmp_path / "sample_orig_2019.txt"
    orig.write_bytes((FREDDIE / "sample_orig_2019.txt").read_bytes())
    code, text = run("convert", str(orig), str(tmp_path / "out.csv"), "--from", "freddie")
    assert code == 2 and "without its performance file" in text and "--as-of" in text
    assert "Traceback" not in text and not (tmp_path / "out.csv").exists()
    code, text = run(
        "convert", str(orig), str(tmp_path / "out.csv"), "--from", "freddie", "--as-of", "2020-06"
    )
    assert code == 0 and "aged on schedule to 2020-06" in text
    tape = read_tape(tmp_path / "out.csv")
    assert len(tape) == 7 and tape["loan_age"].iloc[0] == 16  # first payment 2019-03


def test_convert_with_performance_file_and_panel(tmp_path: Path) -> None:
    orig, perf = FREDDIE / "sample_orig_2019.txt", FREDDIE / "sample_svcg_2019.txt"
    out = tmp_path / "t.parquet"
    code, _ = run("convert", str(orig), str(out), "--performance", str(perf), "--as-of", "2019-07")
    assert code == 0 and len(read_tape(out)) == 5
    code, text = run("panel", str(orig), str(perf), str(tmp_path / "panel"))
    assert code == 0 and "38 loan-months of 7 loans" in text and "1 prepaid" in text
    assert (tmp_path / "panel" / "vintage=2019").is_dir()
    code, text = run("panel", str(orig), str(perf), str(tmp_path / "panel"))
    assert code == 2 and "--overwrite" in text


def test_bad_freddie_rows_are_a_problem_table(tmp_path: Path) -> None:
    lines = (FREDDIE / "sample_orig_2019.txt").read_text().splitlines()
    lines[2] = lines[2].replace("|CA|SF|", "|CA|XX|")
    orig = tmp_path / "o.txt"
    orig.write_text("\n".join(lines) + "\n")
    code, text = run("validate", str(orig), "--as-of", "2019-12")
    assert code == 2 and "property_type" in text and "'XX'" in text and "Traceback" not in text


def test_generate_like_a_freddie_file_and_from_a_saved_model(tmp_path: Path) -> None:
    src = FREDDIE / "sample_orig_2019.txt"
    model = tmp_path / "like.json"
    code, text = run(
        "generate", "--like", str(src), "--loans", "40", "-o", str(tmp_path / "a.csv"),
        "--save-model", str(model),
    )  # fmt: skip
    assert code == 0 and "7 loans fitted" in text and model.is_file()
    code, _ = run("generate", "--like", str(model), "--loans", "40", "-o", str(tmp_path / "b.csv"))
    assert code == 0
    a, b = read_tape(tmp_path / "a.csv"), read_tape(tmp_path / "b.csv")
    pd.testing.assert_frame_equal(a, b)  # same seed, same model
    assert set(a["state"]) <= {"IL", "OH", "CA", "FL", "CO", "TX", "NY"}
    code, text = run("generate", "--like", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "c"))
    assert code == 2 and "no such Freddie Mac file" in text

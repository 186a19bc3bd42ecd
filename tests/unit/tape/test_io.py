"""read_tape / write_tape: CSV and Parquet round trips, file row numbers, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trancheflow.errors import Problem, TapeError, TapeValidationError
from trancheflow.tape import generate_tape, read_tape, validate_tape, write_tape


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_is_exact(tmp_path: Path, suffix: str) -> None:
    tape = generate_tape(300, seed=11)
    path = tmp_path / f"tape{suffix}"
    write_tape(tape, path)
    back = read_tape(path)
    pd.testing.assert_frame_equal(back, tape)


def test_round_trip_of_hand_written_tape(tmp_path: Path, base: pd.DataFrame) -> None:
    tape = validate_tape(base)
    for name in ("a.csv", "a.parquet"):
        write_tape(tape, tmp_path / name)
        pd.testing.assert_frame_equal(read_tape(tmp_path / name), tape)


def test_csv_rows_are_data_rows_after_the_header(tmp_path: Path, base: pd.DataFrame) -> None:
    base.loc[1, "note_rate"] = "NA"  # literal text, not a missing value
    base.loc[2, "original_term"] = ""
    path = tmp_path / "bad.csv"
    base.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    assert lines[2].startswith("L2,") and lines[3].startswith("L3,")  # file lines 3 and 4
    with pytest.raises(TapeValidationError) as info:
        read_tape(path)
    assert info.value.problems == [
        Problem(str(path), 2, "note_rate", "NA", "must be a number"),
        Problem(str(path), 3, "original_term", None, "required value is missing"),
    ]


def test_read_respects_max_problems(tmp_path: Path, base: pd.DataFrame) -> None:
    base["fico"] = "1"
    base.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(TapeValidationError) as info:
        read_tape(tmp_path / "t.csv", max_problems=2)
    assert len(info.value.problems) == 2 and info.value.truncated


def test_format_override_and_unknown_suffix(tmp_path: Path) -> None:
    tape = generate_tape(5, seed=0)
    write_tape(tape, tmp_path / "t.dat", format="parquet")
    pd.testing.assert_frame_equal(read_tape(tmp_path / "t.dat", format="parquet"), tape)
    with pytest.raises(TapeError, match=r"t\.xlsx: cannot tell the tape format"):
        write_tape(tape, tmp_path / "t.xlsx")
    with pytest.raises(TapeError, match="unknown tape format 'json'"):
        read_tape(tmp_path / "t.dat", format="json")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TapeError, match="no such tape file"):
        read_tape(tmp_path / "absent.csv")


def test_invalid_tape_is_not_written(tmp_path: Path, base: pd.DataFrame) -> None:
    base.loc[0, "fico"] = "2000"
    with pytest.raises(TapeValidationError):
        write_tape(base, tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_target_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "t.parquet"
    target.write_bytes(b"previous content")

    def half_write(self: pd.DataFrame, path: str, **kw: object) -> None:
        Path(path).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_tape(generate_tape(3), target)
    assert target.read_bytes() == b"previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]  # no temp file left


def test_write_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(TapeError, match="does not exist"):
        write_tape(generate_tape(3), tmp_path / "nope" / "t.csv")


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        write_tape(generate_tape(3), tmp_path / "t.csv")
    finally:
        os.umask(umask)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o644

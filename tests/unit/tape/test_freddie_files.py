"""The Freddie Mac reader on hand-made files in the published layouts (tests/data/freddie).

The files were written by hand from the user guide's field order, codes and
sentinels (see tests/data/freddie/README.md), not by this project's writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trancheflow.errors import Problem, TapeValidationError
from trancheflow.tape import read_freddie
from trancheflow.tape.freddie import origination_records
from trancheflow.tape.freddie_perf import DQ_REO, DQ_UNKNOWN, performance_records
from trancheflow.tape.freddie_scan import ProblemLog

DATA = Path(__file__).parents[2] / "data" / "freddie"
ORIG31 = DATA / "sample_orig_2019.txt"
PERF = DATA / "sample_svcg_2019.txt"
ORIG32 = DATA / "historical_data_2021Q1.txt"


def test_31_field_origination_file_without_performance_reads() -> None:
    # The reproduction: a 31-field sample origination file, no performance file.
    tape = read_freddie(ORIG31)
    assert len(tape) == 7 and tape["loan_age"].eq(0).all()
    first = tape.iloc[0]
    assert (first.loan_id, first.fico, first.ltv, first.cltv, first.dti) == (
        "F19Q10000001", 751.0, 0.8, 0.8, 0.33,
    )  # fmt: skip
    assert (first.note_rate, first.original_balance, first.original_term) == (0.04625, 180000, 360)
    by_id = tape.set_index("loan_id")
    assert np.isnan(by_id.loc["F19Q10000002", "fico"])  # 9999
    assert np.isnan(by_id.loc["F19Q10000002", "dti"])  # 999
    assert by_id.loc["F19Q10000003", "property_type"] == "two_to_four_unit"  # 2 units
    assert by_id.loc["F19Q10000003", "occupancy"] == "investor"
    assert by_id.loc["F19Q10000003", "purpose"] == "cash_out_refi"
    assert by_id.loc["F19Q10000004", "property_type"] == "condo"
    assert by_id.loc["F19Q10000005", ["occupancy", "property_type", "purpose"]].tolist() == [
        "second_home", "pud", "rate_term_refi",
    ]  # fmt: skip
    assert by_id.loc["F19Q10000006", "purpose"] is None  # R: refinance not specified
    assert by_id.loc["F19Q10000006", "property_type"] == "manufactured"
    assert by_id.loc["F19Q10000007", "property_type"] == "coop"


def test_origination_records_keep_names_channels_and_blank_fields() -> None:
    log = ProblemLog(10)
    rec = next(origination_records(ORIG31, log))
    assert not log.problems
    assert rec["channel"].tolist() == [
        "retail", "correspondent", "broker", "retail", "tpo", "retail", "correspondent",
    ]  # fmt: skip
    assert rec["first_payment"].iloc[0] == 2019 * 12 + 2  # March 2019
    assert rec["maturity"].iloc[0] == 2049 * 12 + 1
    rec32 = next(origination_records(ORIG32, ProblemLog(10)))
    assert rec32["loan_id"].tolist() == ["F21Q10000001", "F21Q10000002", "F21Q10000003"]


def test_32_field_origination_file_aged_on_schedule_as_of() -> None:
    tape = read_freddie(ORIG32, as_of="2021-12")
    # First payment 2021-03 -> age 10 in December (1 in the first payment month).
    assert tape["loan_age"].tolist() == [10, 10, 9]
    assert tape["remaining_term"].tolist() == [350, 350, 171]
    p, r, k = 256000.0, 0.02875 / 12, 10
    pmt = p * r / (1 - (1 + r) ** -360)
    expected = p * (1 + r) ** k - pmt * ((1 + r) ** k - 1) / r
    assert tape["current_balance"].iloc[0] == pytest.approx(expected, abs=0.01)
    assert tape["delinquency_status"].isna().all()


def test_performance_records_read_codes_and_losses() -> None:
    rec = next(performance_records(PERF, ProblemLog(10)))
    by_line = rec.set_index("line")
    assert by_line.loc[5, "zbc"] == "01" and by_line.loc[5, "upb"] == 0.0
    assert by_line.loc[12, "dq"] == DQ_REO
    assert by_line.loc[13, "zbc"] == "09" and by_line.loc[13, "loss"] == -29550.0
    assert by_line.loc[19, "zbc"] == "03" and by_line.loc[19, "loss"] == -51300.0
    assert by_line.loc[24, "zbc"] == "02"
    assert by_line.loc[27, "zbc"] == "96"
    assert by_line.loc[33, "dq"] == DQ_UNKNOWN and by_line.loc[33, "mod"] == "Y"
    assert by_line.loc[11, "dq"] == 4
    assert rec["age"].iloc[0] == 0.0  # written "000"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (None, {"F19Q10000006": "current", "F19Q10000007": "current"}),
        (
            "201907",
            {
                "F19Q10000002": "dpd90",
                "F19Q10000003": "dpd90",
                "F19Q10000004": "dpd60",
                "F19Q10000006": "dpd30",
                "F19Q10000007": "current",
            },
        ),
        ("201909", {"F19Q10000002": "reo", "F19Q10000006": "dpd90", "F19Q10000007": "current"}),
    ],
)
def test_tape_as_of_with_performance(as_of: str | None, expected: dict[str, str]) -> None:
    tape = read_freddie(ORIG31, PERF, as_of=as_of)
    assert dict(zip(tape["loan_id"], tape["delinquency_status"], strict=True)) == expected


def test_modified_loan_gets_modified_term_and_rate() -> None:
    tape = read_freddie(ORIG31, PERF).set_index("loan_id")
    f6 = tape.loc["F19Q10000006"]
    assert (f6.original_term, f6.loan_age, f6.remaining_term) == (480, 7, 473)
    assert f6.note_rate == 0.03 and f6.current_balance == 163100.0


def test_narrower_release_performance_file(tmp_path: Path) -> None:
    orig = tmp_path / "orig.txt"
    orig.write_text(
        "".join(
            line + "\n"
            for line in ORIG31.read_text().splitlines()
            if "F19Q1000000" in line and line.split("|")[19] in {"F19Q10000006", "F19Q10000007"}
        )
    )
    tape = read_freddie(orig, DATA / "svcg_26_fields.txt")
    assert tape["loan_id"].tolist() == ["F19Q10000006", "F19Q10000007"]
    assert tape["current_balance"].tolist() == [163100.0, 502000.0]


def test_trailing_pipe_and_crlf_are_read(tmp_path: Path) -> None:
    text = ORIG31.read_text().splitlines()
    o = tmp_path / "orig.txt"
    o.write_bytes("".join(line + "|\r\n" for line in text).encode())
    tape = read_freddie(o)
    assert len(tape) == 7 and tape["loan_id"].iloc[-1] == "F19Q10000007"


def test_bad_rows_are_problems_not_tracebacks(tmp_path: Path) -> None:
    lines = ORIG31.read_text().splitlines()
    lines[1] = lines[1].replace("|030|", "|3O|")  # MI % with a letter O, line 2
    lines[2] = lines[2].replace("|201904|N|", "|2019-04|N|")  # first payment date, line 3
    lines[4] = lines[4].replace("|CO|PU|", "|CO|TH|")  # property type TH, line 5
    lines.insert(5, "")  # blank line 6
    lines.append("751|201903|N|204902")  # 4 fields, line 9
    o = tmp_path / "orig.txt"
    o.write_text("\n".join(lines) + "\n")
    with pytest.raises(TapeValidationError) as info:
        read_freddie(o)
    got = [(p.row, p.field, p.value) for p in info.value.problems]
    assert got == [
        (2, "mi_percent", "3O"),
        (3, "first_payment_date", "2019-04"),
        (5, "property_type", "TH"),
        (6, None, None),
        (9, None, None),
    ]
    assert info.value.problems[-1] == Problem(str(o), 9, None, None, "has 4 fields; line 1 has 31")
    assert info.value.problems[2].rule == "must be one of SF, CO, PU, MH, CP, 99 (Property Type)"


def test_not_a_freddie_file_is_one_clear_problem(tmp_path: Path) -> None:
    csv = tmp_path / "tape.txt"
    csv.write_text("loan_id,balance\nA,100\n")
    with pytest.raises(TapeValidationError) as info:
        read_freddie(csv)
    assert "has 1 fields; this Freddie Mac layout has 22 to 32" in str(info.value)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(TapeValidationError, match="file is empty"):
        read_freddie(empty)


def test_small_chunks_give_the_same_tape() -> None:
    whole = read_freddie(ORIG31, PERF, as_of="201907")
    chunked = read_freddie(ORIG31, PERF, as_of="201907", chunk_rows=3)
    assert whole.equals(chunked)


def test_swapped_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(TapeValidationError, match="are the files swapped"):
        read_freddie(PERF, ORIG31)
    with pytest.raises(TapeValidationError, match="starts like a Freddie Mac origination line"):
        read_freddie(ORIG31, ORIG31)


def test_quotes_and_odd_bytes_in_names_are_kept(tmp_path: Path) -> None:
    lines = ORIG31.read_text().splitlines()
    lines[0] = lines[0].replace("|Other sellers|", '|"AMERICA\'S" LENDER, INC.|')
    o = tmp_path / "orig.txt"
    o.write_bytes(("\n".join(lines) + "\n").encode().replace(b"INC.", b"INC\xe9"))
    log = ProblemLog(5)
    rec = next(origination_records(o, log))
    assert not log.problems and rec["loan_id"].iloc[0] == "F19Q10000001"
    assert len(read_freddie(o)) == 7

"""Freddie Mac loan-level layout: a hand-composed fixture, problems with file/line, round trips.

The fixture lines below were composed for these tests following the field order
of the Single-Family Loan-Level Dataset General User Guide (origination file:
32 fields; monthly performance file: 32 fields); they are not dataset records.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trancheflow.errors import Problem, TapeError, TapeValidationError
from trancheflow.tape import generate_tape, read_freddie, write_freddie
from trancheflow.tape.freddie import ORIGINATION_FIELDS, PERFORMANCE_FIELDS

# credit|fpd|fthb|maturity|msa|mi|units|occ|cltv|dti|upb|ltv|rate|channel|ppm|amort|state|
# ptype|zip|loan|purpose|term|borrowers|seller|servicer|superconf|prerelief|program|relief|
# valuation|io|mi_cancel
ORIG = [
    "720|202001|N|204912|31084|0|1|P|80|36|300000|80|3.75|R|N|FRM|CA|SF|90200|F1|P|360|2"
    "|Other sellers|Other servicers|||9|N|2|N|9",
    "9999|202003|N|205002||0|2|I|75|999|150000|75|4.125|B|N|FRM|TX|PU|75000|F2|C|360|1"
    "|Other sellers|Other servicers|||9|N|9|Y|9",
    "760|202001|Y|203412||0|1|S|60|28|200000|60|3.5|C|N|FRM|FL|CO|33100|F3|N|180|2"
    "|Other sellers|Other servicers|||9|N|1|N|9",
    "680|201901|N|204812||25|1|P|95|45|250000|95|4.5|R|N|FRM|NY|SF|10000|F4|P|360|1"
    "|Other sellers|Other servicers|||9|N|2|N|9",
]
# loan|period|upb|dq|age|remaining|defect|mod|zbc|zb date|rate|non-int upb, then 20 empty fields
TAIL = "|" * 20
PERF = [
    "F1|202001|300000|0|0|360|||||3.75|0" + TAIL,
    "F1|202006|0|0|5|355|||||3.75|0" + TAIL,  # balance masked as 0 early in life
    "F1|202012|294012.34|1|11|349|||||3.75|0" + TAIL,
    "F2|202003|150000|0|0|360|||||4.125|0" + TAIL,
    "F2|202012|150000|3|9|351|||||4.125|0" + TAIL,
    "F3|202001|200000|0|0|180|||||3.5|0" + TAIL,
    "F3|202003|198000|0|2|178|||||3.5|0" + TAIL,
    "F3|202005|0|0|4|176||N|01|202005|3.5|0" + TAIL,  # prepaid in full
    "F4|202205|240000|0|40|350||Y|||3|0" + TAIL,  # modified: term extended, rate cut
]


def write(tmp_path: Path, orig: list[str], perf: list[str] | None) -> tuple[Path, Path | None]:
    o = tmp_path / "sample_orig_2020.txt"
    o.write_text("\n".join(orig) + "\n")
    if perf is None:
        return o, None
    p = tmp_path / "sample_svcg_2020.txt"
    p.write_text("\n".join(perf) + "\n")
    return o, p


def test_fixture_follows_the_layout() -> None:
    assert len(ORIGINATION_FIELDS) == 32 and len(PERFORMANCE_FIELDS) == 32
    assert all(line.count("|") == 31 for line in ORIG + PERF)
    assert ORIGINATION_FIELDS[19] == "loan_sequence_number"  # field 20 in the guide
    assert PERFORMANCE_FIELDS[4] == "loan_age"  # field 5 in the guide


def test_latest_record_mapping(tmp_path: Path) -> None:
    tape = read_freddie(*write(tmp_path, ORIG, PERF), servicing_fee=0.0025)
    assert tape["loan_id"].tolist() == ["F1", "F2", "F4"]  # F3 paid off: not outstanding
    f1, f2, f4 = (tape.iloc[i] for i in range(3))
    assert (f1.current_balance, f1.loan_age, f1.remaining_term) == (294012.34, 11, 349)
    assert f1.delinquency_status == "dpd30"
    assert f1.note_rate == 0.0375 and f1.net_rate == 0.035
    assert (f1.ltv, f1.cltv, f1.dti, f1.fico) == (0.8, 0.8, 0.36, 720.0)
    assert (f1.occupancy, f1.purpose, f1.property_type, f1.state) == (
        "owner", "purchase", "single_family", "CA",
    )  # fmt: skip
    assert f1.first_payment_date == pd.Timestamp("2020-01-01")
    # F2: 9999 / 999 are "not available"; two units; IO flag Y; 90+ days delinquent.
    assert np.isnan(f2.fico) and np.isnan(f2.dti)
    assert (f2.occupancy, f2.purpose, f2.property_type) == (
        "investor", "cash_out_refi", "two_to_four_unit",
    )  # fmt: skip
    assert (f2.amortization_type, f2.io_term) == ("interest_only", 120)
    assert f2.delinquency_status == "dpd90"
    # F4 was modified: its term is the modified one and its rate the current rate.
    assert (f4.original_term, f4.loan_age, f4.remaining_term) == (390, 40, 350)
    assert f4.note_rate == 0.03


def test_as_of_picks_record_and_unmasks_balance(tmp_path: Path) -> None:
    files = write(tmp_path, ORIG, PERF)
    tape = read_freddie(*files, as_of=date(2020, 6, 30))
    assert tape["loan_id"].tolist() == ["F1", "F2"]  # F3 paid off in May, F4 not reporting yet
    f1 = tape.iloc[0]
    assert (f1.loan_age, f1.remaining_term) == (5, 355)
    # Independent annuity formula: B_k = P(1+r)^k - A((1+r)^k - 1)/r.
    p, r, k = 300000.0, 0.0375 / 12, 5
    a = p * r / (1 - (1 + r) ** -360)
    expected = p * (1 + r) ** k - a * ((1 + r) ** k - 1) / r
    assert f1.current_balance == pytest.approx(expected, abs=0.01)
    march = read_freddie(*files, as_of="202003")
    assert march["loan_id"].tolist() == ["F1", "F2", "F3"]
    f3 = march.iloc[2]
    assert (f3.current_balance, f3.loan_age, f3.occupancy, f3.purpose) == (
        198000.0, 2, "second_home", "rate_term_refi",
    )  # fmt: skip


def test_without_performance_file_tape_is_at_origination(tmp_path: Path) -> None:
    tape = read_freddie(write(tmp_path, ORIG, None)[0])
    assert tape["loan_age"].tolist() == [0, 0, 0, 0]
    assert tape["current_balance"].tolist() == tape["original_balance"].tolist()
    assert tape["remaining_term"].tolist() == [360, 360, 180, 360]


def test_problems_name_file_and_line(tmp_path: Path) -> None:
    orig = list(ORIG)
    orig[1] = orig[1].replace("|I|75|", "|Q|75|")  # unknown occupancy code, line 2
    orig[0] = orig[0].replace("|300000|80|", "|300000|8000|")  # LTV 8000%, line 1
    orig[3] = orig[3].replace("|FRM|NY|", "|ARM|NY|")  # line 4
    perf = list(PERF)
    perf[2] = perf[2].replace("294012.34", "n/a")  # perf line 3 is F1's latest record
    perf[4] = perf[4].replace("|3|9|", "|Z|9|")  # line 5
    perf.append("F9|202012|1000|0|1|359|||||3|0" + TAIL)  # line 10: no origination record
    o, p = write(tmp_path, orig, perf)
    with pytest.raises(TapeValidationError) as info:
        read_freddie(o, p, as_of="202012")
    got = {(pr.file, pr.row, pr.field, pr.value, pr.rule) for pr in info.value.problems}
    assert got == {
        (str(o), 2, "occupancy_status", "Q", "must be one of P, I, S, 9 (Occupancy Status)"),
        (str(o), 1, "ltv", 80.0, "must be > 0 and <= 2 (a decimal: 0.065, not 6.5)"),
        (str(o), 4, "amortization_type", "ARM", "must be FRM (the tape holds fixed-rate loans)"),
        (str(p), 3, "current_actual_upb", "n/a", "must be a number (Current Actual UPB)"),
        (str(p), 5, "current_loan_delinquency_status", "Z",
         "must be months delinquent 0-999, RA (REO acquisition) or XX (unknown)"),
        (str(p), 10, "loan_sequence_number", "F9", f"has no record in {o}"),
    }  # fmt: skip


def test_wrong_field_count_is_a_line_problem(tmp_path: Path) -> None:
    orig = [*ORIG[:2], ORIG[2] + "|extra", ORIG[3]]
    o, p = write(tmp_path, orig, PERF)
    with pytest.raises(TapeValidationError) as info:
        read_freddie(o, p)
    assert info.value.problems == [Problem(str(o), 3, None, None, "has 33 fields; line 1 has 32")]


def test_loan_missing_from_performance_file(tmp_path: Path) -> None:
    o, p = write(tmp_path, ORIG, [line for line in PERF if not line.startswith("F2|")])
    with pytest.raises(TapeValidationError) as info:
        read_freddie(o, p)
    assert info.value.problems == [
        Problem(str(o), 2, "loan_sequence_number", "F2", f"has no record in {p}")
    ]


def test_missing_file_and_bad_as_of(tmp_path: Path) -> None:
    with pytest.raises(TapeError, match="no such Freddie Mac file"):
        read_freddie(tmp_path / "absent.txt")
    o, p = write(tmp_path, ORIG, PERF)
    with pytest.raises(TapeError, match="YYYYMM"):
        read_freddie(o, p, as_of="2020-13")


def test_generated_tape_round_trips(tmp_path: Path) -> None:
    tape = generate_tape(400, seed=5, freddie_compatible=True)
    o, p = tmp_path / "o.txt", tmp_path / "p.txt"
    write_freddie(tape, o, p)
    back = read_freddie(o, p, servicing_fee=0.004)
    carried = [c for c in tape.columns if c not in {"servicing_fee", "net_rate", "property_value"}]
    pd.testing.assert_frame_equal(back[carried], tape[carried])
    assert (back["servicing_fee"] == 0.004).all()
    assert "property_value" not in back


def test_hand_fixture_round_trips_through_writer(tmp_path: Path) -> None:
    tape = read_freddie(*write(tmp_path, ORIG, PERF), servicing_fee=0.0025)
    o, p = tmp_path / "o2.txt", tmp_path / "p2.txt"
    write_freddie(tape, o, p)
    pd.testing.assert_frame_equal(read_freddie(o, p, servicing_fee=0.0025), tape)


def test_writer_refuses_what_the_layout_cannot_carry(tmp_path: Path) -> None:
    tape = generate_tape(300, seed=1, balloon_share=0.1)
    with pytest.raises(TapeError, match=r"cannot carry balloon loans: \d+ loan\(s\), e\.g\. TF"):
        write_freddie(tape, tmp_path / "o.txt", tmp_path / "p.txt")
    assert list(tmp_path.iterdir()) == []
    tape = generate_tape(300, seed=1, balloon_share=0.0, io_share=0.2)
    tape["delinquency_status"] = "current"
    with pytest.raises(TapeError, match="120-month IO period"):
        write_freddie(tape, tmp_path / "o.txt", tmp_path / "p.txt")
    fc = generate_tape(300, seed=1, freddie_compatible=True)
    fc.loc[0, "delinquency_status"] = "foreclosure"
    with pytest.raises(TapeError, match="foreclosure status"):
        write_freddie(fc, tmp_path / "o.txt", tmp_path / "p.txt")

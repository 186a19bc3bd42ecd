"""validate_tape: one broken tape per rule, exact (file, row, field, rule); all problems; cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trancheflow.errors import Problem, TapeValidationError
from trancheflow.tape import validate_tape

SRC = "tape.csv"


def problems_of(df: pd.DataFrame, **kw: object) -> list[Problem]:
    with pytest.raises(TapeValidationError) as info:
        validate_tape(df, source=SRC, **kw)  # type: ignore[arg-type]
    return info.value.problems


def test_base_tape_is_valid_and_normalised(base: pd.DataFrame) -> None:
    tape = validate_tape(base)
    assert tape["original_term"].dtype == np.int64
    assert tape["note_rate"].dtype == np.float64
    assert tape["first_payment_date"].dtype.kind == "M"
    assert tape["current_balance"].tolist() == [190000.0, 400000.0, 140000.5]
    assert tape["io_term"].tolist() == [0, 120, 0]


def test_net_rate_filled_from_servicing_fee_and_back(base: pd.DataFrame) -> None:
    no_net = validate_tape(base.drop(columns="net_rate"))
    assert no_net["net_rate"].tolist() == [0.0575, 0.06, 0.065]
    no_fee = validate_tape(base.drop(columns="servicing_fee"))
    assert no_fee["servicing_fee"].tolist() == [0.0025, 0.005, 0.005]


def test_optional_columns_may_be_absent_and_terms_default_to_zero(base: pd.DataFrame) -> None:
    minimal = base[base["amortization_type"] == "level_pay"][
        ["loan_id", "original_balance", "current_balance", "note_rate", "servicing_fee",
         "original_term", "loan_age", "remaining_term", "amortization_type"]
    ]  # fmt: skip
    tape = validate_tape(minimal)
    assert tape["io_term"].tolist() == [0]
    assert tape["balloon_term"].tolist() == [0]
    assert "fico" not in tape


def test_optional_values_may_be_empty(base: pd.DataFrame) -> None:
    base.loc[0, ["fico", "ltv", "state", "first_payment_date"]] = [None, "", " ", None]
    tape = validate_tape(base)
    assert np.isnan(tape.loc[0, "fico"]) and np.isnan(tape.loc[0, "ltv"])
    assert tape.loc[0, "state"] is None


@pytest.mark.parametrize(
    ("row", "field", "value", "rule"),
    [
        (0, "current_balance", "", "required value is missing"),
        (1, "note_rate", "abc", "must be a number"),
        (2, "original_balance", "1,000", "must be a number"),
        (0, "original_term", "30y", "must be a number"),
        (0, "loan_age", "12.5", "must be a whole number of months"),
        (0, "original_term", "0", "must be > 0 and <= 600"),
        (0, "original_term", "-360", "must be > 0 and <= 600"),
        (1, "remaining_term", "0", "must be > 0 and <= 600"),
        (1, "note_rate", "6.5", "must be >= 0 and <= 0.25 (a decimal: 0.065, not 6.5)"),
        (0, "note_rate", "-0.01", "must be >= 0 and <= 0.25 (a decimal: 0.065, not 6.5)"),
        (0, "original_balance", "0", "must be > 0 and <= 1e+08"),
        (2, "fico", "900", "must be >= 300 and <= 850"),
        (2, "fico", "250", "must be >= 300 and <= 850"),
        (0, "ltv", "80", "must be > 0 and <= 2 (a decimal: 0.065, not 6.5)"),
        (1, "dti", "1.5", "must be >= 0 and <= 1 (a decimal: 0.065, not 6.5)"),
        (0, "occupancy", "Owner", "must be one of investor, owner, second_home"),
        (1, "amortization_type", "arm", "must be one of balloon, interest_only, level_pay"),
        (0, "delinquency_status", "late", "must be one of current, dpd120plus, dpd30, dpd60, "
         "dpd90, foreclosure, reo"),
        (2, "state", "XX", "must be one of " + ", ".join(sorted(
            __import__("trancheflow.tape.schema", fromlist=["US_STATES"]).US_STATES))),
        (0, "first_payment_date", "2024-13-01", "must be a date (YYYY-MM-DD)"),
    ],
)  # fmt: skip
def test_value_rules(base: pd.DataFrame, row: int, field: str, value: str, rule: str) -> None:
    base.loc[row, field] = value
    problems = problems_of(base)
    assert problems == [Problem(SRC, row + 1, field, value or None, rule)]


def test_missing_required_columns_are_all_reported(base: pd.DataFrame) -> None:
    problems = problems_of(base.drop(columns=["note_rate", "loan_age"]))
    assert problems == [
        Problem(SRC, None, "note_rate", None, "required column is missing"),
        Problem(SRC, None, "loan_age", None, "required column is missing"),
    ]


def test_empty_tape(base: pd.DataFrame) -> None:
    assert problems_of(base.iloc[:0]) == [Problem(SRC, None, None, None, "tape has no loans")]


def test_remaining_term_above_original_term(base: pd.DataFrame) -> None:
    base.loc[0, ["original_term", "loan_age", "remaining_term"]] = ["180", "0", "200"]
    assert problems_of(base) == [
        Problem(SRC, 1, "remaining_term", "200", "must not exceed original_term (180)")
    ]


def test_age_plus_remaining_must_match_term_within_tolerance(base: pd.DataFrame) -> None:
    base.loc[0, "remaining_term"] = "345"  # 12 + 345 = 357: 3 months short, tolerated
    validate_tape(base)
    base.loc[0, "remaining_term"] = "300"
    assert problems_of(base) == [
        Problem(SRC, 1, "remaining_term", "300",
                "plus loan_age (12) must equal original_term (360) within 3 months")
    ]  # fmt: skip
    base.loc[0, "remaining_term"] = "345"
    assert problems_of(base, term_tolerance=0)[0].rule.endswith("within 0 months")


def test_net_rate_above_note_rate(base: pd.DataFrame) -> None:
    base.loc[1, ["net_rate", "servicing_fee"]] = ["0.07", None]
    assert problems_of(base) == [
        Problem(SRC, 2, "net_rate", "0.07", "must not exceed note_rate (0.065)")
    ]


def test_servicing_fee_must_match_note_minus_net(base: pd.DataFrame) -> None:
    base.loc[0, "servicing_fee"] = "0.005"
    assert problems_of(base) == [
        Problem(SRC, 1, "servicing_fee", "0.005", "must equal note_rate - net_rate (0.0025)")
    ]


def test_net_rate_or_servicing_fee_required(base: pd.DataFrame) -> None:
    base.loc[2, ["net_rate", "servicing_fee"]] = ["", None]
    assert problems_of(base) == [
        Problem(SRC, 3, "net_rate", None, "or servicing_fee is required (one fills the other)")
    ]


def test_duplicate_loan_id_names_first_row(base: pd.DataFrame) -> None:
    base.loc[2, "loan_id"] = "L1"
    assert problems_of(base) == [Problem(SRC, 3, "loan_id", "L1", "duplicates row 1")]


def test_current_above_original_balance_on_level_pay(base: pd.DataFrame) -> None:
    base.loc[0, "current_balance"] = "200000.01"
    assert problems_of(base) == [
        Problem(SRC, 1, "current_balance", "200000.01",
                "must not exceed original_balance (200000) on a level_pay loan")
    ]  # fmt: skip


def test_io_term_only_on_interest_only_loans(base: pd.DataFrame) -> None:
    base.loc[0, "io_term"] = "60"
    base.loc[1, "io_term"] = "0"
    assert problems_of(base) == [
        Problem(SRC, 1, "io_term", "60",
                "must be 0 on a level_pay loan (only interest_only loans)"),
        Problem(SRC, 2, "io_term", "0",
                "must be > 0 and < original_term (360) on an interest_only loan"),
    ]  # fmt: skip


def test_interest_only_loan_needs_io_term_column(base: pd.DataFrame) -> None:
    problems = problems_of(base.drop(columns="io_term"))
    assert [(p.row, p.field) for p in problems] == [(2, "io_term")]


def test_balloon_term_only_on_balloon_loans_and_after_loan_age(base: pd.DataFrame) -> None:
    base.loc[0, "balloon_term"] = "84"
    base.loc[2, "balloon_term"] = "30"  # loan_age is 30: the balloon is already due
    assert problems_of(base) == [
        Problem(SRC, 1, "balloon_term", "84", "must be 0 on a level_pay loan (only balloon loans)"),
        Problem(SRC, 3, "balloon_term", "30",
                "must be > loan_age (30) and <= original_term (360) on a balloon loan"),
    ]  # fmt: skip


def test_cltv_below_ltv(base: pd.DataFrame) -> None:
    base.loc[0, "cltv"] = "0.75"
    assert problems_of(base) == [Problem(SRC, 1, "cltv", "0.75", "must not be below ltv (0.8)")]


def test_all_problems_reported_in_row_then_column_order(base: pd.DataFrame) -> None:
    base.loc[2, "note_rate"] = "x"
    base.loc[0, "fico"] = "9999"
    base.loc[0, "original_balance"] = "-5"
    base.loc[1, "occupancy"] = "rental"
    problems = problems_of(base)
    assert [(p.row, p.field) for p in problems] == [
        (1, "original_balance"), (1, "fico"), (2, "occupancy"), (3, "note_rate"),
    ]  # fmt: skip


def test_typed_values_are_checked_too(base: pd.DataFrame) -> None:
    typed = validate_tape(base)
    typed.loc[1, "fico"] = 10.0
    typed["loan_age"] = typed["loan_age"].astype(object)
    typed.loc[0, "loan_age"] = True  # a bool is not a number of months
    problems = problems_of(typed)
    assert [(p.row, p.field, p.value) for p in problems] == [
        (1, "loan_age", True),
        (2, "fico", 10.0),
    ]


def test_cap_truncates_and_flags(base: pd.DataFrame) -> None:
    big = pd.concat([base] * 4, ignore_index=True)
    big["loan_id"] = [f"L{i}" for i in range(len(big))]
    big["fico"] = "1000"  # 12 problems
    with pytest.raises(TapeValidationError) as info:
        validate_tape(big, source=SRC, max_problems=5)
    assert [p.row for p in info.value.problems] == [1, 2, 3, 4, 5]
    assert info.value.truncated
    assert "cap reached" in str(info.value)
    with pytest.raises(TapeValidationError) as info:
        validate_tape(big, source=SRC, max_problems=12)
    assert len(info.value.problems) == 12 and not info.value.truncated


def test_locate_maps_rows_to_files(base: pd.DataFrame) -> None:
    base.loc[1, "fico"] = "1"

    def locate(i: int, field: str | None) -> tuple[str, int]:
        return ("other.txt", 100 + i)

    problems = problems_of(base, locate=locate)
    assert (problems[0].file, problems[0].row) == ("other.txt", 101)

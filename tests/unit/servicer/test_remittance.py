"""Remittance files: a good file reconciles; each bad one is rejected with file/row/field/rule.

The good files are SIMULATED (:mod:`trancheflow.servicer.simulate`) from a
generated tape; each bad file is a good one with one defect written in, and
the test asserts the exact row and field the reader must name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.errors import RemittanceError
from trancheflow.servicer.read import read_remittance
from trancheflow.servicer.reconcile import LoanBook, reconcile
from trancheflow.servicer.report import build_report
from trancheflow.servicer.simulate import simulate_remittances
from trancheflow.tape.generate import generate_tape

DEC = 6


@pytest.fixture(scope="module")
def tape() -> pd.DataFrame:
    return generate_tape(8, seed=11)


@pytest.fixture(scope="module")
def frames(tape: pd.DataFrame) -> list[pd.DataFrame]:
    return simulate_remittances(tape, 6, prepay="CPR 30", default="CDR 30", recovery_lag=3, seed=5)


def _book(tape: pd.DataFrame) -> LoanBook:
    from trancheflow.units import to_units

    return LoanBook(
        tuple(str(x) for x in tape["loan_id"]),
        tuple(to_units(x, DEC) for x in tape["current_balance"]),
    )


def _write(df: pd.DataFrame, tmp_path: Path, name: str = "r.csv") -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def _problems(path: Path, book: LoanBook, period: int = 1) -> list[tuple[int | None, str | None]]:
    with pytest.raises(RemittanceError) as exc:
        reconcile(read_remittance(path, DEC), book, period, str(path))
    assert all(p.file == str(path) for p in exc.value.problems)
    return [(p.row, p.field) for p in exc.value.problems]


def test_every_simulated_period_reconciles_and_rolls_the_pool(
    tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    book = _book(tape)
    for t, df in enumerate(frames, start=1):
        done = reconcile(read_remittance(_write(df, tmp_path), DEC), book, t, "f")
        r = build_report(done)
        principal = r.scheduled_principal + r.prepayments + r.recoveries
        assert book.total - principal - r.losses == done.book.total
        assert r.loans_root == done.book.root()
        book = done.book


def test_missing_loan(tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path) -> None:
    df = frames[0].drop(index=3)
    probs = _problems(_write(df, tmp_path), _book(tape))
    assert probs == [(None, "loan_id")]


def test_extra_loan(tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path) -> None:
    extra = frames[0].iloc[[0]].assign(loan_id="NOT-IN-TAPE")
    df = pd.concat([frames[0], extra], ignore_index=True)
    with pytest.raises(RemittanceError) as exc:
        path = _write(df, tmp_path)
        reconcile(read_remittance(path, DEC), _book(tape), 1, str(path))
    (p,) = exc.value.problems
    assert (p.row, p.field, p.value) == (len(df), "loan_id", "NOT-IN-TAPE")
    assert "not a loan of the deal's tape" in p.rule


def test_balance_off_by_one_cent(
    tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    df = frames[0].copy()
    end = df.at[2, "ending_balance"]
    cents = int(end.replace(".", "")) + 1
    df.at[2, "ending_balance"] = f"{cents // 100}.{cents % 100:02d}"
    with pytest.raises(RemittanceError) as exc:
        path = _write(df, tmp_path)
        reconcile(read_remittance(path, DEC), _book(tape), 1, str(path))
    (p,) = exc.value.problems
    assert (p.row, p.field) == (3, "ending_balance")
    assert "does not roll forward" in p.rule and "off by 10000 units" in p.rule


def test_negative_amount(tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path) -> None:
    df = frames[0].copy()
    df.at[4, "curtailment"] = "-5.00"
    probs = _problems(_write(df, tmp_path), _book(tape))
    assert probs == [(5, "curtailment")]


def test_unknown_status(tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path) -> None:
    df = frames[0].copy()
    df.at[0, "delinquency_status"] = "late-ish"
    with pytest.raises(RemittanceError) as exc:
        read_remittance(_write(df, tmp_path), DEC)
    (p,) = exc.value.problems
    assert (p.row, p.field, p.value) == (1, "delinquency_status", "late-ish")
    assert "is not a status" in p.rule


def test_duplicate_loan_id(tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path) -> None:
    df = pd.concat([frames[0], frames[0].iloc[[1]]], ignore_index=True)
    with pytest.raises(RemittanceError) as exc:
        read_remittance(_write(df, tmp_path), DEC)
    (p,) = exc.value.problems
    assert (p.row, p.field) == (len(df), "loan_id")
    assert "duplicate loan id (first at row 2)" in p.rule


def test_every_problem_is_listed_and_capped(
    tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    df = frames[0].copy()
    df["interest_collected"] = "x"
    path = _write(df, tmp_path)
    with pytest.raises(RemittanceError) as exc:
        read_remittance(path, DEC)
    assert [p.row for p in exc.value.problems] == list(range(1, len(df) + 1))
    with pytest.raises(RemittanceError) as exc:
        read_remittance(path, DEC, cap=3)
    assert len(exc.value.problems) == 3 and exc.value.truncated
    assert "cap reached" in str(exc.value)


def test_more_decimals_than_the_token_and_missing_column(
    frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    df = frames[0].copy()
    df.at[0, "payoff"] = "0.001"
    with pytest.raises(RemittanceError) as exc:
        read_remittance(_write(df, tmp_path), 2)
    assert [(p.row, p.field) for p in exc.value.problems] == [(1, "payoff")]
    with pytest.raises(RemittanceError) as exc:
        read_remittance(_write(frames[0].drop(columns="realized_loss"), tmp_path), DEC)
    assert [(p.row, p.field) for p in exc.value.problems] == [(None, "realized_loss")]


def test_wrong_beginning_balance_and_period(
    tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    # period 2's file checked as period 1: beginning balances and period both wrong
    probs = _problems(_write(frames[1], tmp_path), _book(tape), period=1)
    fields = {f for _, f in probs}
    assert {"period", "beginning_balance"} <= fields


def test_status_and_amount_rules(
    tape: pd.DataFrame, frames: list[pd.DataFrame], tmp_path: Path
) -> None:
    df = frames[0].copy()
    row = df.iloc[0]
    beg = row["beginning_balance"]
    # a payoff of the whole balance reported as 'current': the status must say paid_off
    df.loc[0, ["principal_collected", "curtailment", "payoff", "ending_balance"]] = [
        "0.00",
        "0.00",
        beg,
        "0.00",
    ]
    probs = _problems(_write(df, tmp_path), _book(tape))
    assert probs == [(1, "delinquency_status"), (1, "payoff")]


def test_parquet_matches_csv(frames: list[pd.DataFrame], tmp_path: Path) -> None:
    df = frames[0]
    pq = tmp_path / "r.parquet"
    df.to_parquet(pq, index=False)
    assert read_remittance(pq, DEC) == read_remittance(_write(df, tmp_path), DEC)


@settings(max_examples=40, deadline=None)
@given(
    cents=st.lists(st.integers(0, 10**12), min_size=5, max_size=5),
    loss=st.integers(0, 10**9),
)
def test_rollforward_is_exact(cents: list[int], loss: int) -> None:
    from trancheflow.servicer.schema import RemittanceRecord

    prin, curt, payoff, proceeds, interest = cents
    beg = prin + curt + payoff + proceeds + loss + 1
    book = LoanBook(("L",), (beg,))

    def rec(end: int) -> RemittanceRecord:
        status = "liquidated" if end == 0 else "current"
        return RemittanceRecord(
            1,
            "L",
            1,
            beg,
            prin,
            prin,
            curt,
            payoff,
            interest,
            proceeds,
            loss,
            end,
            status,
            "principal_forgiveness",
        )

    if payoff == 0 and proceeds == 0:
        done = reconcile([rec(1)], book, 1, "f")
        assert done.book.balances == (1,)
    with pytest.raises(RemittanceError):
        reconcile([rec(2)], book, 1, "f")

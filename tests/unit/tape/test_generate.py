"""generate_tape: reproducibility, validity, distribution sanity, speed, property tests."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.tape import (
    generate_tape,
    read_freddie,
    read_tape,
    validate_tape,
    write_freddie,
    write_tape,
)


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    return generate_tape(20_000, seed=42)


def test_reproducible_and_seed_sensitive() -> None:
    a = generate_tape(500, seed=9, as_of=date(2024, 3, 1))
    pd.testing.assert_frame_equal(a, generate_tape(500, seed=9, as_of=date(2024, 3, 1)))
    assert not a.equals(generate_tape(500, seed=10, as_of=date(2024, 3, 1)))


def test_output_is_already_normalised(pool: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(validate_tape(pool), pool)


def test_fico_and_ltv_negatively_correlated(pool: pd.DataFrame) -> None:
    assert -0.5 < pool["fico"].corr(pool["ltv"]) < -0.2


def test_wac_wala_and_balances_plausible(pool: pd.DataFrame) -> None:
    bal = pool["current_balance"]
    wac = (pool["note_rate"] * bal).sum() / bal.sum()
    wala = (pool["loan_age"] * bal).sum() / bal.sum()
    assert 0.035 < wac < 0.075
    assert 12 < wala < 60
    assert (bal <= pool["original_balance"]).all()
    assert 200_000 < pool["original_balance"].median() < 400_000


def test_rate_rises_with_credit_risk_and_follows_vintage(pool: pd.DataFrame) -> None:
    level30 = pool[(pool["original_term"] == 360) & (pool["amortization_type"] == "level_pay")]
    year = level30["first_payment_date"].dt.year
    same = level30[year == 2023]
    assert (
        same[same["fico"] < 680]["note_rate"].mean()
        > same[same["fico"] > 780]["note_rate"].mean() + 0.002
    )
    assert same[same["ltv"] > 0.9]["note_rate"].mean() > same[same["ltv"] < 0.7]["note_rate"].mean()
    # 2021 was a low-rate year, 2023 a high-rate one (PMMS annual averages).
    assert level30[year == 2021]["note_rate"].mean() + 0.02 < same["note_rate"].mean()


def test_mix_of_products_states_fees_and_status(pool: pd.DataFrame) -> None:
    n = len(pool)
    share = pool["amortization_type"].value_counts() / n
    assert share["level_pay"] > 0.9
    assert 0.02 < share["interest_only"] < 0.04 and 0.01 < share["balloon"] < 0.03
    terms = pool["original_term"].value_counts() / n
    assert terms[360] > 0.75 and 0.08 < terms[180] < 0.2
    states = pool["state"].value_counts()
    assert states.index[0] == "CA" and set(states.index[:3]) == {"CA", "TX", "FL"}
    assert pool["servicing_fee"].between(0.0025, 0.005).all()
    assert (pool["delinquency_status"] == "current").mean() > 0.93
    assert (pool["cltv"] >= pool["ltv"]).all()


def test_freddie_compatible_has_no_unrepresentable_loans() -> None:
    t = generate_tape(5000, seed=3, freddie_compatible=True, io_share=0.1)
    assert not (t["amortization_type"] == "balloon").any()
    assert set(t.loc[t["amortization_type"] == "interest_only", "io_term"]) == {120}
    assert not (t["delinquency_status"] == "foreclosure").any()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_loans"):
        generate_tape(0)
    with pytest.raises(ValueError, match="io_share"):
        generate_tape(10, io_share=0.7, balloon_share=0.5)


def test_hundred_thousand_loans_validate() -> None:
    # Speed is measured in bench/, never asserted here; this checks scale only.
    t = generate_tape(100_000, seed=1)
    assert len(t) == 100_000
    assert t["loan_id"].is_unique
    validate_tape(t)


@settings(max_examples=30)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    as_of=st.dates(date(1995, 1, 1), date(2040, 12, 1)),
    io_share=st.floats(0, 0.5),
    balloon_share=st.floats(0, 0.5),
)
def test_any_generated_tape_validates_and_round_trips(
    n: int, seed: int, as_of: date, io_share: float, balloon_share: float
) -> None:
    tape = generate_tape(n, seed=seed, as_of=as_of, io_share=io_share, balloon_share=balloon_share)
    validate_tape(tape)
    with tempfile.TemporaryDirectory() as d:
        for name in ("t.csv", "t.parquet"):
            write_tape(tape, Path(d) / name)
            pd.testing.assert_frame_equal(read_tape(Path(d) / name), tape)


@settings(max_examples=30)
@given(n=st.integers(1, 30), seed=st.integers(0, 2**32 - 1), io_share=st.floats(0, 1))
def test_any_freddie_compatible_tape_round_trips(n: int, seed: int, io_share: float) -> None:
    tape = generate_tape(n, seed=seed, io_share=io_share, freddie_compatible=True)
    with tempfile.TemporaryDirectory() as d:
        o, p = Path(d) / "o.txt", Path(d) / "p.txt"
        write_freddie(tape, o, p)
        back = read_freddie(o, p)
    carried = [c for c in tape.columns if c not in {"servicing_fee", "net_rate", "property_value"}]
    pd.testing.assert_frame_equal(back[carried], tape[carried])
    assert np.allclose(back["net_rate"], back["note_rate"] - 0.0025)

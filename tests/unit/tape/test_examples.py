"""The sample tapes shipped in examples/tapes/ read back as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from trancheflow.errors import TapeValidationError
from trancheflow.tape import generate_tape, read_freddie, read_tape

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "tapes"


def test_samples_are_the_documented_generator_output() -> None:
    assert read_tape(EXAMPLES / "sample_200.csv").equals(generate_tape(200, seed=1))
    assert read_tape(EXAMPLES / "sample_1000.parquet").equals(generate_tape(1000, seed=2))
    fm = read_freddie(EXAMPLES / "freddie_100_orig.txt", EXAMPLES / "freddie_100_svcg.txt")
    assert fm["loan_id"].tolist() == generate_tape(100, seed=3)["loan_id"].tolist()


def test_broken_sample_has_one_problem_per_row() -> None:
    with pytest.raises(TapeValidationError) as info:
        read_tape(EXAMPLES / "broken.csv")
    assert [p.row for p in info.value.problems] == [2, 3, 4, 5, 6]

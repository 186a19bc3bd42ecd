"""Money to token units: exact decimals, one rounding rule (issue 16)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.errors import SpecError, UnitsError
from trancheflow.units import from_units, sum_units, to_units, to_units_array


def _cent_tape(tmp_path: Path, n: int = 5000, seed: int = 11) -> tuple[Path, int]:
    """A generated tape whose balances are rewritten as random cent values."""
    from trancheflow.tape.generate import generate_tape

    tape = generate_tape(n, seed=seed)
    rng = np.random.default_rng(seed)
    cents = rng.integers(5_000_00, 700_000_00, size=n)
    text = [f"{c // 100}.{c % 100:02d}" for c in cents]
    tape["current_balance"] = [float(t) for t in text]
    tape["original_balance"] = np.maximum(tape["original_balance"], tape["current_balance"] + 1)
    tape["property_value"] = np.maximum(tape["property_value"], tape["original_balance"] * 1.5)
    path = tmp_path / "cents.csv"
    tape.to_csv(path, index=False)
    # independent total: integer cents, never through floats
    return path, int(cents.sum())


def test_cent_tape_keeps_every_unit(tmp_path: Path) -> None:
    from trancheflow.tape.io import read_tape

    path, cents = _cent_tape(tmp_path)
    bal = read_tape(path)["current_balance"].to_numpy()
    lost = int(np.sum(np.floor(bal * 100) != np.rint(bal * 100)))
    assert lost > 0  # the float floor this replaces does lose units on this tape
    assert sum_units(bal, 2) == cents
    assert sum_units(bal, 6) == cents * 10**4


def _spec(tape: Path, total: str) -> object:
    from trancheflow.deal.spec import DealSpec

    return DealSpec.model_validate(
        {
            "deal": "CENTS-1",
            "currency": {"symbol": "USDC", "decimals": 6},
            "collateral": {"tape": str(tape)},
            "assumptions": {"prepay": "PSA 100", "default": "SDA 0"},
            "tranches": [
                {"name": "A", "balance": float(total), "coupon": 0.04},
                {"name": "R", "residual": True},
            ],
        }
    )


def test_spec_sized_to_validated_total_is_accepted(tmp_path: Path) -> None:
    from trancheflow.deal.run import check_deal

    path, cents = _cent_tape(tmp_path)
    total = f"{cents // 100}.{cents % 100:02d}"  # what `tape validate` prints, unformatted
    _, _, units = check_deal(_spec(path, total))  # type: ignore[arg-type]
    assert units == cents * 10**4
    over = f"{(cents + 1) // 100}.{(cents + 1) % 100:02d}"
    with pytest.raises(SpecError, match="above the collateral balance"):
        check_deal(_spec(path, over))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "decimals", "units"),
    [(0.29, 2, 29), (1.13, 2, 113), (4.35, 2, 435), ("0.0000019", 6, 1), (-0.015, 2, -2)],
)
def test_to_units_known(amount: object, decimals: int, units: int) -> None:
    assert to_units(amount, decimals) == units  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf, "abc", True, None])
def test_to_units_rejects(bad: object) -> None:
    with pytest.raises(UnitsError):
        to_units(bad, 2)  # type: ignore[arg-type]


def test_decimals_checked() -> None:
    with pytest.raises(UnitsError, match="decimals"):
        to_units(1, 19)


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=2, max_value=18))
def test_cents_round_trip(cents: int, decimals: int) -> None:
    amount = float(f"{cents // 100}.{cents % 100:02d}")
    u = to_units(amount, decimals)
    assert u == cents * 10 ** (decimals - 2)
    assert from_units(u, decimals) == Decimal(cents).scaleb(-2)


@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=6), max_size=20))
def test_array_matches_scalar(values: list[Decimal]) -> None:
    assert to_units_array(values, 6) == [int(v.scaleb(6)) for v in values]

"""Spec inputs that used to be accepted silently (issue 15) and the payment delay (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trancheflow.analytics.conventions import AGENCY_PAYMENT_DELAYS, DEFAULT_PAYMENT_DELAY_DAYS
from trancheflow.deal.onchain import spec_hash
from trancheflow.deal.spec import DealSpec, load_spec
from trancheflow.errors import SpecError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples/deals/example.yaml"


def _data() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("reserve", {"target": 0.01, "floor": 1e30}, "reserve.floor"),
        ("reserve", {"target": 0.01, "floor": 5e8}, "above the collateral balance"),
        ("payment_delay_days", -5, "payment_delay_days"),
        ("payment_delay_days", "FNMB", "FNMA"),
    ],
)
def test_rejected(key: str, value: object, needle: str) -> None:
    with pytest.raises(SpecError, match=needle):
        DealSpec.model_validate({**_data(), key: value})


def test_duplicate_keys_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(EXAMPLE.read_text() + "fees: []\n")  # the example already has fees
    with pytest.raises(SpecError, match=r"line \d+: duplicate key 'fees' \(first on line \d+\)"):
        load_spec(path)


@pytest.mark.parametrize(
    ("value", "days"),
    [(None, DEFAULT_PAYMENT_DELAY_DAYS), ("GNMA II", 19), ("gnma_i", 14), (0, 0), (44, 44)],
)
def test_payment_delay(value: object, days: int) -> None:
    data = _data() if value is None else {**_data(), "payment_delay_days": value}
    assert DealSpec.model_validate(data).delay_days == days


def test_agency_table_is_stated_delay_less_31() -> None:
    stated = {"FNMA": 55, "UMBS": 55, "FHLMC_GOLD": 45, "FHLMC_NON_GOLD": 75, "FHLMC_75": 75}
    stated |= {"GNMA_I": 45, "GNMA_II": 50}
    assert {k: v - 31 for k, v in stated.items()} == AGENCY_PAYMENT_DELAYS


def test_delay_key_leaves_old_spec_hashes_alone() -> None:
    base = DealSpec.model_validate(_data())
    same = DealSpec.model_validate({**_data(), "payment_delay_days": None})
    other = DealSpec.model_validate({**_data(), "payment_delay_days": 14})
    assert spec_hash(base) == spec_hash(same) != spec_hash(other)

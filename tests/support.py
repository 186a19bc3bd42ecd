"""Test data shared by several suites (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"


def credit_spec(name: str) -> dict[str, Any]:
    """The shared credit-exposed test deal (``data/credit_deal.yaml``) named ``name``."""
    spec = yaml.safe_load((DATA / "credit_deal.yaml").read_text())
    spec["deal"] = name
    return spec

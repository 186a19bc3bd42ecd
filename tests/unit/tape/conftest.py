"""Shared fixtures for the tape tests: a small valid tape written as text, like a CSV."""

from __future__ import annotations

import pandas as pd
import pytest

BASE_ROWS = {
    "loan_id": ["L1", "L2", "L3"],
    "original_balance": ["200000", "400000", "150000"],
    "current_balance": ["190000", "400000", "140000.50"],
    "note_rate": ["0.06", "0.065", "0.07"],
    "net_rate": ["0.0575", "0.06", "0.065"],
    "servicing_fee": ["0.0025", "0.005", "0.005"],
    "original_term": ["360", "360", "360"],
    "loan_age": ["12", "24", "30"],
    "remaining_term": ["348", "336", "330"],
    "first_payment_date": ["2024-01-01", "2023-01-01", "2022-07-01"],
    "ltv": ["0.8", "0.7", "0.9"],
    "cltv": ["0.85", "0.7", "0.9"],
    "fico": ["740", "780", "690"],
    "dti": ["0.35", "0.28", "0.43"],
    "occupancy": ["owner", "second_home", "investor"],
    "purpose": ["purchase", "cash_out_refi", "rate_term_refi"],
    "property_type": ["single_family", "condo", "two_to_four_unit"],
    "state": ["CA", "TX", "FL"],
    "property_value": ["250000", "571428", "166667"],
    "amortization_type": ["level_pay", "interest_only", "balloon"],
    "io_term": ["0", "120", "0"],
    "balloon_term": ["0", "0", "84"],
    "delinquency_status": ["current", "dpd30", "current"],
}


@pytest.fixture
def base() -> pd.DataFrame:
    """A valid three-loan tape (level pay, interest only, balloon) as text cells."""
    return pd.DataFrame(BASE_ROWS, dtype=object)

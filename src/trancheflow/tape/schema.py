"""The loan tape schema: the columns a mortgage analyst expects, with their rules.

A tape is a :class:`pandas.DataFrame` with one row per loan and the columns
below. Rates are annual decimals (``0.065``), terms and ages are months,
balances are currency units. ``net_rate`` is the rate passed to investors;
``servicing_fee`` is the annual strip retained by the servicer and guarantor
(``note_rate - net_rate``). Either may be given; readers fill the other.

Examples
--------
>>> [c.name for c in COLUMNS][:4]
['loan_id', 'original_balance', 'current_balance', 'note_rate']
>>> COLUMN_BY_NAME["fico"].low, COLUMN_BY_NAME["fico"].high
(300.0, 850.0)
>>> sorted(AMORTIZATION_TYPES)
['balloon', 'interest_only', 'level_pay']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "float", "int", "date", "enum"]

OCCUPANCY = frozenset({"owner", "second_home", "investor"})
PURPOSE = frozenset({"purchase", "cash_out_refi", "rate_term_refi"})
PROPERTY_TYPES = frozenset(
    {"single_family", "condo", "pud", "manufactured", "coop", "two_to_four_unit"}
)
AMORTIZATION_TYPES = frozenset({"level_pay", "interest_only", "balloon"})
DELINQUENCY_STATUS = frozenset(
    {"current", "dpd30", "dpd60", "dpd90", "dpd120plus", "foreclosure", "reo"}
)
# fmt: off
US_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU",
))
# fmt: on


@dataclass(frozen=True)
class Column:
    """One tape column and the rule its values must satisfy.

    Parameters
    ----------
    name : str
        Canonical column name.
    kind : {'str', 'float', 'int', 'date', 'enum'}
        Value type.
    required : bool
        Whether a tape without this column is rejected.
    low, high : float or None
        Inclusive numeric bounds.
    low_exclusive : bool
        When True the lower bound is exclusive (``value > low``).
    choices : frozenset of str or None
        Allowed values for ``enum`` columns.
    description : str
        What the column means, in desk vocabulary.
    """

    name: str
    kind: Kind
    required: bool
    description: str
    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    choices: frozenset[str] | None = None


COLUMNS: tuple[Column, ...] = (
    Column("loan_id", "str", True, "unique loan identifier"),
    Column("original_balance", "float", True, "original principal balance", 0.0, 1e8, True),
    Column("current_balance", "float", True, "current unpaid principal balance", 0.0, 1e8),
    Column("note_rate", "float", True, "gross note rate, annual decimal", 0.0, 0.25),
    Column("net_rate", "float", False, "rate passed to investors, annual decimal", 0.0, 0.25),
    Column(
        "servicing_fee", "float", False, "servicing + guarantee strip, annual decimal", 0.0, 0.05
    ),
    Column("original_term", "int", True, "original term, months", 0, 600, True),
    Column("loan_age", "int", True, "months since first payment (WALA contribution)", 0, 600),
    Column("remaining_term", "int", True, "remaining term, months", 0, 600, True),
    Column("first_payment_date", "date", False, "first scheduled payment date"),
    Column("ltv", "float", False, "original loan-to-value, decimal", 0.0, 2.0, True),
    Column("cltv", "float", False, "original combined loan-to-value, decimal", 0.0, 2.0, True),
    Column("fico", "float", False, "borrower credit score", 300.0, 850.0),
    Column("dti", "float", False, "debt-to-income ratio, decimal", 0.0, 1.0),
    Column("occupancy", "enum", False, "occupancy", choices=OCCUPANCY),
    Column("purpose", "enum", False, "loan purpose", choices=PURPOSE),
    Column("property_type", "enum", False, "property type", choices=PROPERTY_TYPES),
    Column("state", "enum", False, "two-letter property state", choices=US_STATES),
    Column("property_value", "float", False, "property value at origination", 0.0, 1e9, True),
    Column(
        "amortization_type",
        "enum",
        True,
        "level_pay, interest_only or balloon",
        choices=AMORTIZATION_TYPES,
    ),
    Column("io_term", "int", False, "interest-only months from first payment", 0, 600),
    Column("balloon_term", "int", False, "month (from first payment) the balloon is due", 0, 600),
    Column(
        "delinquency_status", "enum", False, "current payment status", choices=DELINQUENCY_STATUS
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

# Columns the collateral engine reads (after readers fill net_rate / defaults).
ENGINE_COLUMNS: tuple[str, ...] = (
    "current_balance",
    "note_rate",
    "net_rate",
    "original_term",
    "loan_age",
    "remaining_term",
    "amortization_type",
    "io_term",
    "balloon_term",
)

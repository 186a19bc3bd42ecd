"""Freddie Mac Single-Family Loan-Level Dataset: the file layouts, codes and sentinels.

Source
------
Freddie Mac, *Single-Family Loan-Level Dataset General User Guide*, section
"File Layout & Data Dictionary" (Origination Data File and Monthly
Performance Data File tables, pp. 7-15 of the August 2018 and April 2020
editions), its "Zero Balance Codes" and "Valid Values" notes, and the
dataset's release notes for the fields appended since. The files are
headerless, pipe-delimited text, one origination line per loan and one
performance line per loan per month. Releases **append** fields at the end
and never move a field, so a file of any release is read by taking the first
``width`` names below, where ``width`` is the file's field count (31 for the
origination files published with the interest-only indicator as last field,
32 once the mortgage-insurance cancellation indicator was added; performance
files of earlier releases are likewise narrower). The exact width of each
past release was not checked against every edition of the guide: any width
from the minimum below up to 32 is read, and a line of another width than
the file's first line is a problem.

Field kinds
-----------
``int``/``float``: a number; the listed sentinel codes and a blank mean "not
available" (the value becomes missing). ``percent``: a number in percent as
written (``80`` for 80% LTV, ``6.375`` for a rate). ``period``: ``YYYYMM``.
``code``: one of the listed codes (a blank is "not available"). ``text``:
free text kept as written, spaces and punctuation included (seller names
such as ``JPMORGAN CHASE BANK, N.A.`` or ``Other sellers``).

Examples
--------
>>> ORIGINATION[0].name, ORIGINATION[0].na
('credit_score', ('9999',))
>>> [f.name for f in ORIGINATION].index("loan_sequence_number") + 1  # 1-based position
20
>>> len(ORIGINATION), len(PERFORMANCE)
(32, 32)
>>> ZERO_BALANCE["03"]
'short sale or charge-off'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CHANNEL",
    "OCCUPANCY",
    "ORIGINATION",
    "ORIGINATION_MIN_WIDTH",
    "PERFORMANCE",
    "PERFORMANCE_MIN_WIDTH",
    "PREPAID_CODES",
    "PROPERTY_TYPE",
    "PURPOSE",
    "ZERO_BALANCE",
    "Field",
]

FieldKind = Literal["int", "float", "percent", "period", "code", "text"]


@dataclass(frozen=True)
class Field:
    """One field of a Freddie Mac file.

    Parameters
    ----------
    name : str
        Snake-case name of the guide's field.
    guide : str
        The field's name in the user guide.
    kind : {'int', 'float', 'percent', 'period', 'code', 'text'}
        How its text is read.
    na : tuple of str
        Codes meaning "not available" besides a blank.
    codes : tuple of str
        The valid codes of a ``code`` field (empty: any text of that kind).
    low, high : float or None
        Valid range of a number (as written in the file), where the guide gives one.
    """

    name: str
    guide: str
    kind: FieldKind
    na: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


F = Field
ORIGINATION: tuple[Field, ...] = (
    F("credit_score", "Credit Score", "int", ("9999",), low=300, high=850),
    F("first_payment_date", "First Payment Date", "period"),
    F("first_time_homebuyer_flag", "First Time Homebuyer Flag", "code", ("9",), ("Y", "N")),
    F("maturity_date", "Maturity Date", "period"),
    F("msa", "Metropolitan Statistical Area (MSA) or Metropolitan Division", "text"),
    F("mi_percent", "Mortgage Insurance Percentage (MI %)", "percent", ("999",), low=0, high=55),
    F("number_of_units", "Number of Units", "int", ("99",), low=1, high=4),
    F("occupancy_status", "Occupancy Status", "code", ("9",), ("P", "I", "S")),
    F("original_cltv", "Original Combined Loan-to-Value (CLTV)", "percent", ("999",), low=0),
    F("original_dti", "Original Debt-to-Income (DTI) Ratio", "percent", ("999",), low=0),
    F("original_upb", "Original UPB", "float", low=0),
    F("original_ltv", "Original Loan-to-Value (LTV)", "percent", ("999",), low=0),
    F("original_interest_rate", "Original Interest Rate", "percent", low=0, high=25),
    F("channel", "Channel", "code", ("9",), ("R", "B", "C", "T")),
    F("ppm_flag", "Prepayment Penalty Mortgage (PPM) Flag", "code", ("9",), ("Y", "N")),
    F("amortization_type", "Amortization Type (formerly Product Type)", "code", (), ("FRM", "ARM")),
    F("property_state", "Property State", "text"),
    F("property_type", "Property Type", "code", ("99",), ("SF", "CO", "PU", "MH", "CP")),
    F("postal_code", "Postal Code", "text"),
    F("loan_sequence_number", "Loan Sequence Number", "text"),
    F("loan_purpose", "Loan Purpose", "code", ("9",), ("P", "C", "N", "R")),
    F("original_loan_term", "Original Loan Term", "int", low=1, high=600),
    F("number_of_borrowers", "Number of Borrowers", "int", ("99",), low=1),
    F("seller_name", "Seller Name", "text"),
    F("servicer_name", "Servicer Name", "text"),
    F("super_conforming_flag", "Super Conforming Flag", "code", (), ("Y", "N")),
    F("pre_harp_loan_sequence_number", "Pre-HARP Loan Sequence Number", "text"),
    F("program_indicator", "Program Indicator", "code", ("9",), ("H", "F", "R")),
    F("harp_indicator", "HARP Indicator", "code", (), ("Y", "N")),
    F("property_valuation_method", "Property Valuation Method", "code", ("9",),
      ("1", "2", "3", "4")),
    F("interest_only_indicator", "Interest Only (I/O) Indicator", "code", (), ("Y", "N")),
    F("mi_cancellation_indicator", "Mortgage Insurance Cancellation Indicator", "code", ("9", "7"),
      ("Y", "N")),
)  # fmt: skip

PERFORMANCE: tuple[Field, ...] = (
    F("loan_sequence_number", "Loan Sequence Number", "text"),
    F("monthly_reporting_period", "Monthly Reporting Period", "period"),
    F("current_actual_upb", "Current Actual UPB", "float", low=0),
    F("current_loan_delinquency_status", "Current Loan Delinquency Status", "text"),
    F("loan_age", "Loan Age", "int", low=-12),
    F("remaining_months_to_legal_maturity", "Remaining Months to Legal Maturity", "int"),
    F("defect_settlement_date", "Defect Settlement Date (formerly Repurchase Flag)", "text"),
    F("modification_flag", "Modification Flag", "code", (), ("Y", "P", "N")),
    F("zero_balance_code", "Zero Balance Code", "code", (),
      ("01", "02", "03", "06", "09", "15", "16", "96")),
    F("zero_balance_effective_date", "Zero Balance Effective Date", "period"),
    F("current_interest_rate", "Current Interest Rate", "percent", low=0, high=25),
    F("current_deferred_upb", "Current Deferred UPB (non-interest bearing)", "float"),
    F("ddlpi", "Due Date of Last Paid Installment (DDLPI)", "period"),
    F("mi_recoveries", "MI Recoveries", "float"),
    F("net_sale_proceeds", "Net Sale Proceeds", "text"),  # a number, or C (covered) / U (unknown)
    F("non_mi_recoveries", "Non MI Recoveries", "float"),
    F("expenses", "Expenses", "float"),
    F("legal_costs", "Legal Costs", "float"),
    F("maintenance_and_preservation_costs", "Maintenance and Preservation Costs", "float"),
    F("taxes_and_insurance", "Taxes and Insurance", "float"),
    F("miscellaneous_expenses", "Miscellaneous Expenses", "float"),
    F("actual_loss_calculation", "Actual Loss Calculation", "float"),
    F("modification_cost", "Modification Cost (cumulative)", "float"),
    F("step_modification_flag", "Step Modification Flag", "code", (), ("Y", "N")),
    F("deferred_payment_plan", "Deferred Payment Plan (Payment Deferral)", "code", (),
      ("Y", "N", "P")),
    F("estimated_ltv", "Estimated Loan-to-Value (ELTV)", "percent", ("999",)),
    F("zero_balance_removal_upb", "Zero Balance Removal UPB", "float"),
    F("delinquent_accrued_interest", "Delinquent Accrued Interest", "float"),
    F("delinquency_due_to_disaster", "Delinquency Due to Disaster", "code", (), ("Y", "N")),
    F("borrower_assistance_status_code", "Borrower Assistance Status Code", "code", (),
      ("F", "R", "T")),
    F("current_month_modification_cost", "Current Month Modification Cost", "float"),
    F("interest_bearing_upb", "Interest Bearing UPB", "float"),
)  # fmt: skip
del F

ORIGINATION_MIN_WIDTH = [f.name for f in ORIGINATION].index("original_loan_term") + 1
"""A narrower line cannot be an origination record (it lacks the loan's term)."""
PERFORMANCE_MIN_WIDTH = [f.name for f in PERFORMANCE].index("current_interest_rate") + 1
"""A narrower line cannot be a performance record (it lacks the current rate)."""

OCCUPANCY: dict[str, str] = {"P": "owner", "S": "second_home", "I": "investor"}
PURPOSE: dict[str, str] = {"P": "purchase", "C": "cash_out_refi", "N": "rate_term_refi"}
"""``R`` (refinance, not specified) has no tape-schema equivalent and reads as missing."""
PROPERTY_TYPE: dict[str, str] = {
    "SF": "single_family", "CO": "condo", "PU": "pud", "MH": "manufactured", "CP": "coop",
}  # fmt: skip
CHANNEL: dict[str, str] = {"R": "retail", "B": "broker", "C": "correspondent", "T": "tpo"}
"""``T``: third-party origination, not specified as broker or correspondent."""

ZERO_BALANCE: dict[str, str] = {
    "01": "prepaid or matured",
    "02": "third-party sale",
    "03": "short sale or charge-off",
    "06": "repurchase prior to property disposition",
    "09": "REO disposition",
    "15": "note sale",
    "16": "reperforming loan sale",
    "96": "repurchase prior to property disposition",
}
"""Zero Balance Codes. ``96`` is the guide's repurchase code; ``06`` (repurchased, the
code Fannie Mae's dataset uses) is read as the same event so a file of either style
reads. Both are non-credit removals; see :mod:`trancheflow.tape.panel` for how the
panel labels them."""
PREPAID_CODES: frozenset[str] = frozenset({"01"})
"""Codes that end a loan by voluntary payoff or maturity. In the panel, repurchases
(``96``/``06``) end a loan as ``repurchased``, note sales (``15``/``16``) as
``note_sale`` and the credit events (``02``/``03``/``09``) as ``default``
(see :mod:`trancheflow.tape.panel`)."""

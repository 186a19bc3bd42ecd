"""The monthly remittance record: one loan, one period, amounts in exact units.

A remittance file has one row per loan for one reporting period
(``docs/remittance.md`` is the user-facing description). Money columns are
read as exact decimals and held here as integers of settlement-token units
(:func:`trancheflow.units.to_units`; an amount with more decimal places than
the token is refused, never rounded).

Columns
-------
=========================  =======  ==================================================
column                     kind     meaning
=========================  =======  ==================================================
``loan_id``                text     the tape's loan id
``period``                 integer  deal period reported (1 = first after closing)
``beginning_balance``      money    balance at the end of the previous period
``scheduled_principal``    money    principal due this period by the loan's schedule
``principal_collected``    money    scheduled principal actually collected
``curtailment``            money    partial prepayment
``payoff``                 money    full prepayment (the balance paid off)
``interest_collected``     money    net interest remitted to the deal
``liquidation_proceeds``   money    net proceeds of a liquidation
``realized_loss``          money    principal lost (liquidation or forgiveness)
``ending_balance``         money    balance at the end of the period
``delinquency_status``     code     one of :data:`STATUSES`
``modification``           code     one of :data:`MODIFICATIONS` (empty = none)
``days_delinquent``        integer  optional: days past due at period end (empty =
                                    the status's :data:`DAYS_DELINQUENT`)
=========================  =======  ==================================================

Days delinquent
---------------
The period's loan-level root commits to each loan's balance *and* days
delinquent (the leaf ``Liquidation.mark`` proves). A file may give the days
(``days_delinquent``; they must fall in the status's range
:data:`DAYS_RANGE`); otherwise a status stands for the least number of days
it implies (:data:`DAYS_DELINQUENT`): ``current`` 0, ``dpd30`` 30, ``dpd60``
60, ``dpd90`` 90, ``dpd120plus`` 120, ``foreclosure`` and ``reo`` 120 (a
first foreclosure filing needs the loan more than 120 days delinquent,
12 CFR 1024.41(f)(1)), ``paid_off`` and ``liquidated`` 0 (no balance left).

Examples
--------
>>> [c.name for c in COLUMNS][:3]
['loan_id', 'period', 'beginning_balance']
>>> BUCKET["dpd120plus"], BUCKET.get("current")
('dq90', None)
>>> DAYS_DELINQUENT["dpd90"], days_in_range("dpd60", 75), days_in_range("dpd60", 90)
(90, True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BUCKET",
    "COLUMNS",
    "DAYS_DELINQUENT",
    "DAYS_RANGE",
    "MODIFICATIONS",
    "MONEY",
    "REQUIRED",
    "STATUSES",
    "TERMINAL",
    "Column",
    "RemittanceRecord",
    "days_in_range",
]


@dataclass(frozen=True)
class Column:
    """One remittance column: name, kind (``text``/``integer``/``money``/``code``), meaning."""

    name: str
    kind: str
    meaning: str
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("loan_id", "text", "the tape's loan id"),
    Column("period", "integer", "deal period reported (1 = first after closing)"),
    Column("beginning_balance", "money", "balance at the end of the previous period"),
    Column("scheduled_principal", "money", "principal due this period by the schedule"),
    Column("principal_collected", "money", "scheduled principal actually collected"),
    Column("curtailment", "money", "partial prepayment"),
    Column("payoff", "money", "full prepayment"),
    Column("interest_collected", "money", "net interest remitted to the deal"),
    Column("liquidation_proceeds", "money", "net proceeds of a liquidation"),
    Column("realized_loss", "money", "principal lost (liquidation or forgiveness)"),
    Column("ending_balance", "money", "balance at the end of the period"),
    Column("delinquency_status", "code", "payment status at the end of the period"),
    Column("modification", "code", "modification made this period", required=False),
    Column("days_delinquent", "integer", "days past due at period end", required=False),
)

#: Money columns, in file order.
MONEY: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "money")
#: Columns a file must have.
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

#: Delinquency statuses (the tape's vocabulary plus two terminal ones).
STATUSES: tuple[str, ...] = (
    "current",
    "dpd30",
    "dpd60",
    "dpd90",
    "dpd120plus",
    "foreclosure",
    "reo",
    "paid_off",
    "liquidated",
)
#: Statuses that end a loan (its ending balance must be zero).
TERMINAL: frozenset[str] = frozenset({"paid_off", "liquidated"})
#: The report bucket each delinquent status counts in (``dq90`` = 90+ days).
BUCKET: dict[str, str] = {
    "dpd30": "dq30",
    "dpd60": "dq60",
    "dpd90": "dq90",
    "dpd120plus": "dq90",
    "foreclosure": "foreclosure",
    "reo": "reo",
}
#: Days delinquent a status stands for when the file gives none (module docstring).
DAYS_DELINQUENT: dict[str, int] = {
    "current": 0,
    "dpd30": 30,
    "dpd60": 60,
    "dpd90": 90,
    "dpd120plus": 120,
    "foreclosure": 120,
    "reo": 120,
    "paid_off": 0,
    "liquidated": 0,
}
#: Days a file may give with each status: ``(low, high)`` inclusive, ``None`` = no bound.
DAYS_RANGE: dict[str, tuple[int, int | None]] = {
    "current": (0, 29),
    "dpd30": (30, 59),
    "dpd60": (60, 89),
    "dpd90": (90, 119),
    "dpd120plus": (120, None),
    "foreclosure": (0, None),
    "reo": (0, None),
    "paid_off": (0, 0),
    "liquidated": (0, 0),
}


def days_in_range(status: str, days: int) -> bool:
    """Whether ``days`` delinquent agrees with ``status`` (:data:`DAYS_RANGE`)."""
    low, high = DAYS_RANGE[status]
    return days >= low and (high is None or days <= high)


#: Modification codes; ``principal_forgiveness`` allows a loss without liquidation.
MODIFICATIONS: tuple[str, ...] = (
    "none",
    "rate",
    "term",
    "rate_and_term",
    "payment_deferral",
    "principal_forgiveness",
)


@dataclass(frozen=True)
class RemittanceRecord:
    """One loan's remittance for one period (money in settlement-token units).

    ``row`` is the 1-based data row of the file it came from (header excluded),
    so every later rule can name it.
    """

    row: int
    loan_id: str
    period: int
    beginning_balance: int
    scheduled_principal: int
    principal_collected: int
    curtailment: int
    payoff: int
    interest_collected: int
    liquidation_proceeds: int
    realized_loss: int
    ending_balance: int
    delinquency_status: str
    modification: str = "none"
    days_delinquent: int | None = None

    @property
    def days(self) -> int:
        """Days delinquent committed to the loan root: the file's, else the status's."""
        if self.days_delinquent is not None:
            return self.days_delinquent
        return DAYS_DELINQUENT[self.delinquency_status]

    @property
    def principal_reduction(self) -> int:
        """Everything that lowers the balance: collected principal, curtailment,
        payoff, liquidation proceeds and realized loss."""
        return (
            self.principal_collected
            + self.curtailment
            + self.payoff
            + self.liquidation_proceeds
            + self.realized_loss
        )

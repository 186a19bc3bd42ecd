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
=========================  =======  ==================================================

Examples
--------
>>> [c.name for c in COLUMNS][:3]
['loan_id', 'period', 'beginning_balance']
>>> BUCKET["dpd120plus"], BUCKET.get("current")
('dq90', None)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BUCKET",
    "COLUMNS",
    "MODIFICATIONS",
    "MONEY",
    "REQUIRED",
    "STATUSES",
    "TERMINAL",
    "Column",
    "RemittanceRecord",
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

"""The indexer's tables (SQLAlchemy 2.0 typed models).

Two layers:

* **raw logs** (:class:`EventRow`): every decoded log, unique on
  ``(chain_id, tx_hash, log_index)``; with :class:`Cursor` (one per deal,
  advanced in the same transaction as the rows) and :class:`BlockRow` (hashes
  of indexed blocks, for re-org detection) this is what the indexer commits;
* **projections** derived from the raw logs in chain order (deals' tranches,
  reports, periods, distributions, triggers, claims, transfers, holders,
  signers). They can always be rebuilt from the raw logs, which is how a
  re-org is undone.

On-chain amounts are ``uint256``; :class:`UInt256` stores them exactly
(``NUMERIC(78, 0)`` on PostgreSQL, decimal text on SQLite) and returns
Python ints.

Examples
--------
>>> from sqlalchemy import create_engine
>>> from sqlalchemy.orm import Session
>>> engine = create_engine("sqlite://")
>>> Base.metadata.create_all(engine)
>>> with Session(engine) as s:
...     s.add(Deal(chain_id=1, address="0x" + "ab" * 20, name="D", spec_json="{}",
...                spec_hash="0x00", decimals=6, original_pool_balance=2**200))
...     s.commit()
...     s.scalars(select(Deal.original_pool_balance)).one() == 2**200
True
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

__all__ = [
    "Alert",
    "AuditResult",
    "Base",
    "BlockRow",
    "Claim",
    "Cursor",
    "Deal",
    "DealContract",
    "Distribution",
    "EventRow",
    "FeeClaim",
    "FeePayment",
    "Holder",
    "ParameterChange",
    "Period",
    "QuarantinedLog",
    "Recovery",
    "Report",
    "ResidualClaim",
    "Signer",
    "Tranche",
    "Transfer",
    "TriggerBreach",
    "UInt256",
    "select",
]

_ADDR = 42
_HASH = 66


class UInt256(TypeDecorator[int]):
    """An unsigned 256-bit integer stored exactly; Python ``int`` in and out."""

    impl = String(78)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0))
        return dialect.type_descriptor(String(78))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        v = int(value)
        if v < 0 or v >= 2**256:
            raise ValueError(f"value {value} is not a uint256")
        return Decimal(v) if dialect.name == "postgresql" else str(v)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every trancheflow indexer table."""


class Deal(Base):
    """A registered deal: where it lives, its spec, its roles (from events)."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("chain_id", "address", name="uq_deal_chain_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(_ADDR))
    name: Mapped[str] = mapped_column(String(64), index=True)
    spec_json: Mapped[str] = mapped_column(Text)
    spec_hash: Mapped[str] = mapped_column(String(_HASH))
    tape_path: Mapped[str | None] = mapped_column(Text, default=None)
    decimals: Mapped[int] = mapped_column(Integer)
    original_pool_balance: Mapped[int] = mapped_column(UInt256)
    start_block: Mapped[int] = mapped_column(BigInteger, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    issuer: Mapped[str | None] = mapped_column(String(_ADDR), default=None)
    quorum: Mapped[int | None] = mapped_column(Integer, default=None)
    servicer: Mapped[str | None] = mapped_column(String(_ADDR), default=None)
    guardian: Mapped[str | None] = mapped_column(String(_ADDR), default=None)
    residual_holder: Mapped[str | None] = mapped_column(String(_ADDR), default=None)
    residual_owed: Mapped[int] = mapped_column(UInt256, default=0)
    #: The deal's pause bits (``Paused``/``Unpaused``; 0 = nothing paused).
    paused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="deal", order_by="Tranche.tranche_id", cascade="all, delete-orphan"
    )


class Tranche(Base):
    """A non-residual tranche and its token; ``distributed`` is the token's
    cumulative ``credited`` cash, ``index``/``carry`` mirror the token's."""

    __tablename__ = "tranches"
    __table_args__ = (UniqueConstraint("deal_id", "tranche_id", name="uq_tranche"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    tranche_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(32))
    token_address: Mapped[str] = mapped_column(String(_ADDR), index=True)
    original: Mapped[int] = mapped_column(UInt256)
    coupon: Mapped[int] = mapped_column(UInt256)
    accrual: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(UInt256)
    index: Mapped[int] = mapped_column(UInt256, default=0)
    carry: Mapped[int] = mapped_column(UInt256, default=0)
    distributed: Mapped[int] = mapped_column(UInt256, default=0)
    claimed: Mapped[int] = mapped_column(UInt256, default=0)

    deal: Mapped[Deal] = relationship(back_populates="tranches")


class DealContract(Base):
    """A contract of a deal beside the deal itself and its tranche tokens (the
    first-loss fund, the liquidation, the compliance hook, the subscription
    sale, and any further part of a split deal): the indexer follows every
    row's address from ``from_block`` on.

    ``kind`` says how its logs are projected: ``Deal`` (a part of the deal
    whose logs are the deal's own), ``InsuranceFund``, ``Liquidation``,
    ``Compliance`` or ``Subscription`` (see :mod:`trancheflow.ops.contracts`).
    """

    __tablename__ = "deal_contracts"
    __table_args__ = (UniqueConstraint("deal_id", "address", name="uq_deal_contract"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    address: Mapped[str] = mapped_column(String(_ADDR), index=True)
    from_block: Mapped[int] = mapped_column(BigInteger, default=0)


class EventRow(Base):
    """One raw decoded log (args as JSON with big ints as decimal strings).

    Unique per deal on ``(deal_id, tx_hash, log_index)``: a contract that
    serves several deals (one compliance registry) has its logs stored once
    for each deal that follows it.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("deal_id", "tx_hash", "log_index", name="uq_event_log"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(_HASH))
    tx_hash: Mapped[str] = mapped_column(String(_HASH))
    log_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(_ADDR))
    name: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


class Cursor(Base):
    """The last block indexed for a deal (and its hash, to detect re-orgs)."""

    __tablename__ = "cursors"

    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    last_block: Mapped[int] = mapped_column(BigInteger)
    last_block_hash: Mapped[str | None] = mapped_column(String(_HASH), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


class BlockRow(Base):
    """Hash of an indexed block (batch ends and blocks with logs)."""

    __tablename__ = "blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(_HASH))


class _AtLog:
    """Where a projected row came from (for re-org rollback and citations)."""

    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(_HASH))
    log_index: Mapped[int] = mapped_column(Integer)


class Report(_AtLog, Base):
    """A servicer report: submitted, then vetoed or finalized."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # submitted | vetoed | finalized
    digest: Mapped[str] = mapped_column(String(_HASH))
    inputs_hash: Mapped[str] = mapped_column(String(_HASH))
    cash: Mapped[int] = mapped_column(UInt256)
    interest: Mapped[int] = mapped_column(UInt256)
    scheduled_principal: Mapped[int] = mapped_column(UInt256)
    prepayments: Mapped[int] = mapped_column(UInt256)
    recoveries: Mapped[int] = mapped_column(UInt256)
    losses: Mapped[int] = mapped_column(UInt256)
    dq30_count: Mapped[int] = mapped_column(UInt256)
    dq30_balance: Mapped[int] = mapped_column(UInt256)
    dq60_count: Mapped[int] = mapped_column(UInt256)
    dq60_balance: Mapped[int] = mapped_column(UInt256)
    dq90_count: Mapped[int] = mapped_column(UInt256)
    dq90_balance: Mapped[int] = mapped_column(UInt256)
    foreclosure_count: Mapped[int] = mapped_column(UInt256)
    foreclosure_balance: Mapped[int] = mapped_column(UInt256)
    reo_count: Mapped[int] = mapped_column(UInt256)
    reo_balance: Mapped[int] = mapped_column(UInt256)
    loans_root: Mapped[str] = mapped_column(String(_HASH))
    vetoed_by: Mapped[str | None] = mapped_column(String(_ADDR), default=None)


class Period(_AtLog, Base):
    """A finalized period (``PeriodFinalized``): pool and deal state after it."""

    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("deal_id", "period", name="uq_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    pool_balance: Mapped[int] = mapped_column(UInt256)
    cumulative_loss: Mapped[int] = mapped_column(UInt256)
    reserve: Mapped[int] = mapped_column(UInt256)
    residual: Mapped[int] = mapped_column(UInt256)
    breached: Mapped[int] = mapped_column(UInt256)
    principal_rule: Mapped[int] = mapped_column(Integer)
    #: Step 3b: premium paid to the first-loss fund (units).
    insurance_premium: Mapped[int] = mapped_column(UInt256, default=0, server_default="0")
    #: Step 5: cover paid in by the first-loss fund (units).
    insurance_cover: Mapped[int] = mapped_column(UInt256, default=0, server_default="0")
    #: Liquidation auction proceeds applied as recoveries at finalize (units).
    auction_proceeds: Mapped[int] = mapped_column(UInt256, default=0, server_default="0")


class ParameterChange(_AtLog, Base):
    """A setter or pause log of the deal (``TriggerThresholdSet``, ``QuorumSet``,
    ``Paused``...): which parameter changed, to what, and when.

    ``period`` is the number of periods finalized when the change was mined,
    so the change takes effect from period ``period + 1``; ``governance`` is
    false for logs emitted while the deal was being deployed (before
    ``Closed``), which set initial values rather than change them.
    """

    __tablename__ = "parameter_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    governance: Mapped[bool] = mapped_column(Boolean)


class Distribution(_AtLog, Base):
    """One tranche's line of a finalized period."""

    __tablename__ = "distributions"
    __table_args__ = (UniqueConstraint("deal_id", "period", "tranche_id", name="uq_distribution"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    tranche_id: Mapped[int] = mapped_column(Integer)
    interest_paid: Mapped[int] = mapped_column(UInt256)
    principal_paid: Mapped[int] = mapped_column(UInt256)
    writedown: Mapped[int] = mapped_column(UInt256)
    balance: Mapped[int] = mapped_column(UInt256)


class FeePayment(_AtLog, Base):
    """One fee's payment in a finalized period."""

    __tablename__ = "fee_payments"
    __table_args__ = (UniqueConstraint("deal_id", "period", "fee_id", name="uq_fee_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    fee_id: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(UInt256)


class TriggerBreach(_AtLog, Base):
    """A trigger's (sticky) breach."""

    __tablename__ = "trigger_breaches"
    __table_args__ = (UniqueConstraint("deal_id", "trigger", name="uq_trigger_breach"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)


class Transfer(_AtLog, Base):
    """A tranche-token transfer (mints come from the zero address)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    tranche_id: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(_ADDR))
    receiver: Mapped[str] = mapped_column(String(_ADDR))
    amount: Mapped[int] = mapped_column(UInt256)


class Claim(_AtLog, Base):
    """A holder's claim of tranche distributions (token ``Claimed``)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    tranche_id: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(_ADDR), index=True)
    amount: Mapped[int] = mapped_column(UInt256)


class FeeClaim(_AtLog, Base):
    """A fee recipient's claim (``FeeClaimed``)."""

    __tablename__ = "fee_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    fee_id: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(_ADDR))
    amount: Mapped[int] = mapped_column(UInt256)


class ResidualClaim(_AtLog, Base):
    """The residual holder's claim (``ResidualClaimed``)."""

    __tablename__ = "residual_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    holder: Mapped[str] = mapped_column(String(_ADDR))
    amount: Mapped[int] = mapped_column(UInt256)


class Holder(Base):
    """A holder's token balance and settlement record in one tranche,
    derived from transfers, claims and distributions (the token's formulas)."""

    __tablename__ = "holders"
    __table_args__ = (UniqueConstraint("deal_id", "tranche_id", "address", name="uq_holder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    tranche_id: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(_ADDR), index=True)
    balance: Mapped[int] = mapped_column(UInt256, default=0)
    last_index: Mapped[int] = mapped_column(UInt256, default=0)
    owed: Mapped[int] = mapped_column(UInt256, default=0)
    claimed: Mapped[int] = mapped_column(UInt256, default=0)


class Signer(Base):
    """An oracle signer's registration (``SignerSet``). Signatures are calldata,
    not event data, so per-report attestations are not indexed."""

    __tablename__ = "signers"
    __table_args__ = (UniqueConstraint("deal_id", "address", name="uq_signer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(_ADDR))
    active: Mapped[bool] = mapped_column(Boolean)
    block_number: Mapped[int] = mapped_column(BigInteger)


class Recovery(_AtLog, Base):
    """A governance recovery of a frozen holder (token ``Recovered``): its
    tokens and its accrued-but-unclaimed distributions moved to ``recipient``."""

    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    tranche_id: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(_ADDR))
    recipient: Mapped[str] = mapped_column(String(_ADDR))
    tokens: Mapped[int] = mapped_column(UInt256)
    owed: Mapped[int] = mapped_column(UInt256)


class QuarantinedLog(Base):
    """A log the indexer could not decode or project, set aside with the reason.

    The indexer moves on past it (the deal's cursor advances, other deals are
    unaffected) and raises a ``quarantined`` alert; an operator fixes the cause
    and re-indexes. Quarantined logs are not in ``events``, so a rebuild
    (re-org) does not re-apply them; a re-org removes those above its fork.
    """

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("deal_id", "tx_hash", "log_index", name="uq_quarantine"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(_HASH))
    tx_hash: Mapped[str] = mapped_column(String(_HASH))
    log_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(_ADDR))
    name: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Alert(Base):
    """Something an operator should look at (trigger breach, veto, re-org...)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # info | warning | critical
    message: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditResult(Base):
    """One reconciliation of the chain's events against the exact waterfall."""

    __tablename__ = "audit_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    through_period: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class DealMetric(Base):
    """An off-chain figure about a deal, by kind and period.

    The indexer's tables hold what the chain said; this table holds what
    operations computed beside it: the market pool's depth, price and TWAP
    against the model's fair value (``kind="market"``), the ZK eligibility
    proofs and random audits (``kind="zk"``), the behaviour model's forecast
    against realized rates and each tranche's model value (``kind="model"``).
    ``period`` is the deal period the figure belongs to (``None`` for a
    deal-level figure); ``payload`` is a JSON object whose keys the writer of
    that kind documents.
    """

    __tablename__ = "deal_metrics"
    __table_args__ = (UniqueConstraint("deal_id", "kind", "period", "key", name="uq_deal_metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    period: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

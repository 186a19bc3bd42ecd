"""every contract of a deal, quarantined logs, governance recoveries

* ``deal_contracts``: the contracts of a deal beside the deal and its tranche
  tokens (fund, liquidation, compliance, subscription, the parts of a split
  deal), each followed by the indexer from its ``from_block``;
* ``quarantine``: logs the indexer could not decode or project, with the
  reason (the indexer moves on past them instead of failing on them forever);
* ``recoveries``: ``TrancheToken.Recovered`` (a frozen holder's tokens and
  accrued distributions moved by governance);
* ``events`` is unique per deal (``deal_id, tx_hash, log_index``) instead of
  per chain, so a contract that serves several deals (one compliance
  registry) has its logs stored for each of them. Existing rows are unique
  per chain, hence per deal: they all stay.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import trancheflow.ops.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _at_log() -> list[sa.Column[object]]:
    return [
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    uint = trancheflow.ops.models.UInt256(length=78)
    op.create_table(
        "deal_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("from_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "address", name="uq_deal_contract"),
    )
    op.create_index("ix_deal_contracts_deal_id", "deal_contracts", ["deal_id"])
    op.create_index("ix_deal_contracts_address", "deal_contracts", ["address"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "tx_hash", "log_index", name="uq_quarantine"),
    )
    op.create_index("ix_quarantine_deal_id", "quarantine", ["deal_id"])
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("tranche_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("tokens", uint, nullable=False),
        sa.Column("owed", uint, nullable=False),
        *_at_log(),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recoveries_deal_id", "recoveries", ["deal_id"])
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_event_log", type_="unique")
        batch_op.create_unique_constraint("uq_event_log", ["deal_id", "tx_hash", "log_index"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_event_log", type_="unique")
        batch_op.create_unique_constraint("uq_event_log", ["chain_id", "tx_hash", "log_index"])
    op.drop_index("ix_recoveries_deal_id", table_name="recoveries")
    op.drop_table("recoveries")
    op.drop_index("ix_quarantine_deal_id", table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index("ix_deal_contracts_address", table_name="deal_contracts")
    op.drop_index("ix_deal_contracts_deal_id", table_name="deal_contracts")
    op.drop_table("deal_contracts")

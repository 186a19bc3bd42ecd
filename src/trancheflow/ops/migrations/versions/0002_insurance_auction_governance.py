"""insurance premium/cover, auction proceeds, parameter changes, pause bits

Per period: the first-loss fund's premium and cover and the liquidation
auction proceeds applied as recoveries (``PeriodFinalized``'s last three
fields); per deal: the pause bits; a ``parameter_changes`` table for the
deal's setter and pause logs. The new columns have server defaults of 0, so
rows written at 0001 (deals without a fund or a liquidation contract) read
as "none paid".

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import trancheflow.ops.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PERIOD_COLUMNS = ("insurance_premium", "insurance_cover", "auction_proceeds")


def upgrade() -> None:
    op.create_table(
        "parameter_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("governance", sa.Boolean(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("parameter_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parameter_changes_deal_id"), ["deal_id"], unique=False)
    with op.batch_alter_table("periods", schema=None) as batch_op:
        for name in _PERIOD_COLUMNS:
            batch_op.add_column(
                sa.Column(
                    name,
                    trancheflow.ops.models.UInt256(length=78),
                    server_default="0",
                    nullable=False,
                )
            )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_column("paused")
    with op.batch_alter_table("periods", schema=None) as batch_op:
        for name in reversed(_PERIOD_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("parameter_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parameter_changes_deal_id"))
    op.drop_table("parameter_changes")

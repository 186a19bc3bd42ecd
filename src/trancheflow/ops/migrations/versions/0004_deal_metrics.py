"""off-chain figures beside the indexed events

* ``deal_metrics``: one JSON payload per deal, kind (``market``, ``zk``,
  ``model``...), period and key, written by operations (the demo's market,
  ZK audit and model re-pricing steps, or the CLI) and read by the API and
  the dashboard. Period 0 holds deal-level figures.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "kind", "period", "key", name="uq_deal_metric"),
    )
    op.create_index("ix_deal_metrics_deal_id", "deal_metrics", ["deal_id"])
    op.create_index("ix_deal_metrics_kind", "deal_metrics", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_deal_metrics_kind", table_name="deal_metrics")
    op.drop_index("ix_deal_metrics_deal_id", table_name="deal_metrics")
    op.drop_table("deal_metrics")

"""0003_marketplace: usage counts and webhook subscriptions of the marketplace (``quanta serve``).

A migration never imports the models: it describes the schema as it was at this revision.

Revision ID: 0003_marketplace
Revises: 0002_access
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision = "0003_marketplace"
down_revision = "0002_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_counts",
        sa.Column("product", sa.String(401), nullable=False),
        sa.Column("port", sa.String(200), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("product", "port", "principal", "kind", "day", name="pk_usage_counts"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("product", sa.String(401), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_index("ix_webhook_subscriptions_product", "webhook_subscriptions", ["product"])


def downgrade() -> None:
    op.drop_index("ix_webhook_subscriptions_product", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
    op.drop_table("usage_counts")

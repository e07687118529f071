"""0004_accounts: local accounts (username and scrypt password hash) for signing in to the UI.

A migration never imports the models: it describes the schema as it was at this revision.

Revision ID: 0004_accounts
Revises: 0003_marketplace
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision = "0004_accounts"
down_revision = "0003_marketplace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_accounts",
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_local_accounts"),
    )


def downgrade() -> None:
    op.drop_table("local_accounts")

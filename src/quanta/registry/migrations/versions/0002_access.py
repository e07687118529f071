"""0002_access: principals, hashed API tokens, access agreements and their transitions, the audit log.

The audit log is append-only: triggers refuse ``UPDATE`` and ``DELETE`` on it (SQLite and PostgreSQL).
A migration never imports the models: it describes the schema as it was at this revision.

Revision ID: 0002_access
Revises: 0001_core
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Primary keys: 64-bit integers, plain INTEGER on SQLite (which only autoincrements that).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0002_access"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "principals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals")),
        sa.UniqueConstraint("name", name=op.f("uq_principals_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    op.create_index(op.f("ix_api_tokens_principal"), "api_tokens", ["principal"], unique=False)
    op.create_table(
        "access_agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("consumer_kind", sa.String(length=20), nullable=False),
        sa.Column("port", sa.String(length=600), nullable=False),
        sa.Column("port_version", sa.String(length=50), nullable=False),
        sa.Column("contract_id", sa.String(length=300), nullable=False),
        sa.Column("contract_version", sa.String(length=50), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=True),
        sa.Column("pii", sa.Boolean(), nullable=False),
        sa.Column("row_filter", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_agreements")),
    )
    op.create_index(op.f("ix_access_agreements_consumer"), "access_agreements", ["consumer"], unique=False)
    op.create_index(op.f("ix_access_agreements_port"), "access_agreements", ["port"], unique=False)
    op.create_index(op.f("ix_access_agreements_state"), "access_agreements", ["state"], unique=False)
    op.create_table(
        "agreement_transitions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["access_agreements.id"],
            name=op.f("fk_agreement_transitions_agreement_id_access_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_transitions")),
    )
    op.create_index(
        op.f("ix_agreement_transitions_agreement_id"), "agreement_transitions", ["agreement_id"], unique=False
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("ports", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("statement_hash", sa.String(length=64), nullable=True),
        sa.Column("agreements", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_decision"), "audit_log", ["decision"], unique=False)
    op.create_index(op.f("ix_audit_log_principal"), "audit_log", ["principal"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index(op.f("ix_audit_log_principal"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_decision"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_agreement_transitions_agreement_id"), table_name="agreement_transitions")
    op.drop_table("agreement_transitions")
    op.drop_index(op.f("ix_access_agreements_state"), table_name="access_agreements")
    op.drop_index(op.f("ix_access_agreements_port"), table_name="access_agreements")
    op.drop_index(op.f("ix_access_agreements_consumer"), table_name="access_agreements")
    op.drop_table("access_agreements")
    op.drop_index(op.f("ix_api_tokens_principal"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("principals")

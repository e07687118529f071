"""0001_core: the core tables of the registry (products, builds, runs, snapshots, checks, lineage,
certifications, the events outbox and product state).

A migration never imports the models: it describes the schema as it was at this revision.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Primary keys: 64-bit integers, plain INTEGER on SQLite (which only autoincrements that).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "builds",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=50), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_builds")),
    )
    op.create_index(op.f("ix_builds_status"), "builds", ["status"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("product", sa.String(length=401), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_product"), "events", ["product"], unique=False)
    op.create_index(op.f("ix_events_type"), "events", ["type"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("odps_id", sa.String(length=200), nullable=True),
        sa.Column("owner_team", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("latest_descriptor_version", sa.String(length=100), nullable=True),
        sa.Column("latest_descriptor_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("domain", "name", name=op.f("uq_products_domain_name")),
    )
    op.create_table(
        "contract_versions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("product_id", ID, nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("raw_yaml", sa.Text(), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_contract_versions_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_versions")),
        sa.UniqueConstraint(
            "contract_id", "fingerprint", name=op.f("uq_contract_versions_contract_id_fingerprint")
        ),
    )
    op.create_index(
        op.f("ix_contract_versions_contract_id"), "contract_versions", ["contract_id"], unique=False
    )
    op.create_index(
        op.f("ix_contract_versions_product_id"), "contract_versions", ["product_id"], unique=False
    )

    op.create_table(
        "descriptor_versions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("raw_yaml", sa.Text(), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_descriptor_versions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_descriptor_versions")),
        sa.UniqueConstraint(
            "product_id", "fingerprint", name=op.f("uq_descriptor_versions_product_id_fingerprint")
        ),
    )
    op.create_index(
        op.f("ix_descriptor_versions_product_id"), "descriptor_versions", ["product_id"], unique=False
    )

    op.create_table(
        "output_ports",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("contract_id", sa.String(length=300), nullable=True),
        sa.Column("contract_version", sa.String(length=100), nullable=True),
        sa.Column("table_uri", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_output_ports_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_output_ports")),
        sa.UniqueConstraint("product_id", "name", name=op.f("uq_output_ports_product_id_name")),
    )
    op.create_table(
        "product_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("build_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["build_id"], ["builds.id"], name=op.f("fk_product_runs_build_id_builds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_runs_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_runs")),
    )
    op.create_index(op.f("ix_product_runs_build_id"), "product_runs", ["build_id"], unique=False)
    op.create_index(
        "ix_product_runs_product_id_started_at", "product_runs", ["product_id", "started_at"], unique=False
    )
    op.create_index(op.f("ix_product_runs_status"), "product_runs", ["status"], unique=False)

    op.create_table(
        "product_state",
        sa.Column("product_id", ID, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_state_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_state")),
    )
    op.create_table(
        "certifications",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("certified_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_certifications_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["product_runs.id"],
            name=op.f("fk_certifications_run_id_product_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
    )
    op.create_index(
        "ix_certifications_product_id_certified_at",
        "certifications",
        ["product_id", "certified_at"],
        unique=False,
    )

    op.create_table(
        "check_results",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("port", sa.String(length=200), nullable=True),
        sa.Column("rule_id", sa.String(length=300), nullable=True),
        sa.Column("rule_name", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=100), nullable=True),
        sa.Column("element", sa.String(length=500), nullable=True),
        sa.Column("dimension", sa.String(length=100), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("metric_value", sa.Float(), nullable=True),
        sa.Column("operator", sa.String(length=50), nullable=True),
        sa.Column("threshold", sa.JSON(), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["product_runs.id"],
            name=op.f("fk_check_results_run_id_product_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    op.create_index(op.f("ix_check_results_run_id"), "check_results", ["run_id"], unique=False)
    op.create_index(op.f("ix_check_results_status"), "check_results", ["status"], unique=False)

    op.create_table(
        "lineage_edges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_dataset", sa.String(length=500), nullable=False),
        sa.Column("from_field", sa.String(length=300), nullable=True),
        sa.Column("to_dataset", sa.String(length=500), nullable=False),
        sa.Column("to_field", sa.String(length=300), nullable=True),
        sa.Column("transformation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["product_runs.id"],
            name=op.f("fk_lineage_edges_run_id_product_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_edges")),
    )
    op.create_index(op.f("ix_lineage_edges_from_dataset"), "lineage_edges", ["from_dataset"], unique=False)
    op.create_index(op.f("ix_lineage_edges_run_id"), "lineage_edges", ["run_id"], unique=False)
    op.create_index(op.f("ix_lineage_edges_to_dataset"), "lineage_edges", ["to_dataset"], unique=False)

    op.create_table(
        "snapshots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("port", sa.String(length=200), nullable=False),
        sa.Column("table_uri", sa.String(length=1000), nullable=False),
        sa.Column("delta_version", sa.BigInteger(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("schema_json", sa.JSON(), nullable=False),
        sa.Column("contract_id", sa.String(length=300), nullable=True),
        sa.Column("contract_version", sa.String(length=100), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("committed_at", TIMESTAMP, nullable=True),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("invalid_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_snapshots_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["product_runs.id"],
            name=op.f("fk_snapshots_run_id_product_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("table_uri", "delta_version", name=op.f("uq_snapshots_table_uri_delta_version")),
    )
    op.create_index("ix_snapshots_product_id_port", "snapshots", ["product_id", "port"], unique=False)
    op.create_index(op.f("ix_snapshots_run_id"), "snapshots", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_snapshots_run_id"), table_name="snapshots")
    op.drop_index("ix_snapshots_product_id_port", table_name="snapshots")

    op.drop_table("snapshots")
    op.drop_index(op.f("ix_lineage_edges_to_dataset"), table_name="lineage_edges")
    op.drop_index(op.f("ix_lineage_edges_run_id"), table_name="lineage_edges")
    op.drop_index(op.f("ix_lineage_edges_from_dataset"), table_name="lineage_edges")

    op.drop_table("lineage_edges")
    op.drop_index(op.f("ix_check_results_status"), table_name="check_results")
    op.drop_index(op.f("ix_check_results_run_id"), table_name="check_results")

    op.drop_table("check_results")
    op.drop_index("ix_certifications_product_id_certified_at", table_name="certifications")

    op.drop_table("certifications")
    op.drop_table("product_state")
    op.drop_index(op.f("ix_product_runs_status"), table_name="product_runs")
    op.drop_index("ix_product_runs_product_id_started_at", table_name="product_runs")
    op.drop_index(op.f("ix_product_runs_build_id"), table_name="product_runs")

    op.drop_table("product_runs")
    op.drop_table("output_ports")
    op.drop_index(op.f("ix_descriptor_versions_product_id"), table_name="descriptor_versions")

    op.drop_table("descriptor_versions")
    op.drop_index(op.f("ix_contract_versions_product_id"), table_name="contract_versions")
    op.drop_index(op.f("ix_contract_versions_contract_id"), table_name="contract_versions")

    op.drop_table("contract_versions")
    op.drop_table("products")
    op.drop_index(op.f("ix_events_type"), table_name="events")
    op.drop_index(op.f("ix_events_product"), table_name="events")

    op.drop_table("events")
    op.drop_index(op.f("ix_builds_status"), table_name="builds")

    op.drop_table("builds")

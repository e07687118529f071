"""Snapshots: committed Delta versions of output ports, as recorded after publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class Snapshot(Base):
    """One published version of an output port (a Delta table version).

    ``valid`` becomes false when reconciliation finds the Delta version missing from the table log;
    ``invalid_reason`` says why.
    """

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("table_uri", "delta_version"),
        Index("ix_snapshots_product_id_port", "product_id", "port"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("product_runs.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    port: Mapped[str] = mapped_column(String(200))
    table_uri: Mapped[str] = mapped_column(String(1000))
    delta_version: Mapped[int] = mapped_column(BigInteger)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    schema_json: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contract_id: Mapped[str | None] = mapped_column(String(300))
    contract_version: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    committed_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    invalid_reason: Mapped[str | None] = mapped_column(Text)

"""Builds (one ``quanta build`` invocation) and product runs (one product within a build)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base


class Build(Base):
    """One build of the mesh. ``status``: running, succeeded, warned, blocked, failed.

    ``host`` and ``pid`` identify the builder process, so that reconciliation can tell an interrupted
    build from one still running.
    """

    __tablename__ = "builds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), index=True)
    trigger: Mapped[str] = mapped_column(String(50), default="cli")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class ProductRun(Base):
    """One product within a build.

    ``status``: running, passed, warned, blocked, failed, skipped, unchanged. ``steps`` maps a step name
    (resolve, transform, gate, publish, record, lineage) to its duration in seconds.
    """

    __tablename__ = "product_runs"
    __table_args__ = (Index("ix_product_runs_product_id_started_at", "product_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    build_id: Mapped[str] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

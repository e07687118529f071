"""Results of contract checks, one row per rule evaluated in a run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class CheckResult(Base):
    """One check of a contract on one run's staged output.

    ``status`` is one of passed, failed, error, skipped, manual, not_evaluated; ``threshold`` keeps the
    rule's bound as JSON (a number, or ``[low, high]`` for ``mustBeBetween``); ``duration_ms`` in
    milliseconds.
    """

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("product_runs.id", ondelete="CASCADE"), index=True)
    port: Mapped[str | None] = mapped_column(String(200))
    rule_id: Mapped[str | None] = mapped_column(String(300))
    rule_name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(100))
    element: Mapped[str | None] = mapped_column(String(500))
    dimension: Mapped[str | None] = mapped_column(String(100))
    severity: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    metric_value: Mapped[float | None] = mapped_column(Float)
    operator: Mapped[str | None] = mapped_column(String(50))
    threshold: Mapped[Any | None] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(50))
    message: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)

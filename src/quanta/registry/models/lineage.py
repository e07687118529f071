"""Lineage edges recorded by runs: product level (dataset to dataset) and column level."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class LineageEdge(Base):
    """An edge ``from_dataset[.from_field] -> to_dataset[.to_field]`` recorded by a run.

    Datasets are named like OpenLineage dataset names (``domain.product.port`` for a published port,
    ``source.<name>`` for a source contract); ``kind`` is ``product`` or ``column``.
    """

    __tablename__ = "lineage_edges"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("product_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_dataset: Mapped[str] = mapped_column(String(500), index=True)
    from_field: Mapped[str | None] = mapped_column(String(300))
    to_dataset: Mapped[str] = mapped_column(String(500), index=True)
    to_field: Mapped[str | None] = mapped_column(String(300))
    transformation: Mapped[str | None] = mapped_column(Text)

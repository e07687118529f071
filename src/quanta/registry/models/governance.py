"""Certifications of products (the governance engineer fills ``report``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class Certification(Base):
    """The certification of a product version: ``status`` is ``OK`` or ``NOT COMPLIANT``."""

    __tablename__ = "certifications"
    __table_args__ = (Index("ix_certifications_product_id_certified_at", "product_id", "certified_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    version: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("product_runs.id", ondelete="SET NULL"))
    certified_at: Mapped[datetime]

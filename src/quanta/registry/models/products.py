"""Products, their descriptor and contract versions, output ports and operational state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK, utcnow


class Product(Base):
    """A data product of the mesh (ODPS descriptor ``domain``/``name``), one row per product."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("domain", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    odps_id: Mapped[str | None] = mapped_column(String(200))
    owner_team: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    latest_descriptor_version: Mapped[str | None] = mapped_column(String(100))
    latest_descriptor_fingerprint: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DescriptorVersion(Base):
    """One distinct ODPS descriptor text of a product (raw YAML kept verbatim), by fingerprint."""

    __tablename__ = "descriptor_versions"
    __table_args__ = (UniqueConstraint("product_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    version: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(128))
    raw_yaml: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContractVersion(Base):
    """One distinct ODCS contract text (raw YAML kept verbatim), by contract ``id`` and fingerprint.

    ``kind`` is ``output`` (named by an output port), ``source`` (describes raw data) or ``input``.
    """

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="output")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(128))
    raw_yaml: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutputPort(Base):
    """An ODPS output port of a product: its contract and the Delta table that publishes it."""

    __tablename__ = "output_ports"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(100))
    contract_id: Mapped[str | None] = mapped_column(String(300))
    contract_version: Mapped[str | None] = mapped_column(String(100))
    table_uri: Mapped[str | None] = mapped_column(Text)


class ProductState(Base):
    """Operational state of a product set by people or the API: paused flag and configuration.

    ``row_version`` is SQLAlchemy's version counter: an update based on a stale read fails instead of
    silently overwriting a concurrent change.
    """

    __tablename__ = "product_state"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012

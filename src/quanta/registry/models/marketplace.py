"""The marketplace's own records: usage counts and webhook subscriptions (owned by ``quanta.api``).

Usage is counted per product, port, principal, kind (``consume`` or ``query``) and UTC day, so the counts
survive a restart of ``quanta serve`` and are shared by several server processes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base


class UsageCount(Base):
    """Uses of one port by one principal on one day: how many requests and how many rows served."""

    __tablename__ = "usage_counts"

    product: Mapped[str] = mapped_column(String(401), primary_key=True)
    port: Mapped[str] = mapped_column(String(200), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookSubscription(Base):
    """A product gateway event subscription: events of ``product`` are POSTed to ``endpoint``."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    product: Mapped[str] = mapped_column(String(401), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    principal: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

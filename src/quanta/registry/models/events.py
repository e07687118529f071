"""The events outbox: every state change the API's ``GET /events?after=ID`` feed publishes.

Events are written in the same transaction as the change they describe, so the feed never shows a change
that was rolled back nor misses one that was committed. Ids only grow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class Event(Base):
    """One event: ``type`` such as ``run.finished``; ``product`` is ``domain.name`` when it concerns one."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    product: Mapped[str | None] = mapped_column(String(401), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]

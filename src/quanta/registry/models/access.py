"""Access tables: principals, hashed API tokens, access agreements, their transitions, the audit log.

Written by :mod:`quanta.access` (the access service); the registry holds them so that the CLI, the API
and the build share one record. A token is never stored in clear: only a per-token salt and the
HMAC-SHA256 digest of its secret. The audit log is append-only (database triggers refuse ``UPDATE`` and
``DELETE``; see migration ``0002_access``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base, BigIntPK


class Principal(Base):
    """A user, team or service account known to the registry (teams and members also come from the mesh).

    ``kind`` is ``user``, ``team`` or ``service``.
    """

    __tablename__ = "principals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class ApiToken(Base):
    """An API token: ``id`` is the public part of the token, ``digest`` the HMAC-SHA256 of its secret.

    A token reads ``qt_<id>_<secret>``; ``salt`` is random per token (hex). ``revoked_at`` ends it.
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200), index=True)
    salt: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AccessAgreement(Base):
    """A data usage agreement between a consumer and one output port (``domain.product.port``).

    ``state`` is requested, approved, rejected, active, expired or revoked; ``contract_version`` is the
    version it was approved (or last re-approved) on; ``ends_at`` is the optional end date (UTC).
    """

    __tablename__ = "access_agreements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(200), index=True)
    consumer_kind: Mapped[str] = mapped_column(String(20))
    port: Mapped[str] = mapped_column(String(600), index=True)
    port_version: Mapped[str] = mapped_column(String(50))
    contract_id: Mapped[str] = mapped_column(String(300))
    contract_version: Mapped[str] = mapped_column(String(50))
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    pii: Mapped[bool] = mapped_column(Boolean, default=False)
    row_filter: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(200))


class AgreementTransition(Base):
    """One change of an agreement's state: who (``actor``), when (``at``), why (``reason``)."""

    __tablename__ = "agreement_transitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("access_agreements.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)


class AuditRecord(Base):
    """One access decision, appended and never changed.

    ``action`` is ``query``, ``request``, ``approve``, ``reject``, ``revoke``, ``token`` ...; ``decision``
    is ``allow`` or ``deny``; ``ports`` lists ``domain.product.port`` names; ``columns`` maps each port
    to the columns read and ``masked`` to those masked; ``statement_hash`` is the SHA-256 of the SQL.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    principal: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(50))
    decision: Mapped[str] = mapped_column(String(10), index=True)
    ports: Mapped[list[Any]] = mapped_column(JSON, default=list)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    masked: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str | None] = mapped_column(Text)
    statement_hash: Mapped[str | None] = mapped_column(String(64))
    agreements: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)

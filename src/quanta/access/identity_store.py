"""The identity and audit half of the access layer's persistence: principals, API tokens, audit log.

:class:`IdentityStore` is the base of :class:`quanta.access.store.AccessStore`; the records it returns
(:class:`AuditEntry`, :class:`StoredToken`) never hold a token's secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["AuditEntry", "IdentityStore", "StoredToken", "utcnow"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One access decision as recorded in the audit log.

    Attributes:
        principal: who asked.
        action: ``query``, ``request``, ``approve``, ``reject``, ``revoke``, ``reapprove``, ``token``.
        decision: ``allow`` or ``deny``.
        ports: the ``domain.product.port`` names concerned.
        columns: per port, the columns read.
        masked: per port, the columns masked.
        purpose: the purpose(s) of the agreements used, or of the request.
        statement_hash: SHA-256 of the SQL statement (queries only).
        agreements: ids of the agreements that granted the access or were changed.
        reason: why it was denied, or what was done.
        at: when (UTC).
        id: the log's sequence number (``None`` before it is stored).
    """

    principal: str
    action: str
    decision: str
    ports: tuple[str, ...] = ()
    columns: dict[str, list[str]] = field(default_factory=dict)
    masked: dict[str, list[str]] = field(default_factory=dict)
    purpose: str | None = None
    statement_hash: str | None = None
    agreements: tuple[str, ...] = ()
    reason: str | None = None
    at: datetime | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``quanta audit --format json`` and the HTTP API."""
        return {
            "id": self.id,
            "at": None if self.at is None else self.at.isoformat().replace("+00:00", "Z"),
            "principal": self.principal,
            "action": self.action,
            "decision": self.decision,
            "ports": list(self.ports),
            "columns": self.columns,
            "masked": self.masked,
            "purpose": self.purpose,
            "statementHash": self.statement_hash,
            "agreements": list(self.agreements),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token's stored record (no secret).

    Attributes:
        id: the public id.
        principal: the principal it acts as.
        salt: per-token salt (hex).
        digest: HMAC-SHA256 of the secret (hex).
        label: a free label.
        created_at: creation time (UTC).
        expires_at: expiry, or ``None``.
        revoked_at: revocation time, or ``None``.
    """

    id: str
    principal: str
    salt: str
    digest: str
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def utcnow() -> datetime:
    """The current time, time-zone aware, in UTC."""
    return datetime.now(UTC)


class IdentityStore:
    """Reads and writes principals, tokens and the audit log of one registry.

    Args:
        engine: the registry's SQLAlchemy engine (the schema is already migrated to ``0002_access``).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _session(self, *, write: bool = False):
        from sqlalchemy.orm import Session

        bind = self.engine.execution_options(quanta_write=True) if write else self.engine
        return Session(bind, expire_on_commit=False)

    # -- principals -------------------------------------------------------------------------------

    def add_principal(self, name: str, kind: str) -> None:
        """Record a principal (idempotent; an existing one keeps its kind)."""
        from sqlalchemy import select

        from quanta.registry.models.access import Principal

        with self._session(write=True) as session, session.begin():
            if session.scalar(select(Principal).where(Principal.name == name)) is None:
                session.add(Principal(name=name, kind=kind, created_at=utcnow()))

    def principal_kind(self, name: str) -> str | None:
        """Return the kind of a recorded principal, or ``None``."""
        from sqlalchemy import select

        from quanta.registry.models.access import Principal

        with self._session() as session:
            return session.scalar(select(Principal.kind).where(Principal.name == name))

    def principals(self) -> list[tuple[str, str]]:
        """Return every recorded principal as ``(name, kind)``, sorted by name."""
        from sqlalchemy import select

        from quanta.registry.models.access import Principal

        with self._session() as session:
            return [
                (row.name, row.kind)
                for row in session.execute(select(Principal).order_by(Principal.name)).scalars()
            ]

    # -- tokens -----------------------------------------------------------------------------------

    def add_token(
        self,
        token_id: str,
        principal: str,
        salt: str,
        digest: str,
        *,
        label: str | None,
        expires_at: datetime | None,
    ) -> None:
        """Store a token's public id, salt and digest."""
        from quanta.registry.models.access import ApiToken

        with self._session(write=True) as session, session.begin():
            session.add(
                ApiToken(
                    id=token_id,
                    principal=principal,
                    salt=salt,
                    digest=digest,
                    label=label,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
            )

    def token(self, token_id: str) -> StoredToken | None:
        """Return the stored token ``token_id``, or ``None``."""
        from quanta.registry.models.access import ApiToken

        with self._session() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                return None
            return StoredToken(
                row.id,
                row.principal,
                row.salt,
                row.digest,
                row.label,
                row.created_at,
                row.expires_at,
                row.revoked_at,
            )

    def touch_token(self, token_id: str) -> None:
        """Record that a token was just used."""
        from sqlalchemy import update

        from quanta.registry.models.access import ApiToken

        with self._session(write=True) as session, session.begin():
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed and was active."""
        from sqlalchemy import update

        from quanta.registry.models.access import ApiToken

        with self._session(write=True) as session, session.begin():
            result = session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return bool(result.rowcount)

    def tokens(self, principal: str | None = None) -> list[StoredToken]:
        """Return the stored tokens (optionally of one principal), newest first."""
        from sqlalchemy import select

        from quanta.registry.models.access import ApiToken

        query = select(ApiToken).order_by(ApiToken.created_at.desc())
        if principal is not None:
            query = query.where(ApiToken.principal == principal)
        with self._session() as session:
            return [
                StoredToken(
                    r.id, r.principal, r.salt, r.digest, r.label, r.created_at, r.expires_at, r.revoked_at
                )
                for r in session.execute(query).scalars()
            ]

    # -- audit ------------------------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> int:
        """Append one decision to the audit log and return its sequence number."""
        from quanta.registry.models.access import AuditRecord

        with self._session(write=True) as session, session.begin():
            row = AuditRecord(
                at=entry.at or utcnow(),
                principal=entry.principal,
                action=entry.action,
                decision=entry.decision,
                ports=list(entry.ports),
                columns=dict(entry.columns),
                masked=dict(entry.masked),
                purpose=entry.purpose,
                statement_hash=entry.statement_hash,
                agreements=list(entry.agreements),
                reason=entry.reason,
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def audit(
        self,
        *,
        principal: str | None = None,
        port: str | None = None,
        decision: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Return audit entries, newest first.

        Args:
            principal: only this principal's decisions.
            port: only decisions that concern this port.
            decision: ``allow`` or ``deny``.
            since: only decisions at or after this time.
            limit: at most this many entries.
        """
        from sqlalchemy import select

        from quanta.registry.models.access import AuditRecord

        query = select(AuditRecord).order_by(AuditRecord.id.desc())
        if principal is not None:
            query = query.where(AuditRecord.principal == principal)
        if decision is not None:
            query = query.where(AuditRecord.decision == decision)
        if since is not None:
            query = query.where(AuditRecord.at >= since)
        entries: list[AuditEntry] = []
        with self._session() as session:
            for row in session.execute(query).scalars():
                if port is not None and port not in (row.ports or []):
                    continue
                entries.append(
                    AuditEntry(
                        principal=row.principal,
                        action=row.action,
                        decision=row.decision,
                        ports=tuple(row.ports or ()),
                        columns=dict(row.columns or {}),
                        masked=dict(row.masked or {}),
                        purpose=row.purpose,
                        statement_hash=row.statement_hash,
                        agreements=tuple(row.agreements or ()),
                        reason=row.reason,
                        at=row.at,
                        id=int(row.id),
                    )
                )
                if len(entries) >= limit:
                    break
        return entries

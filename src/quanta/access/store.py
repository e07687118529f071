"""Persistence of the access layer in the registry (SQLAlchemy): principals, tokens, agreements, audit.

:class:`AccessStore` is the only module of :mod:`quanta.access` that talks to the database; it maps the
registry rows (:mod:`quanta.registry.models.access`) to the access layer's own records and back. Writes
run in short transactions (``BEGIN IMMEDIATE`` on SQLite, through the registry engine's ``quanta_write``
option) so that concurrent writers queue instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from quanta.access.agreements import Agreement, AgreementError, State, Transition

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["AccessStore", "AuditEntry", "StoredToken"]


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


def _now() -> datetime:
    return datetime.now(UTC)


class AccessStore:
    """Reads and writes the access tables of one registry.

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
                session.add(Principal(name=name, kind=kind, created_at=_now()))

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
                    created_at=_now(),
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
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=_now()))

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed and was active."""
        from sqlalchemy import update

        from quanta.registry.models.access import ApiToken

        with self._session(write=True) as session, session.begin():
            result = session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=_now())
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

    # -- agreements -------------------------------------------------------------------------------

    def insert_agreement(self, agreement: Agreement) -> None:
        """Store a new agreement and its transitions."""
        from quanta.registry.models.access import AccessAgreement

        with self._session(write=True) as session, session.begin():
            session.add(
                AccessAgreement(
                    id=agreement.id,
                    consumer=agreement.consumer,
                    consumer_kind=agreement.consumer_kind,
                    port=agreement.port,
                    port_version=agreement.port_version,
                    contract_id=agreement.contract_id,
                    contract_version=agreement.contract_version,
                    purpose=agreement.purpose,
                    state=agreement.state.value,
                    requested_by=agreement.requested_by,
                    created_at=agreement.created_at,
                    updated_at=agreement.transitions[-1].at
                    if agreement.transitions
                    else agreement.created_at,
                    ends_at=agreement.ends_at,
                    pii=agreement.pii,
                    row_filter=agreement.row_filter,
                    role=agreement.role,
                )
            )
            session.flush()
            session.add_all(_transition_rows(agreement.id, agreement.transitions))
            session.add(_event(agreement, agreement.transitions[-1] if agreement.transitions else None))

    def record_transitions(
        self, agreement: Agreement, transitions: Sequence[Transition], *, contract_version: str | None = None
    ) -> Agreement:
        """Append transitions to a stored agreement and move it to the last one's state.

        The update is conditional on the state the caller saw, so two approvers racing cannot both move
        the same agreement.

        Raises:
            AgreementError: the agreement changed state meanwhile (the message says to retry).
        """
        from sqlalchemy import update

        from quanta.registry.models.access import AccessAgreement

        if not transitions:
            return agreement
        last = transitions[-1]
        values: dict[str, Any] = {"state": last.to_state.value, "updated_at": last.at}
        if contract_version is not None:
            values["contract_version"] = contract_version
        with self._session(write=True) as session, session.begin():
            result = session.execute(
                update(AccessAgreement)
                .where(AccessAgreement.id == agreement.id, AccessAgreement.state == agreement.state.value)
                .values(**values)
            )
            if result.rowcount != 1:
                raise AgreementError(f"agreement {agreement.id} changed meanwhile; show it again and retry")
            session.add_all(_transition_rows(agreement.id, transitions))
            session.add(_event(agreement, last))
        agreement.state = last.to_state
        if contract_version is not None:
            agreement.contract_version = contract_version
        agreement.transitions.extend(transitions)
        return agreement

    def agreement(self, agreement_id: str) -> Agreement | None:
        """Return the agreement ``agreement_id`` (an unambiguous id prefix works too), or ``None``."""
        from sqlalchemy import select

        from quanta.registry.models.access import AccessAgreement

        with self._session() as session:
            row = session.get(AccessAgreement, agreement_id)
            if row is None and len(agreement_id) >= 6:
                rows = (
                    session.execute(
                        select(AccessAgreement)
                        .where(AccessAgreement.id.startswith(agreement_id, autoescape=True))
                        .limit(2)
                    )
                    .scalars()
                    .all()
                )
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                return None
            return self._load(session, [row])[0]

    def agreements(
        self,
        *,
        consumers: Iterable[str] | None = None,
        port: str | None = None,
        states: Iterable[State] | None = None,
    ) -> list[Agreement]:
        """Return agreements, newest first, optionally filtered by consumers, port and states."""
        from sqlalchemy import select

        from quanta.registry.models.access import AccessAgreement

        query = select(AccessAgreement).order_by(AccessAgreement.created_at.desc(), AccessAgreement.id)
        if consumers is not None:
            query = query.where(AccessAgreement.consumer.in_(list(consumers)))
        if port is not None:
            query = query.where(AccessAgreement.port == port)
        if states is not None:
            query = query.where(AccessAgreement.state.in_([state.value for state in states]))
        with self._session() as session:
            return self._load(session, session.execute(query).scalars().all())

    def active_grants(self, consumers: Iterable[str]) -> list[Agreement]:
        """Return the ``active`` agreements of ``consumers`` without their history (the query fast path).

        One pre-built Core statement, no ORM work: this runs before every query.
        """
        statement = _active_grants_statement()
        with self.engine.connect() as connection:
            rows = connection.execute(statement, {"consumers": list(consumers)}).all()
        return [
            Agreement(
                id=row.id,
                consumer=row.consumer,
                consumer_kind=row.consumer_kind,
                port=row.port,
                port_version=row.port_version,
                contract_id=row.contract_id,
                contract_version=row.contract_version,
                purpose=row.purpose,
                state=State.ACTIVE,
                requested_by=row.requested_by,
                created_at=row.created_at,
                ends_at=row.ends_at,
                pii=bool(row.pii),
                row_filter=row.row_filter,
                role=row.role,
            )
            for row in rows
        ]

    def _load(self, session, rows: Sequence[Any]) -> list[Agreement]:
        from sqlalchemy import select

        from quanta.registry.models.access import AgreementTransition

        if not rows:
            return []
        history: dict[str, list[Transition]] = {row.id: [] for row in rows}
        query = (
            select(AgreementTransition)
            .where(AgreementTransition.agreement_id.in_(list(history)))
            .order_by(AgreementTransition.id)
        )
        for t in session.execute(query).scalars():
            history[t.agreement_id].append(
                Transition(
                    t.action,
                    State(t.from_state) if t.from_state else None,
                    State(t.to_state),
                    t.actor,
                    t.at,
                    t.reason or "",
                )
            )
        return [
            Agreement(
                id=row.id,
                consumer=row.consumer,
                consumer_kind=row.consumer_kind,
                port=row.port,
                port_version=row.port_version,
                contract_id=row.contract_id,
                contract_version=row.contract_version,
                purpose=row.purpose,
                state=State(row.state),
                requested_by=row.requested_by,
                created_at=row.created_at,
                ends_at=row.ends_at,
                pii=bool(row.pii),
                row_filter=row.row_filter,
                role=row.role,
                transitions=history[row.id],
            )
            for row in rows
        ]

    # -- snapshots (read-only, from the build's tables) --------------------------------------------

    def snapshot_version(self, table_uri: str, port: str, build: str) -> int | None:
        """Return the Delta version of a port published by a build (or product run) id, or ``None``.

        Args:
            table_uri: the port's table location (``<storage>/<domain>/<product>/<port>``); a recorded
                URI matches when it ends with the same ``/<domain>/<product>/<port>``.
            port: the output port name.
            build: a build id or a product run id.
        """
        from sqlalchemy import or_, select

        from quanta.registry.models import ProductRun, Snapshot

        suffix = "/" + "/".join(table_uri.rstrip("/").split("/")[-3:])
        query = (
            select(Snapshot.table_uri, Snapshot.delta_version)
            .join(ProductRun, ProductRun.id == Snapshot.run_id)
            .where(Snapshot.port == port, Snapshot.valid.is_(True))
            .where(or_(ProductRun.build_id == build, ProductRun.id == build))
            .order_by(Snapshot.delta_version.desc())
        )
        with self._session() as session:
            for uri, version in session.execute(query):
                if uri.rstrip("/") == table_uri.rstrip("/") or uri.rstrip("/").endswith(suffix):
                    return int(version)
        return None

    # -- audit ------------------------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> int:
        """Append one decision to the audit log and return its sequence number."""
        from quanta.registry.models.access import AuditRecord

        with self._session(write=True) as session, session.begin():
            row = AuditRecord(
                at=entry.at or _now(),
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


def _event(agreement: Agreement, transition: Transition | None) -> Any:
    """The outbox event of an agreement change (``agreement.<action>``), for the API's event feed.

    External approval workflows follow ``agreement.request`` events and call approve/reject back.
    """
    from quanta.registry.models import Event

    action = transition.action if transition is not None else "request"
    return Event(
        type=f"agreement.{action}",
        product=".".join(agreement.port.split(".")[:2]),
        payload={
            "agreementId": agreement.id,
            "consumer": agreement.consumer,
            "port": agreement.port,
            "state": (transition.to_state if transition is not None else agreement.state).value,
            "actor": transition.actor if transition is not None else agreement.requested_by,
            "reason": transition.reason if transition is not None else "",
            "purpose": agreement.purpose,
        },
        created_at=transition.at if transition is not None else _now(),
    )


def _transition_rows(agreement_id: str, transitions: Iterable[Transition]) -> list[Any]:
    from quanta.registry.models.access import AgreementTransition

    return [
        AgreementTransition(
            agreement_id=agreement_id,
            action=t.action,
            from_state=t.from_state.value if t.from_state else None,
            to_state=t.to_state.value,
            actor=t.actor,
            at=t.at,
            reason=t.reason or None,
        )
        for t in transitions
    ]


@cache
def _active_grants_statement() -> Any:
    from sqlalchemy import bindparam, select

    from quanta.registry.models.access import AccessAgreement

    table = AccessAgreement.__table__
    return select(table).where(
        table.c.state == State.ACTIVE.value, table.c.consumer.in_(bindparam("consumers", expanding=True))
    )

"""Persistence of the access layer in the registry (SQLAlchemy): principals, tokens, agreements, audit.

:class:`AccessStore` is the only module of :mod:`quanta.access` that talks to the database; it maps the
registry rows (:mod:`quanta.registry.models.access`) to the access layer's own records and back. Writes
run in short transactions (``BEGIN IMMEDIATE`` on SQLite, through the registry engine's ``quanta_write``
option) so that concurrent writers queue instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from quanta.access.agreements import Agreement, AgreementError, State, Transition
from quanta.access.identity_store import AuditEntry, IdentityStore, StoredToken, utcnow

__all__ = ["AccessStore", "AuditEntry", "StoredToken"]


class AccessStore(IdentityStore):
    """Reads and writes the access tables of one registry: agreements (here), principals, tokens and the
    audit log (:class:`~quanta.access.identity_store.IdentityStore`).

    Args:
        engine: the registry's SQLAlchemy engine (the schema is already migrated to ``0002_access``).
    """

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
        return [_agreement(row, State.ACTIVE) for row in rows]

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
        return [_agreement(row, State(row.state), history[row.id]) for row in rows]

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
        created_at=transition.at if transition is not None else utcnow(),
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


def _agreement(row: Any, state: State, transitions: list[Transition] | None = None) -> Agreement:
    """Build an :class:`Agreement` from a row of the agreements table (ORM object or Core row)."""
    return Agreement(
        id=row.id,
        consumer=row.consumer,
        consumer_kind=row.consumer_kind,
        port=row.port,
        port_version=row.port_version,
        contract_id=row.contract_id,
        contract_version=row.contract_version,
        purpose=row.purpose,
        state=state,
        requested_by=row.requested_by,
        created_at=row.created_at,
        ends_at=row.ends_at,
        pii=bool(row.pii),
        row_filter=row.row_filter,
        role=row.role,
        transitions=list(transitions or []),
    )

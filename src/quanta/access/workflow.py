"""The agreement workflow of the access service: request, approve, reject, revoke, expire, list.

:class:`AgreementWorkflow` holds the methods of :class:`quanta.access.service.AccessService` that move
agreements through their states (see :mod:`quanta.access.agreements` for the state machine and the
approval rules); every step is stored with who, when and why, and audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from quanta.access.agreements import (
    Agreement,
    AgreementError,
    State,
    Transition,
    approval_step,
    as_utc,
    can_approve,
    check_transition,
    is_auto_approved,
)
from quanta.errors import AccessDenied

if TYPE_CHECKING:
    from quanta.access.authorizer import PrincipalRef
    from quanta.access.catalog import AccessCatalog
    from quanta.access.store import AccessStore

__all__ = ["SYSTEM_ACTOR", "AgreementWorkflow"]

#: The actor recorded for automatic transitions (auto-approval, activation, expiry).
SYSTEM_ACTOR = "quanta"


class AgreementWorkflow:
    """Agreement operations of the access service (a base class of ``AccessService``).

    Attributes:
        catalog: the mesh's ports, teams and approvers.
        store: the registry tables of the access layer.
    """

    catalog: AccessCatalog
    store: AccessStore

    def principal(self, name: str) -> PrincipalRef:  # pragma: no cover - provided by AccessService
        """Resolve a principal (see :meth:`AccessService.principal`)."""
        raise NotImplementedError

    def _audit(self, principal: str, action: str, decision: str, **fields: Any) -> int:  # pragma: no cover
        raise NotImplementedError

    def request(
        self,
        consumer: str,
        port: str,
        purpose: str,
        *,
        requested_by: str | None = None,
        ends_at: datetime | str | None = None,
        pii: bool = False,
        row_filter: str | None = None,
        role: str | None = None,
    ) -> Agreement:
        """File an access request; it is approved and activated at once when auto-approval applies.

        Args:
            consumer: who will read: a user, a team, or a service account / product ``domain.product``.
            port: ``domain.product.port``.
            purpose: why (required; recorded and shown to approvers).
            requested_by: who files it (default: the consumer); must be the consumer, a member of the
                consumer team, or a member of the consuming product's owner team.
            ends_at: optional end date (UTC; a ``datetime`` or an ISO date/time string); the agreement
                expires then.
            pii: ask for sensitive values unmasked.
            row_filter: a DuckDB condition on the port's columns restricting the rows.
            role: an ODCS ``roles[].role`` of the contract, if the request is for one.

        Returns:
            The agreement (``requested``, or ``active`` when auto-approved).

        Raises:
            UnknownPort, UnknownPrincipal: the port or consumer is unknown.
            AgreementError: no purpose, an end date in the past, an unknown role, an invalid row filter.
            AccessDenied: ``requested_by`` may not request for ``consumer``.
        """
        from quanta.access.masking import validate_row_filter

        info = self.catalog.port(port)
        who = self.principal(consumer)
        actor = requested_by or consumer
        if not purpose or not purpose.strip():
            raise AgreementError("a purpose is required: say what the data will be used for (--purpose)")
        now = datetime.now(UTC)
        if isinstance(ends_at, str):
            ends_at = _parse_end(ends_at) if ends_at.strip() else None
        if ends_at is not None and as_utc(ends_at) <= now:
            raise AgreementError(f"the end date {ends_at.isoformat()} is in the past")
        if role is not None and role not in {str(r.get("role")) for r in info.roles}:
            known = ", ".join(str(r.get("role")) for r in info.roles) or "none"
            raise AgreementError(f"the contract of {info.key} has no role {role!r} (roles: {known})")
        if row_filter and info.columns:
            validate_row_filter(row_filter, [column.name for column in info.columns])
        if not self._may_act_for(actor, who):
            self._audit(
                actor, "request", "deny", ports=(info.key,), purpose=purpose, reason="not the consumer"
            )
            raise AccessDenied(
                f"{actor} may not request access for {consumer}: "
                "request for yourself or for a team you belong to"
            )
        agreement = Agreement(
            id=str(uuid.uuid4()),
            consumer=who.name,
            consumer_kind=who.kind,
            port=info.key,
            port_version=info.version,
            contract_id=info.contract_id,
            contract_version=info.contract_version,
            purpose=purpose.strip(),
            state=State.REQUESTED,
            requested_by=actor,
            created_at=now,
            ends_at=ends_at,
            pii=pii,
            row_filter=row_filter or None,
            role=role,
            transitions=[Transition("request", None, State.REQUESTED, actor, now, purpose.strip())],
        )
        auto = is_auto_approved(self.catalog, info, who.name)
        if auto:
            agreement.transitions.append(
                Transition("approve", State.REQUESTED, State.APPROVED, SYSTEM_ACTOR, now, auto)
            )
            agreement.transitions.append(
                Transition("activate", State.APPROVED, State.ACTIVE, SYSTEM_ACTOR, now, auto)
            )
            agreement.state = State.ACTIVE
        self.store.insert_agreement(agreement)
        self._audit(
            actor,
            "request",
            "allow",
            ports=(info.key,),
            purpose=agreement.purpose,
            agreements=(agreement.id,),
            reason=auto or "awaiting approval",
        )
        return agreement

    def approve(self, agreement_id: str, actor: str, reason: str = "") -> Agreement:
        """Approve a request (first or second level), or re-approve an agreement after a major change.

        Returns:
            The agreement: ``active`` once fully approved, still ``requested`` after a first of two
            approvals.

        Raises:
            AccessDenied: ``actor`` is not an approver (at the level the request is at).
            AgreementError: the agreement cannot be approved in its state.
        """
        agreement = self.get(agreement_id)
        info = self.catalog.port(agreement.port)
        now = datetime.now(UTC)
        try:
            if agreement.state is State.ACTIVE:
                if not agreement.needs_reapproval(info):
                    raise AgreementError(f"agreement {agreement.id} is active and needs no re-approval")
                if not can_approve(self.catalog, info, actor, level=1):
                    raise AccessDenied(f"{actor} may not re-approve access to {info.key}")
                step = Transition(
                    "reapprove",
                    State.ACTIVE,
                    State.ACTIVE,
                    actor,
                    now,
                    reason or f"re-approved for contract version {info.contract_version}",
                )
                result = self.store.record_transitions(
                    agreement, [step], contract_version=info.contract_version
                )
            else:
                check_transition(agreement, "approve")
                action = approval_step(self.catalog, info, agreement, actor)
                if action == "approve-first-level":
                    steps = [
                        Transition(
                            action,
                            State.REQUESTED,
                            State.REQUESTED,
                            actor,
                            now,
                            reason or "first-level approval",
                        )
                    ]
                else:
                    steps = [
                        Transition(
                            "approve", State.REQUESTED, State.APPROVED, actor, now, reason or "approved"
                        ),
                        Transition("activate", State.APPROVED, State.ACTIVE, SYSTEM_ACTOR, now, "approved"),
                    ]
                result = self.store.record_transitions(
                    agreement, steps, contract_version=info.contract_version
                )
        except AccessDenied as error:
            self._audit(
                actor, "approve", "deny", ports=(info.key,), agreements=(agreement.id,), reason=error.message
            )
            raise
        self._audit(
            actor,
            "approve",
            "allow",
            ports=(info.key,),
            purpose=agreement.purpose,
            agreements=(agreement.id,),
            reason=result.transitions[-1].action,
        )
        return result

    def reject(self, agreement_id: str, actor: str, reason: str) -> Agreement:
        """Reject a request (an approver of the port; ``reason`` is required).

        Raises:
            AccessDenied: ``actor`` is not an approver.
            AgreementError: no reason, or the agreement is not ``requested``.
        """
        if not reason or not reason.strip():
            raise AgreementError("a reason is required to reject a request (--reason)")
        agreement = self.get(agreement_id)
        info = self.catalog.port(agreement.port)
        check_transition(agreement, "reject")
        if not (
            can_approve(self.catalog, info, actor, level=1) or can_approve(self.catalog, info, actor, level=2)
        ):
            self._audit(
                actor,
                "reject",
                "deny",
                ports=(info.key,),
                agreements=(agreement.id,),
                reason="not an approver",
            )
            raise AccessDenied(f"{actor} may not reject requests for {info.key}: only its approvers can")
        step = Transition("reject", State.REQUESTED, State.REJECTED, actor, datetime.now(UTC), reason.strip())
        result = self.store.record_transitions(agreement, [step])
        self._audit(
            actor, "reject", "allow", ports=(info.key,), agreements=(agreement.id,), reason=reason.strip()
        )
        return result

    def revoke(self, agreement_id: str, actor: str, reason: str) -> Agreement:
        """Revoke an agreement (or withdraw a request): the consumer, its requester, or an approver.

        Takes effect on the consumer's next query.

        Raises:
            AccessDenied: ``actor`` is none of those.
            AgreementError: no reason, or the agreement is already final.
        """
        if not reason or not reason.strip():
            raise AgreementError("a reason is required to revoke an agreement (--reason)")
        agreement = self.get(agreement_id)
        info = self.catalog.port(agreement.port)
        target = check_transition(agreement, "revoke")
        allowed = (
            actor == agreement.requested_by
            or self.catalog.is_member(actor, agreement.consumer)
            or can_approve(self.catalog, info, actor, level=1)
            or can_approve(self.catalog, info, actor, level=2)
        )
        if not allowed:
            self._audit(
                actor, "revoke", "deny", ports=(info.key,), agreements=(agreement.id,), reason="not allowed"
            )
            raise AccessDenied(
                f"{actor} may not revoke agreement {agreement.id}: the consumer or an approver can"
            )
        step = Transition("revoke", agreement.state, target, actor, datetime.now(UTC), reason.strip())
        result = self.store.record_transitions(agreement, [step])
        self._audit(
            actor, "revoke", "allow", ports=(info.key,), agreements=(agreement.id,), reason=reason.strip()
        )
        return result

    def get(self, agreement_id: str) -> Agreement:
        """Return one agreement (expiring it first if its end date has passed).

        Raises:
            AgreementError: no agreement has that id (or id prefix).
        """
        agreement = self.store.agreement(agreement_id)
        if agreement is None:
            raise AgreementError(f"no access agreement {agreement_id!r}: `quanta access list` shows them")
        return self._expire([agreement])[0]

    def list(
        self,
        *,
        consumer: str | None = None,
        port: str | None = None,
        state: State | str | None = None,
        include_teams: bool = True,
    ) -> list[Agreement]:
        """Return agreements, newest first (expiring those past their end date).

        Args:
            consumer: only this consumer's (and, with ``include_teams``, its teams').
            port: only this port's.
            state: only agreements in this state.
            include_teams: with ``consumer``, include the agreements of the teams it belongs to.
        """
        consumers = None
        if consumer is not None:
            consumers = {consumer} | (set(self.catalog.teams_of(consumer)) if include_teams else set())
        found = self._expire(self.store.agreements(consumers=consumers, port=port))
        if state is not None:
            found = [a for a in found if a.state is State(state)]
        return found

    def pending_for(self, approver: str) -> list[Agreement]:
        """Return the open requests ``approver`` may approve now (their inbox)."""
        result = []
        for agreement in self.store.agreements(states=[State.REQUESTED]):
            info = self.catalog.ports.get(agreement.port)
            if info is None:
                continue
            level = 2 if (agreement.first_level_approver() and info.second_level_approvers) else 1
            if (
                can_approve(self.catalog, info, approver, level=level)
                and agreement.first_level_approver() != approver
            ):
                result.append(agreement)
        return result

    def list_agreements(self, *, consumer: str | None = None, port: str | None = None) -> list[Agreement]:
        """Return the agreements of ``consumer`` (and its teams) or of ``port``, newest first (API alias)."""
        return self.list(consumer=consumer, port=port)

    def transition(self, agreement_id: str, action: str, *, actor: str, reason: str = "") -> Agreement:
        """Apply ``approve``, ``reject`` or ``revoke`` to an agreement as ``actor`` (for the HTTP API).

        Raises:
            AgreementError: the action is unknown or not possible in the agreement's state.
            AccessDenied: ``actor`` may not do it.
        """
        if action == "approve":
            return self.approve(agreement_id, actor, reason)
        if action == "reject":
            return self.reject(agreement_id, actor, reason)
        if action == "revoke":
            return self.revoke(agreement_id, actor, reason)
        raise AgreementError(f"unknown action {action!r}: use approve, reject or revoke")

    def read_port(self, principal: str | PrincipalRef, port: str, *, limit: int | None = None) -> Any:
        """Read a port as ``principal`` would see it (masked, filtered, audited): a sample or an export.

        Args:
            principal: who reads.
            port: ``domain.product.port``.
            limit: at most this many rows (``None``: all).

        Returns:
            A ``pyarrow.RecordBatchReader`` over the rows, produced as it is read.

        Raises:
            AccessDenied, UnknownPort, SnapshotNotFound: as :meth:`query`.
        """
        import pyarrow as pa

        from quanta.access.enforce import port_statement

        stream = self.stream(principal, port_statement(self.catalog.port(port).key), limit=limit)  # type: ignore[attr-defined]
        return pa.RecordBatchReader.from_batches(stream.schema, iter(stream))

    def edges(self) -> list[tuple[str, str, str]]:
        """Return the mesh edges that agreements make: ``(consumer, port, agreement id)`` per active one.

        A consumer that is a product (``domain.product``) makes a product-to-product edge; ``quanta
        lineage`` can show these next to the edges of the input ports.
        """
        active = self._expire(self.store.agreements(states=[State.ACTIVE]))
        return [(a.consumer, a.port, a.id) for a in active if a.state is State.ACTIVE]

    # -- helpers --------------------------------------------------------------------------------------

    def _may_act_for(self, actor: str, consumer: PrincipalRef) -> bool:
        if actor == consumer.name or self.catalog.is_member(actor, consumer.name):
            return True
        if consumer.name in self.catalog.products:
            return any(self.catalog.is_member(actor, team) for team in consumer.teams)
        return False

    def _expire(self, agreements: list[Agreement]) -> list[Agreement]:
        now = datetime.now(UTC)
        for agreement in agreements:
            if agreement.state is State.ACTIVE and agreement.is_past_end(now):
                step = Transition(
                    "expire", State.ACTIVE, State.EXPIRED, SYSTEM_ACTOR, now, "the end date has passed"
                )
                try:
                    self.store.record_transitions(agreement, [step])
                except AgreementError:
                    fresh = self.store.agreement(agreement.id)
                    if fresh is not None:
                        agreement.state, agreement.transitions = fresh.state, fresh.transitions
        return agreements


def _parse_end(text: str) -> datetime:
    from quanta.spec.sunset import parse_moment

    moment = parse_moment(text)
    if moment is None:
        raise AgreementError(f"the end date {text!r} is not a date: use YYYY-MM-DD or an ISO timestamp")
    return moment

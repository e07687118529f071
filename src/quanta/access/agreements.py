"""Access agreements (data usage agreements) and their state machine.

An agreement lets one consumer (a user, a team, or a service account such as a consuming data product)
read one output port for a stated purpose::

    requested ──approve──▶ approved ──activate──▶ active ──(end date)──▶ expired
        │                     │                     └──revoke──▶ revoked
        ├──reject──▶ rejected └──revoke──▶ revoked
        └──revoke──▶ revoked   (the consumer withdraws the request)

Every transition is stored with who made it, when, and why (:class:`Transition`). Approval follows the
port: one approval by a member of the owner team or a ``firstLevelApprover`` of the contract's
``roles``; when the roles name ``secondLevelApprovers`` a second, different person among them must
approve too (the first approval is recorded as a ``requested → requested`` transition). Requests are
approved at once when the port or its contract sets ``quantaAutoApprove: true`` or when the consumer is
(a member of) the owner team. An approved agreement becomes active immediately.

An agreement records the contract id and version it was approved on. When the contract's *major*
version changes, the agreement stops granting access until an approver re-approves it
(``active → active``, action ``reapprove``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from quanta.access.catalog import AccessCatalog, PortInfo, major_of
from quanta.errors import AccessDenied, QuantaError

__all__ = [
    "Agreement",
    "AgreementError",
    "State",
    "Transition",
    "approval_levels",
    "as_utc",
    "can_approve",
    "check_transition",
    "is_auto_approved",
]


class AgreementError(QuantaError):
    """An agreement operation is not possible in the agreement's current state, or its input is invalid."""


class State(enum.StrEnum):
    """The states of an access agreement."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


#: Allowed moves: state → {action: next state}.
TRANSITIONS: dict[State, dict[str, State]] = {
    State.REQUESTED: {
        "approve": State.APPROVED,
        "approve-first-level": State.REQUESTED,
        "reject": State.REJECTED,
        "revoke": State.REVOKED,
    },
    State.APPROVED: {"activate": State.ACTIVE, "revoke": State.REVOKED},
    State.ACTIVE: {"expire": State.EXPIRED, "revoke": State.REVOKED, "reapprove": State.ACTIVE},
    State.REJECTED: {},
    State.EXPIRED: {},
    State.REVOKED: {},
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded change of an agreement.

    Attributes:
        action: ``request``, ``approve``, ``approve-first-level``, ``reject``, ``activate``, ``expire``,
            ``revoke`` or ``reapprove``.
        from_state: the state before (``None`` for the request that created it).
        to_state: the state after.
        actor: who made it (a principal name, or ``"quanta"`` for automatic steps).
        at: when (UTC).
        reason: why, in the actor's words or the system's.
    """

    action: str
    from_state: State | None
    to_state: State
    actor: str
    at: datetime
    reason: str = ""


@dataclass(slots=True)
class Agreement:
    """An access agreement between a consumer and one output port.

    Attributes:
        id: a UUID string.
        consumer: the consumer principal's name.
        consumer_kind: ``user``, ``team`` or ``service``.
        port: ``domain.product.port``.
        port_version: the ODPS output port ``version`` at request time.
        contract_id: the ODCS contract id the agreement was granted on.
        contract_version: the contract version it was granted (or last re-approved) on.
        purpose: why the consumer needs the data (required).
        state: the current state.
        requested_by: who filed the request (may differ from the consumer, e.g. a team member).
        created_at: when it was requested (UTC).
        ends_at: when it expires (UTC), or ``None``.
        pii: whether it grants access to sensitive values unmasked.
        row_filter: a DuckDB condition restricting the rows, or ``None``.
        role: the ODCS role requested, or ``None``.
        transitions: its history, oldest first.
    """

    id: str
    consumer: str
    consumer_kind: str
    port: str
    port_version: str
    contract_id: str
    contract_version: str
    purpose: str
    state: State
    requested_by: str
    created_at: datetime
    ends_at: datetime | None = None
    pii: bool = False
    row_filter: str | None = None
    role: str | None = None
    transitions: list[Transition] = field(default_factory=list)

    def is_past_end(self, now: datetime | None = None) -> bool:
        """Whether the end date has passed at ``now`` (UTC; the current time when ``None``)."""
        now = now or datetime.now(UTC)
        return self.ends_at is not None and as_utc(self.ends_at) <= now

    def needs_reapproval(self, port: PortInfo) -> bool:
        """Whether the port's contract moved to another major version since the agreement was approved."""
        return port.contract_id != self.contract_id or major_of(self.contract_version) != port.contract_major

    def first_level_approver(self) -> str | None:
        """Who gave the first of two approvals, if one was given and the request is still open."""
        if self.state is not State.REQUESTED:
            return None
        for transition in reversed(self.transitions):
            if transition.action == "approve-first-level":
                return transition.actor
        return None

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by ``--format json`` and the HTTP API."""
        return {
            "id": self.id,
            "consumer": self.consumer,
            "consumerKind": self.consumer_kind,
            "port": self.port,
            "portVersion": self.port_version,
            "contractId": self.contract_id,
            "contractVersion": self.contract_version,
            "purpose": self.purpose,
            "state": self.state.value,
            "requestedBy": self.requested_by,
            "createdAt": _iso(self.created_at),
            "endsAt": _iso(self.ends_at),
            "pii": self.pii,
            "rowFilter": self.row_filter,
            "role": self.role,
            "transitions": [
                {
                    "action": t.action,
                    "from": t.from_state.value if t.from_state else None,
                    "to": t.to_state.value,
                    "actor": t.actor,
                    "at": _iso(t.at),
                    "reason": t.reason,
                }
                for t in self.transitions
            ],
        }


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone: naive times (as SQLite returns them) are taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


def check_transition(agreement: Agreement, action: str) -> State:
    """Return the state ``action`` leads to from the agreement's current state.

    Raises:
        AgreementError: the action is not possible in the current state; the message lists what is.
    """
    moves = TRANSITIONS[agreement.state]
    if action not in moves:
        possible = ", ".join(sorted(moves)) or "nothing (it is final)"
        raise AgreementError(
            f"agreement {agreement.id} is {agreement.state.value}: cannot {action} it (possible: {possible})"
        )
    return moves[action]


def approval_levels(port: PortInfo) -> int:
    """Return how many approvals a request on ``port`` needs: 2 when the roles name second-level approvers."""
    return 2 if port.second_level_approvers else 1


def is_auto_approved(catalog: AccessCatalog, port: PortInfo, consumer: str) -> str | None:
    """Return why a request is approved without a person, or ``None`` when someone must approve it.

    Auto-approval applies when the port or its contract sets ``quantaAutoApprove: true``, or when the
    consumer is the owner team or one of its members.
    """
    if port.auto_approve:
        return "auto-approved: the port sets quantaAutoApprove"
    if catalog.is_member(consumer, port.owner):
        return f"auto-approved: the consumer is the owner team {port.owner!r}"
    return None


def can_approve(catalog: AccessCatalog, port: PortInfo, actor: str, *, level: int) -> bool:
    """Whether ``actor`` may give approval ``level`` (1 or 2) on ``port``.

    Level 1: a member of the owner team, or a ``firstLevelApprover`` (a user, or a member of a team
    named there). Level 2: a ``secondLevelApprover`` (same rule).
    """
    if level == 1:
        names: tuple[str | None, ...] = (port.owner, *port.first_level_approvers)
    else:
        names = tuple(port.second_level_approvers)
    return any(catalog.is_member(actor, name) for name in names)


def approval_step(catalog: AccessCatalog, port: PortInfo, agreement: Agreement, actor: str) -> str:
    """Return the action an approval by ``actor`` performs on a requested agreement.

    Returns:
        ``"approve"`` (the agreement becomes approved) or ``"approve-first-level"`` (first of two).

    Raises:
        AccessDenied: ``actor`` may not approve this request (at the level it is at).
    """
    levels = approval_levels(port)
    first = agreement.first_level_approver()
    if levels == 2 and first is not None:
        if actor == first:
            raise AccessDenied(
                f"{actor} already gave the first-level approval of {agreement.id}; a second-level approver "
                f"({', '.join(port.second_level_approvers)}) must give the second"
            )
        if not can_approve(catalog, port, actor, level=2):
            raise AccessDenied(
                f"{actor} is not a second-level approver of {port.key} "
                f"(secondLevelApprovers: {', '.join(port.second_level_approvers)})"
            )
        return "approve"
    if not can_approve(catalog, port, actor, level=1):
        approvers = ", ".join(name for name in (port.owner, *port.first_level_approvers) if name) or "nobody"
        raise AccessDenied(
            f"{actor} may not approve access to {port.key}: approvers are the owner team and the contract's "
            f"firstLevelApprovers ({approvers})"
        )
    return "approve-first-level" if levels == 2 else "approve"

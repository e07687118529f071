"""Access agreements through the service, on SQLite and PostgreSQL: the state machine, approvals,
auto-approval, revocation, expiry, re-approval after a major contract change, and their audit."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quanta.access.agreements import AgreementError, State
from quanta.access.catalog import UnknownPort
from quanta.access.service import AccessService, UnknownPrincipal
from quanta.errors import AccessDenied
from tests.access.meshes import _yaml, contract

FLIGHTS = "operations.flights.flights"
EMPLOYEES = "hr.people.employees"


def test_request_then_approve_records_every_transition(service) -> None:
    agreement = service.request("analytics", FLIGHTS, "route planning", requested_by="ana")
    assert agreement.state is State.REQUESTED
    assert agreement.contract_id == FLIGHTS and agreement.contract_version == "1.0.0"
    approved = service.approve(agreement.id, "olga", "ok for planning")
    assert approved.state is State.ACTIVE
    stored = service.get(agreement.id[:8])
    assert [(t.action, t.from_state, t.to_state, t.actor) for t in stored.transitions] == [
        ("request", None, State.REQUESTED, "ana"),
        ("approve", State.REQUESTED, State.APPROVED, "olga"),
        ("activate", State.APPROVED, State.ACTIVE, "quanta"),
    ]
    assert stored.transitions[1].reason == "ok for planning"
    assert all(t.at.tzinfo is not None for t in stored.transitions)


def test_agreements_of_consuming_products_are_mesh_edges(service) -> None:
    agreement = service.request(
        "operations.flights", "reference.carriers.carriers", "enrich", requested_by="olga"
    )
    assert service.edges() == []
    service.approve(agreement.id, "rita")
    assert service.edges() == [("operations.flights", "reference.carriers.carriers", agreement.id)]


def test_agreement_changes_feed_the_event_outbox(service) -> None:
    from quanta.registry import RegistryReader

    agreement = service.request("bob", FLIGHTS, "planning")
    service.approve(agreement.id, "olga")
    reader = RegistryReader(service.store.engine, str(service.store.engine.url))
    events = [e for e in reader.events() if e.type.startswith("agreement.")]
    assert [e.type for e in events] == ["agreement.request", "agreement.activate"]
    assert events[0].product == "operations.flights"
    assert events[0].payload["agreementId"] == agreement.id and events[1].payload["state"] == "active"


def test_purpose_is_required_and_names_are_checked(service) -> None:
    with pytest.raises(AgreementError, match="purpose"):
        service.request("ana", FLIGHTS, "  ")
    with pytest.raises(UnknownPort):
        service.request("ana", "operations.flights.nope", "x")
    with pytest.raises(UnknownPrincipal):
        service.request("mallory", FLIGHTS, "x")
    with pytest.raises(AgreementError, match="role"):
        service.request("ana", EMPLOYEES, "x", role="admin")
    with pytest.raises(AgreementError, match="past"):
        service.request("ana", FLIGHTS, "x", ends_at=datetime.now(UTC) - timedelta(days=1))


def test_only_members_request_for_a_team(service) -> None:
    with pytest.raises(AccessDenied):
        service.request("analytics", FLIGHTS, "x", requested_by="fiona")
    assert service.audit(limit=1)[0].decision == "deny"


def test_only_approvers_approve_and_rejection_is_final(service) -> None:
    agreement = service.request("bob", FLIGHTS, "curiosity")
    with pytest.raises(AccessDenied):
        service.approve(agreement.id, "bob")
    with pytest.raises(AccessDenied):
        service.approve(agreement.id, "fiona")
    with pytest.raises(AgreementError, match="reason"):
        service.reject(agreement.id, "olga", "")
    rejected = service.reject(agreement.id, "olga", "no business need")
    assert rejected.state is State.REJECTED
    with pytest.raises(AgreementError, match="rejected"):
        service.approve(agreement.id, "olga")
    denials = [e for e in service.audit(limit=20) if e.action == "approve" and e.decision == "deny"]
    assert {e.principal for e in denials} == {"bob", "fiona"}


def test_two_level_approval_needs_a_second_different_approver(service) -> None:
    agreement = service.request("ana", EMPLOYEES, "payroll audit", pii=True)
    first = service.approve(agreement.id, "fiona")
    assert first.state is State.REQUESTED
    assert first.first_level_approver() == "fiona"
    with pytest.raises(AccessDenied):
        service.query("ana", f"SELECT * FROM {EMPLOYEES}")
    with pytest.raises(AccessDenied, match="second-level"):
        service.approve(agreement.id, "fiona")
    assert [a.id for a in service.pending_for("gus")] == [agreement.id]
    second = service.approve(agreement.id, "gus")
    assert second.state is State.ACTIVE
    assert [t.action for t in second.transitions] == ["request", "approve-first-level", "approve", "activate"]
    assert service.query("ana", f"SELECT email FROM {EMPLOYEES}").table.num_rows == 3


def test_auto_approval_for_the_owner_team_and_by_custom_property(service) -> None:
    own = service.request("olga", FLIGHTS, "operations")
    assert own.state is State.ACTIVE and own.transitions[1].actor == "quanta"
    assert "owner team" in own.transitions[1].reason
    flagged = service.request("fiona", "operations.flights.delays", "cost report")
    assert flagged.state is State.ACTIVE and "quantaAutoApprove" in flagged.transitions[1].reason


def test_revocation_takes_effect_on_the_next_query(service) -> None:
    agreement = service.request("bob", FLIGHTS, "planning")
    service.approve(agreement.id, "olga")
    assert service.query("bob", f"SELECT count(*) AS n FROM {FLIGHTS}").table.column("n").to_pylist() == [4]
    with pytest.raises(AccessDenied):
        service.revoke(agreement.id, "fiona", "not yours")
    service.revoke(agreement.id, "olga", "project ended")
    with pytest.raises(AccessDenied, match="no active access agreement"):
        service.query("bob", f"SELECT count(*) FROM {FLIGHTS}")
    assert service.get(agreement.id).state is State.REVOKED
    last = service.audit(limit=1)[0]
    assert (last.principal, last.action, last.decision, last.ports) == ("bob", "query", "deny", (FLIGHTS,))


def test_expiry_takes_effect_on_the_next_query(service) -> None:
    ends = datetime.now(UTC) + timedelta(seconds=2)
    agreement = service.request("bob", FLIGHTS, "short look", ends_at=ends)
    service.approve(agreement.id, "olga")
    assert service.query("bob", f"SELECT count(*) FROM {FLIGHTS}").table.num_rows == 1
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.2)
    with pytest.raises(AccessDenied):
        service.query("bob", f"SELECT count(*) FROM {FLIGHTS}")
    expired = service.get(agreement.id)
    assert expired.state is State.EXPIRED
    assert expired.transitions[-1].actor == "quanta" and "end date" in expired.transitions[-1].reason


def test_a_major_contract_change_requires_reapproval(service, mesh: Path) -> None:
    agreement = service.request("bob", FLIGHTS, "planning")
    service.approve(agreement.id, "olga")
    contract_file = mesh / "domains/operations/flights/contracts/flights.odcs.yaml"
    _yaml(contract_file, contract(FLIGHTS, "1.1.0"))
    minor = AccessService(service.store.engine, mesh)
    assert minor.query("bob", f"SELECT count(*) FROM {FLIGHTS}").table.num_rows == 1
    _yaml(contract_file, contract(FLIGHTS, "2.0.0"))
    major = AccessService(service.store.engine, mesh)
    with pytest.raises(AccessDenied, match="re-approved"):
        major.query("bob", f"SELECT count(*) FROM {FLIGHTS}")
    with pytest.raises(AccessDenied):
        major.approve(agreement.id, "bob")
    again = major.approve(agreement.id, "olga", "checked the breaking change")
    assert again.state is State.ACTIVE and again.contract_version == "2.0.0"
    assert again.transitions[-1].action == "reapprove"
    assert major.query("bob", f"SELECT count(*) FROM {FLIGHTS}").table.num_rows == 1


def test_row_filter_of_the_agreement_is_applied(service) -> None:
    agreement = service.request("bob", FLIGHTS, "JFK only", row_filter="origin = 'JFK'")
    service.approve(agreement.id, "olga")
    rows = service.query("bob", f"SELECT flight, origin FROM {FLIGHTS} ORDER BY flight").table.to_pylist()
    assert rows == [{"flight": 1, "origin": "JFK"}, {"flight": 3, "origin": "JFK"}]


def test_the_audit_log_is_append_only(service) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    service.request("olga", FLIGHTS, "operations")
    with pytest.raises(DBAPIError, match="append-only"), service.store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET decision = 'allow'"))
    with pytest.raises(DBAPIError, match="append-only"), service.store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    assert len(service.audit()) >= 1


def test_custom_cedar_policy_of_the_mesh_is_enforced(mesh: Path, service) -> None:
    folder = mesh / "policies" / "access"
    folder.mkdir(parents=True)
    (folder / "no-hr-pii-for-analytics.cedar").write_text(
        "// Analysts never see HR personal data, whatever the agreement says.\n"
        'forbid (principal in Quanta::Team::"analytics", action == Quanta::Action::"readPii",\n'
        '        resource in Quanta::Domain::"hr");\n'
    )
    strict = AccessService(service.store.engine, mesh)
    agreement = strict.request("ana", EMPLOYEES, "payroll audit", pii=True)
    strict.approve(agreement.id, "fiona")
    strict.approve(agreement.id, "gus")
    result = strict.query("ana", f"SELECT email FROM {EMPLOYEES}")
    assert result.masked == {EMPLOYEES: ["email"]}
    assert "no-hr-pii-for-analytics.cedar" in strict.policies()

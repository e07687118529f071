"""Enforced queries end to end: escapes refused and audited, time travel, tokens, the Python session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import quanta
from quanta.access.guard import QueryRefused
from quanta.access.tokens import InvalidToken
from quanta.errors import AccessDenied
from tests.access.meshes import DATA, publish_port
from tests.access.test_guard import ESCAPES

FLIGHTS = "operations.flights.flights"


@pytest.fixture()
def granted(sqlite_service):
    """The service with bob granted flights (through the analytics team)."""
    agreement = sqlite_service.request("analytics", FLIGHTS, "route planning", requested_by="ana")
    sqlite_service.approve(agreement.id, "olga")
    return sqlite_service


def test_every_escape_attempt_is_refused_and_audited(granted) -> None:
    before = len(granted.audit(limit=100_000))
    for _what, statement in ESCAPES:
        with pytest.raises(QueryRefused):
            granted.query("bob", statement)
    entries = granted.audit(limit=100_000)
    assert len(entries) == before + len(ESCAPES)
    assert all(e.decision == "deny" and e.action == "query" and e.reason for e in entries[: len(ESCAPES)])


@pytest.mark.parametrize(
    "statement",
    [
        f"WITH x AS (SELECT * FROM {FLIGHTS}) SELECT * FROM x JOIN hr.people.employees e ON true",
        f"SELECT * FROM {FLIGHTS} WHERE carrier IN (SELECT name FROM hr.people.employees)",
        f"SELECT (SELECT max(salary) FROM hr.people.employees) AS m FROM {FLIGHTS}",
        f'SELECT * FROM {FLIGHTS} UNION ALL SELECT * FROM "HR"."People"."Employees"',
        "SELECT * FROM hr.people.employees@v0",
        "SELECT * FROM hr . people . employees",
        "SELECT * FROM /* operations.flights.flights */ hr.people.employees",
    ],
)
def test_an_unauthorised_port_hidden_anywhere_denies_the_statement(granted, statement: str) -> None:
    with pytest.raises(AccessDenied, match=r"hr\.people\.employees"):
        granted.query("bob", statement)
    assert granted.audit(limit=1)[0].decision == "deny"


def test_case_varied_and_quoted_names_of_a_granted_port_work(granted) -> None:
    for name in [
        '"Operations"."Flights"."Flights"',
        "OPERATIONS.flights.FLIGHTS",
        "operations.flights.flights",
    ]:
        assert granted.query("bob", f"SELECT count(*) AS n FROM {name}").table.column("n").to_pylist() == [4]


def test_unknown_port_is_a_clear_error(granted) -> None:
    from quanta.access.catalog import UnknownPort

    with pytest.raises(UnknownPort, match=r"operations\.flights\.nope"):
        granted.query("bob", "SELECT * FROM operations.flights.nope")
    last = granted.audit(limit=1)[0]
    assert (last.decision, last.ports) == ("deny", ("operations.flights.nope",))


def test_time_travel_by_version_timestamp_and_run(granted, mesh: Path) -> None:
    cutoff = datetime.now(UTC)
    newer = dict(DATA[FLIGHTS])
    newer = {key: values[:2] for key, values in newer.items()}
    publish_port(mesh, FLIGHTS, newer)
    count = "SELECT count(*) AS n FROM {}"
    assert granted.query("bob", count.format(FLIGHTS)).table.column("n").to_pylist() == [6]
    assert granted.query("bob", count.format(FLIGHTS + "@v0")).table.column("n").to_pylist() == [4]
    assert granted.query("bob", count.format(FLIGHTS + f" AS OF '{cutoff.isoformat()}'")).table.column(
        "n"
    ).to_pylist() == [4]
    both = granted.query(
        "bob", f"SELECT (SELECT count(*) FROM {FLIGHTS}@v0) - (SELECT count(*) FROM {FLIGHTS}@v1)"
    )
    assert both.table.column(0).to_pylist() == [-2]
    from quanta.access.enforce import SnapshotNotFound

    with pytest.raises(SnapshotNotFound):
        granted.query("bob", count.format(FLIGHTS + "@v9"))
    with pytest.raises(SnapshotNotFound, match="build or run"):
        granted.query("bob", count.format(FLIGHTS + " AS OF 'no-such-build'"))


def test_unpublished_port_says_to_build(sqlite_service, mesh: Path) -> None:
    import shutil

    from quanta.access.enforce import SnapshotNotFound

    shutil.rmtree(mesh / ".quanta/tables/operations/flights/flights")
    with pytest.raises(SnapshotNotFound, match="quanta build"):
        sqlite_service.query("olga", f"SELECT * FROM {FLIGHTS}")


def test_tokens_are_stored_hashed_and_act_as_their_principal(granted, mesh: Path) -> None:
    new = granted.create_token("bob", label="laptop")
    assert new.token.startswith("qt_") and "***" in repr(new)
    assert granted.authenticate(new.token).name == "bob"
    raw = (mesh / ".quanta" / "registry.db").read_bytes()
    secret = new.token.rsplit("_", 1)[1]
    assert secret.encode() not in raw and new.token.encode() not in raw
    tampered = new.token[:-1] + ("A" if new.token[-1] != "A" else "B")
    with pytest.raises(InvalidToken):
        granted.authenticate(tampered)
    with pytest.raises(InvalidToken):
        granted.authenticate("not-a-token")
    granted.revoke_token(new.id, "bob")
    with pytest.raises(InvalidToken, match="revoked"):
        granted.authenticate(new.token)


def test_expired_token_and_service_accounts(granted) -> None:
    short = granted.create_token(
        "etl-bot", kind="service", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(InvalidToken, match="expired"):
        granted.authenticate(short.token)
    assert granted.principal("etl-bot").kind == "service"


def test_quanta_connect_runs_enforced_queries(granted, mesh: Path, monkeypatch) -> None:
    monkeypatch.setenv("QUANTA_REGISTRY_URL", f"sqlite:///{mesh / '.quanta' / 'registry.db'}")
    with quanta.connect("bob", mesh=mesh) as session:
        table = session.sql(f"SELECT carrier, count(*) AS n FROM {FLIGHTS} GROUP BY carrier ORDER BY carrier")
        assert table.to_pylist() == [
            {"carrier": "AA", "n": 1},
            {"carrier": "DL", "n": 1},
            {"carrier": "UA", "n": 2},
        ]
        assert session.last_result.masked == {FLIGHTS: []}
        with pytest.raises(AccessDenied):
            session.sql("SELECT * FROM hr.people.employees")
        access = {a.port.key: a.decision.query for a in session.ports()}
        assert access[FLIGHTS] and not access["hr.people.employees"]
    token = granted.create_token("bob")
    monkeypatch.setenv("QUANTA_TOKEN", token.token)
    with quanta.connect(mesh=mesh) as session:
        assert session.principal.name == "bob"


def test_entry_points_for_the_http_api(mesh: Path, monkeypatch) -> None:
    from quanta.access import authenticate_token, open_access

    monkeypatch.setenv("QUANTA_REGISTRY_URL", f"sqlite:///{mesh / '.quanta' / 'registry.db'}")
    service = open_access(mesh)
    assert open_access(mesh / "domains") is service  # cached per mesh root
    agreement = service.request("bob", FLIGHTS, purpose="dashboard", ends_at="2099-01-01")
    assert agreement.ends_at is not None and agreement.ends_at.year == 2099
    service.transition(agreement.id, "approve", actor="olga")
    assert [a.id for a in service.list_agreements(consumer="bob")] == [agreement.id]
    sample = service.read_port("bob", FLIGHTS, limit=2).read_all()
    assert sample.num_rows == 2 and sample.column("tailnum").to_pylist() != DATA[FLIGHTS]["tailnum"][:2]
    token = service.create_token("bob")
    assert authenticate_token(mesh, token.token).name == "bob"
    assert authenticate_token(mesh, "qt_0000000000000000_" + "x" * 43) is None
    with pytest.raises(Exception, match="unknown action"):
        service.transition(agreement.id, "delete", actor="olga")
    contract_file = mesh / "domains/operations/flights/contracts/flights.odcs.yaml"
    contract_file.write_text(contract_file.read_text().replace("version: 1.0.0", "version: 2.0.0"))
    import os

    os.utime(contract_file, (1, 1))
    reloaded = open_access(mesh)
    assert reloaded is not service and reloaded.catalog.port(FLIGHTS).contract_version == "2.0.0"

"""A port published at two major versions side by side, through its whole lifecycle (issue 7).

The story: v1 published and consumed, v2 published next to it (consumers of v1 listed and notified), v1
deprecated (queries warn, the audit log records it), v1 retired (its consumer fails plan and lint naming
both files; once moved to v2, v1 is not built and queries of it fail). Each test has its own mesh (or
only reads a shared one), so the tests run in any order and on any xdist worker. Real builds through
the CLI, real Delta tables, real SQLite registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lifecycle.majors import (
    END_OF_LIFE,
    END_OF_SUPPORT,
    FLIGHTS,
    ROUTES,
    build_json,
    copy_mesh,
    dump,
    grant,
    load,
    move_routes_to_v2,
    product,
    publish_v2,
    quanta,
    set_old_status,
)

pytestmark = pytest.mark.slow
PORT = "operations.flights.flights"


def _v2_built(root: Path, *, consumer: str | None = None) -> dict:
    """Build the mesh at ``root`` at v1 (``consumer`` then holds an agreement on flights v1), list flights
    at 2.0.0 next to 1.0.0 and build again; return the second build's JSON document."""
    code, document = build_json(root)
    assert code == 0 and {p["status"] for p in document["products"]} == {"published"}
    if consumer is not None:
        grant(root, consumer)
    publish_v2(root)
    code, document = build_json(root)
    assert code == 0, document
    return document


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The test mesh with flights published at 1.0.0 and 2.0.0, carl holding an agreement on 1.0.0; the
    tests using it only read (or rebuild unchanged)."""
    root = copy_mesh(tmp_path_factory.mktemp("majors") / "mesh")
    return root, _v2_built(root, consumer="carl")


def test_a_port_listed_at_two_majors_loads_as_two_ports_with_their_own_contracts(tmp_path: Path) -> None:
    from quanta.mesh import build_graph, load_workspace

    root = copy_mesh(tmp_path / "mesh")
    publish_v2(root)
    workspace = load_workspace(root)
    flights = workspace.products["operations.flights"]
    v1, v2 = flights.output_ports
    assert (v1.name, v1.port_name, v1.contract.version) == ("flights", "flights", "1.0.0")
    assert (v2.name, v2.port_name, v2.contract.version) == ("flights_v2", "flights", "2.0.0")
    assert v2.transform.name == "flights_v2.sql"
    assert workspace.table_location(flights, v1).endswith("/operations/flights/flights")
    assert workspace.table_location(flights, v2).endswith("/operations/flights/flights_v2")
    assert flights.successor(v1) is v2 and flights.successor(v2) is None
    assert flights.contract_file(v1.contract).name == "flights.v1.odcs.yaml"
    lifecycle = flights.lifecycle(v1)
    assert (lifecycle.status, lifecycle.end_of_support, lifecycle.end_of_life) == (
        "deprecated",
        END_OF_SUPPORT,
        END_OF_LIFE,
    )
    (edge,) = [e for e in build_graph(workspace).edges if e.consumer == "operations.route_performance"]
    assert (edge.port, edge.version) == ("flights", "1.0.0"), "the consumer stays on the version it asked"


def test_two_listings_at_one_major_are_refused(tmp_path: Path) -> None:
    from quanta.errors import ConfigError
    from quanta.mesh import load_workspace

    root = copy_mesh(tmp_path / "mesh")
    path = root / FLIGHTS / "product.odps.yaml"
    descriptor = load(path)
    descriptor["outputPorts"].append(dict(descriptor["outputPorts"][0], version="1.1.0"))
    dump(path, descriptor)
    with pytest.raises(ConfigError, match="listed twice at major version 1"):
        load_workspace(root)


def test_publishing_v2_keeps_v1_built_and_notifies_its_consumers(v2: tuple[Path, dict]) -> None:
    mesh, document = v2
    flights = product(document, "operations.flights")
    ports = {p["name"]: p for p in flights["ports"]}
    assert ports["flights"]["published"] and ports["flights_v2"]["published"]
    assert ports["flights_v2"]["location"].endswith("operations/flights/flights_v2")
    assert ports["flights"]["lifecycle"]["status"] == "deprecated"
    assert product(document, "operations.route_performance")["status"] == "published"
    (notice,) = flights["notices"]
    assert notice["type"] == "contract.major_change"
    assert (notice["port"], notice["newPort"]) == (PORT, "operations.flights.flights_v2")
    assert (notice["oldVersion"], notice["newVersion"]) == ("1.0.0", "2.0.0")
    assert (notice["endOfSupport"], notice["endOfLife"]) == (END_OF_SUPPORT, END_OF_LIFE)
    assert [c["consumer"] for c in notice["consumers"]] == ["carl"]
    assert {c["path"] for c in notice["changes"]} >= {"schema[0].properties[2]", "schema[0].properties[3]"}

    from quanta import storage

    v2 = storage.read_version(ports["flights_v2"]["location"], None).to_table()
    assert v2.column_names == ["flight_id", "origin", "departure_delay"]
    v1 = storage.read_version(ports["flights"]["location"], None).to_table()
    assert "crew_email" in v1.column_names, "v1 keeps its schema"

    from quanta.registry import open_registry

    registry = open_registry(f"sqlite:///{mesh / '.quanta' / 'registry.db'}")
    try:
        events = [e for e in registry.events(after=0, limit=10_000) if e.type == "contract.major_change"]
        assert [e.payload["consumers"][0]["consumer"] for e in events] == ["carl"]
        assert {c.version for c in registry.contracts(PORT)} >= {"1.0.0", "2.0.0"}
    finally:
        registry.close()

    status = quanta("status", cwd=mesh)
    assert status.returncode == 0, status.stderr
    line = " ".join(status.stdout.split())
    assert f"deprecated {PORT}: status is deprecated, endOfSupport {END_OF_SUPPORT}" in line

    again = quanta("build", "--force", cwd=mesh)
    assert again.returncode == 0, again.stderr
    assert "major change" not in again.stdout, "the notice is sent once, when v2 is first published"


def test_the_build_text_lists_the_notified_consumers(tmp_path: Path) -> None:
    root = copy_mesh(tmp_path / "mesh")
    assert quanta("build", cwd=root).returncode == 0
    grant(root, "carl")
    publish_v2(root)
    done = quanta("build", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    text = " ".join(done.stdout.split())
    assert (
        f"major change {PORT} 1.0.0 -> 2.0.0: operations.flights.flights_v2 published next to {PORT}" in text
    )
    assert "notified carl (user" in text and "active on 1.0.0" in text
    assert f"endOfLife {END_OF_LIFE}" in text


def test_querying_a_deprecated_port_warns_on_stderr_and_in_the_audit_log(v2: tuple[Path, dict]) -> None:
    mesh = v2[0]
    done = quanta("query", f"SELECT count(*) AS n FROM {PORT}", "--as", "carl", "--format", "json", cwd=mesh)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 4}]
    warning = " ".join(done.stderr.split())
    assert f"warning: {PORT} is deprecated (status is deprecated)" in warning
    assert "use operations.flights.flights_v2 instead" in warning and END_OF_LIFE in warning
    current = quanta(
        "query", "SELECT count(*) AS n FROM operations.flights.flights_v2", "--as", "olga", cwd=mesh
    )
    assert current.returncode == 0 and "deprecated" not in current.stderr

    from quanta.access import PortDeprecationWarning, connect

    with connect("carl", mesh=mesh) as session, pytest.warns(PortDeprecationWarning, match="flights_v2"):
        assert session.sql(f"SELECT count(*) AS n FROM {PORT}").to_pylist() == [{"n": 4}]

    from quanta.access.session import open_service

    service = open_service(mesh)
    (entry,) = service.audit(principal="carl", port=PORT, limit=1)
    assert entry.decision == "allow" and "is deprecated" in (entry.reason or "")


def test_a_retired_port_fails_its_consumers_then_is_neither_built_nor_served(tmp_path: Path) -> None:
    mesh = copy_mesh(tmp_path / "mesh")
    _v2_built(mesh)
    # retired while a consumer still reads it: plan and lint fail, naming both files
    set_old_status(mesh, "retired")
    plan = quanta("plan", cwd=mesh)
    assert plan.returncode == 1
    message = " ".join(plan.stderr.split())
    assert str(mesh / ROUTES / "product.odps.yaml") in message
    assert "flights.v1.odcs.yaml" in message and "retired (status is retired)" in message
    assert "move to version 2.0.0 (port operations.flights.flights_v2)" in message
    lint = quanta("lint", "--format", "json", cwd=mesh)
    assert lint.returncode == 1
    assert "odps.retired-input" in lint.stdout and "flights.v1.odcs.yaml" in lint.stdout

    # the consumer moves to v2: v1 is no longer built, and queries of it are refused
    move_routes_to_v2(mesh)
    code, document = build_json(mesh)
    assert code == 0, document
    ports = {p["name"]: p for p in product(document, "operations.flights")["ports"]}
    assert ports["flights"]["lifecycle"]["status"] == "retired" and not ports["flights"]["published"]
    assert ports["flights_v2"]["published"]
    assert product(document, "operations.route_performance")["status"] == "published"
    refused = quanta("query", f"SELECT * FROM {PORT}", "--as", "olga", cwd=mesh)
    assert refused.returncode == 1
    assert f"{PORT} is retired (status is retired) and no longer served" in " ".join(refused.stderr.split())

    # past its endOfLife a port is retired by date; a product whose ports are all retired is not run
    set_old_status(mesh, "deprecated", end_of_life="2001-01-01T00:00:00Z")  # past: retired by date
    path = mesh / "domains" / "reference" / "airports" / "contracts" / "airports.odcs.yaml"
    airports = load(path)
    airports["status"] = "retired"
    dump(path, airports)
    descriptor = load(mesh / FLIGHTS / "product.odps.yaml")  # flights no longer reads airports
    descriptor["inputPorts"] = [p for p in descriptor["inputPorts"] if p["name"] != "airports"]
    dump(mesh / FLIGHTS / "product.odps.yaml", descriptor)
    for name in ("flights.sql", "flights_v2.sql"):
        transform = mesh / FLIGHTS / "transforms" / name
        transform.write_text(
            transform.read_text().replace(" JOIN airports AS a ON a.faa = f.origin", ""), encoding="utf-8"
        )
    code, document = build_json(mesh)
    assert code == 0, document
    airports_result = product(document, "reference.airports")
    assert airports_result["status"] == "retired" and "status is retired" in airports_result["reason"]
    v1 = {p["name"]: p for p in product(document, "operations.flights")["ports"]}["flights"]
    assert v1["lifecycle"]["status"] == "retired" and "endOfLife 2001-01-01" in v1["lifecycle"]["reason"]
    text = quanta("build", "--force", "reference.airports", cwd=mesh)
    assert text.returncode == 0 and "retired reference.airports: retired: status is retired" in " ".join(
        text.stdout.split()
    )

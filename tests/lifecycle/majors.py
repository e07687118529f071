"""Edits of the API test mesh that walk ``operations.flights``'s output port through its lifecycle.

The mesh (``tests/api/mesh``) has ``operations.flights`` publishing port ``flights`` (contract
``operations.flights.flights`` 1.0.0) and ``operations.route_performance`` reading it at version 1.0.0.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.api.server import MESH
from tests.build.conftest import quanta as run_quanta

FLIGHTS = Path("domains/operations/flights")
ROUTES = Path("domains/operations/route_performance")
#: A date far ahead: the old version stays served during the tests.
END_OF_LIFE = "2099-12-31T00:00:00Z"
END_OF_SUPPORT = "2099-06-30T00:00:00Z"


#: The real ``quanta`` CLI in a subprocess (the build tests' runner), with these tests' time limit.
quanta = functools.partial(run_quanta, timeout=300)


def build_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """``quanta build --format json``: the exit code and the parsed document."""
    done = quanta("build", "--format", "json", *args, cwd=root)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def product(document: dict[str, Any], key: str) -> dict[str, Any]:
    """One product's entry of a build document."""
    return next(p for p in document["products"] if p["product"] == key)


def load(path: Path) -> Any:
    """Read a YAML file (round-trip)."""
    return YAML().load(path.read_text(encoding="utf-8"))


def dump(path: Path, data: Any) -> None:
    """Write ``data`` as YAML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        YAML().dump(data, handle)


def copy_mesh(target: Path) -> Path:
    """A private copy of the API test mesh."""
    shutil.copytree(MESH, target)
    return target


def publish_v2(root: Path, *, old_status: str = "deprecated", end_of_life: str = END_OF_LIFE) -> None:
    """List ``flights`` at 2.0.0 next to 1.0.0: a breaking change (``crew_email`` removed,
    ``dep_delay`` renamed ``departure_delay``), the 1.0.0 contract kept as ``flights.v1.odcs.yaml`` with
    ``old_status`` and its ``endOfSupport`` / ``endOfLife`` dates."""
    contracts = root / FLIGHTS / "contracts"
    old = load(contracts / "flights.odcs.yaml")
    old["status"] = old_status
    old["slaProperties"] = [
        {"property": "endOfSupport", "value": END_OF_SUPPORT},
        {"property": "endOfLife", "value": end_of_life},
    ]
    dump(contracts / "flights.v1.odcs.yaml", old)
    new = load(contracts / "flights.odcs.yaml")
    new["version"] = "2.0.0"
    properties = new["schema"][0]["properties"]
    new["schema"][0]["properties"] = [p for p in properties if p["name"] != "crew_email"]
    for prop in new["schema"][0]["properties"]:
        if prop["name"] == "dep_delay":
            prop["name"] = "departure_delay"
    dump(contracts / "flights.odcs.yaml", new)
    (root / FLIGHTS / "transforms" / "flights_v2.sql").write_text(
        "SELECT f.flight_id, f.origin, f.dep_delay AS departure_delay\n"
        "FROM raw_flights AS f JOIN airports AS a ON a.faa = f.origin\n",
        encoding="utf-8",
    )
    descriptor = load(root / FLIGHTS / "product.odps.yaml")
    descriptor["version"] = "2.0.0"
    descriptor["outputPorts"].append(
        {
            "name": "flights",
            "description": "One row per departure, without crew contacts.",
            "type": "tables",
            "version": "2.0.0",
            "contractId": "operations.flights.flights",
        }
    )
    dump(root / FLIGHTS / "product.odps.yaml", descriptor)


def set_old_status(root: Path, status: str, *, end_of_life: str | None = None) -> None:
    """Change the status (and optionally the ``endOfLife``) of the kept 1.x contract."""
    path = root / FLIGHTS / "contracts" / "flights.v1.odcs.yaml"
    data = load(path)
    data["status"] = status
    if end_of_life is not None:
        for entry in data["slaProperties"]:
            if entry["property"] == "endOfLife":
                entry["value"] = end_of_life
    dump(path, data)


def move_routes_to_v2(root: Path) -> None:
    """Make ``route_performance`` read ``flights`` at 2.0.0 (its transform uses the renamed column)."""
    descriptor = load(root / ROUTES / "product.odps.yaml")
    descriptor["inputPorts"][0]["version"] = "2.0.0"
    dump(root / ROUTES / "product.odps.yaml", descriptor)
    (root / ROUTES / "transforms" / "routes.sql").write_text(
        "SELECT origin, avg(departure_delay) AS avg_delay FROM flights GROUP BY origin\n", encoding="utf-8"
    )


def grant(root: Path, consumer: str, port: str = "operations.flights.flights") -> str:
    """An approved (active) agreement of ``consumer`` on ``port``; returns its id."""
    from quanta.access.session import open_service

    service = open_service(root)
    try:
        agreement = service.request(consumer, port, "delay analysis", requested_by=consumer)
        service.approve(agreement.id, "olga", "ok")
        return agreement.id
    finally:
        engine = getattr(service.store, "engine", None)
        if engine is not None:
            engine.dispose()

"""Agreements between data products are edges of the mesh: ``quanta lineage`` shows them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_an_active_product_agreement_appears_in_lineage(mesh: Path, sqlite_service) -> None:
    from quanta.facade import Mesh

    agreement = sqlite_service.request(
        "hr.people", "operations.flights.flights", "staff travel costs", requested_by="fiona"
    )
    if agreement.state.value != "active":
        agreement = sqlite_service.approve(agreement.id, "olga")
    assert agreement.state.value == "active"

    producer = Mesh(mesh).lineage("operations.flights")
    assert producer["agreements"] == [
        {
            "consumer": "hr.people",
            "port": "operations.flights.flights",
            "agreement": agreement.id,
            "direction": "consumes",
        }
    ]
    consumer = Mesh(mesh).lineage("hr.people")
    assert [e["direction"] for e in consumer["agreements"]] == ["holds"]

    cli = [sys.executable, "-m", "quanta.cli.app", "lineage", "operations.flights", "--mesh", str(mesh)]
    tree = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert tree.returncode == 0, tree.stderr
    assert "hr.people consumes operations.flights.flights" in tree.stdout
    mermaid = subprocess.run([*cli, "--format", "mermaid"], capture_output=True, text=True, timeout=120)
    assert "-.->|agreement|" in mermaid.stdout
    as_json = subprocess.run([*cli, "--format", "json"], capture_output=True, text=True, timeout=120)
    assert json.loads(as_json.stdout)["agreements"][0]["agreement"] == agreement.id


def test_revoked_agreements_are_not_edges(mesh: Path, sqlite_service) -> None:
    from quanta.facade import Mesh

    agreement = sqlite_service.request(
        "hr.people", "operations.flights.flights", "staff travel costs", requested_by="fiona"
    )
    if agreement.state.value != "active":
        agreement = sqlite_service.approve(agreement.id, "olga")
    sqlite_service.revoke(agreement.id, "olga", reason="project ended")
    assert Mesh(mesh).lineage("operations.flights")["agreements"] == []

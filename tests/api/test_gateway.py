"""The product gateway over a real server: discover, observe, certify, and control's access rules."""

from __future__ import annotations

import uuid


def test_discover_metadata_links_contracts_and_services(client):
    body = client.get("/products/operations/flights/discover/metadata").json()
    assert body["id"] == "operations.flights"
    assert body["owner"] == "operations-team"
    assert body["outputPorts"][0]["contractId"] == "operations.flights.flights"
    upstream = {p["name"]: p["upstream"] for p in body["inputPorts"]}
    assert upstream == {"raw_flights": None, "airports": "reference.airports"}
    assert body["links"]["health"] == "/products/operations/flights/observe/health"
    pii = {p["name"]: p["pii"] for p in body["outputPorts"][0]["schema"]}
    assert pii == {"flight_id": False, "origin": False, "dep_delay": False, "crew_email": True}


def test_artifacts_have_stable_uuids_and_metadata(client):
    artifacts = client.get("/products/operations/flights/discover/artifacts").json()
    again = client.get("/products/operations/flights/discover/artifacts").json()
    assert [a["id"] for a in artifacts] == [a["id"] for a in again]
    port = next(a for a in artifacts if a["kind"] == "outputPort")
    detail = client.get(f"/products/operations/flights/discover/artifact/{port['id']}/metadata").json()
    assert detail["contractId"] == "operations.flights.flights"
    missing = client.get(f"/products/operations/flights/discover/artifact/{uuid.uuid4()}/metadata")
    assert missing.status_code == 404


def test_product_openapi_covers_only_its_gateway(client):
    spec = client.get("/products/reference/airports/discover/openapi.json").json()
    assert spec["paths"], "the product's gateway paths are described"
    assert all(path.startswith("/products/reference/airports/") for path in spec["paths"])
    assert "/products/reference/airports/observe/health" in spec["paths"]


def test_health_metrics_and_certification(client):
    assert client.get("/products/reference/airports/observe/health").json()["status"] == "unknown"
    metrics = client.get("/products/reference/airports/observe/metrics").json()
    assert metrics and all(m["kind"] == "ObservabilityResult" for m in metrics)  # usage, before any build
    assert {len(m) for m in metrics} == {10}
    assert client.get("/products/reference/airports/certify/status").json()["status"] in {
        "OK",
        "NOT COMPLIANT",
    }


def test_unknown_product_is_404(client):
    assert client.get("/products/nowhere/nothing/discover/metadata").status_code == 404


def test_control_needs_a_principal(client):
    response = client.post("/products/operations/flights/control/pause", json={"reason": "maintenance"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"

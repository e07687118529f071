"""The consumer journey over HTTP on a built mesh: request, approve, read (masked), query, pause, usage."""

from __future__ import annotations

import io
import json
import time

import pytest
from fastapi import FastAPI, Request

from tests.api.built import build_mesh
from tests.api.server import bearer_client, running


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test mesh, built, with tokens."""
    return build_mesh(tmp_path_factory.mktemp("built") / "mesh")


@pytest.fixture(scope="module")
def server(built):
    from quanta.api import ServeSettings, create_app

    app = create_app(ServeSettings(mesh_root=built.root, webhook_backoff_seconds=0.05))
    with running(app) as url:
        yield url


def test_request_approve_then_read_masked_rows(built, server):
    import pyarrow as pa

    carl, olga = bearer_client(server, built.tokens["carl"]), bearer_client(server, built.tokens["olga"])
    port = "/api/v1/products/operations.flights/ports/flights/data"
    assert carl.get(port).status_code == 403, "no agreement yet"
    requested = carl.post(
        "/api/v1/agreements", json={"port": "operations.flights.flights", "purpose": "delays"}
    )
    assert requested.status_code == 201 and requested.json()["state"] == "requested"
    assert carl.get("/api/v1/agreements/pending").json() == [], "a consumer cannot approve"
    (pending,) = olga.get("/api/v1/agreements/pending").json()
    assert pending["id"] == requested.json()["id"]
    refused = carl.post(f"/api/v1/agreements/{pending['id']}/approve", json={"reason": "self"})
    assert refused.status_code == 403
    approved = olga.post(f"/api/v1/agreements/{pending['id']}/approve", json={"reason": "fine"}).json()
    assert approved["state"] == "active"
    assert [a["state"] for a in carl.get("/api/v1/agreements").json()] == ["active"]

    arrow = carl.get(port, params={"format": "arrow"})
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(arrow.content).read_all()
    assert table.num_rows == 4 and table.column_names == ["flight_id", "origin", "dep_delay", "crew_email"]
    assert "ann@example.com" not in table.column("crew_email").to_pylist(), "PII is masked"
    csv = carl.get(port, params={"format": "csv", "limit": 2}).text.splitlines()
    assert csv[0] == '"flight_id","origin","dep_delay","crew_email"' and len(csv) == 3
    rows = [json.loads(line) for line in carl.get(port, params={"format": "ndjson"}).text.splitlines()]
    assert sorted(r["origin"] for r in rows) == ["EWR", "JFK", "JFK", "LGA"]

    query = carl.post(
        "/api/v1/query",
        json={"sql": "SELECT origin, count(*) AS n FROM operations.flights.flights GROUP BY 1 ORDER BY 1"},
    )
    assert [json.loads(line) for line in query.text.splitlines()] == [
        {"origin": "EWR", "n": 1},
        {"origin": "JFK", "n": 2},
        {"origin": "LGA", "n": 1},
    ]
    escape = carl.post("/api/v1/query", json={"sql": "SELECT * FROM read_csv('/etc/passwd')"})
    assert escape.status_code == 403
    usage = carl.get("/api/v1/usage", params={"product": "operations.flights"}).json()
    kinds = {(r["port"], r["principal"], r["kind"]): r["count"] for r in usage["items"]}
    assert kinds == {("flights", "carl", "consume"): 3, ("flights", "carl", "query"): 1}
    assert io.BytesIO(arrow.content).getbuffer().nbytes > 0


def _receiver() -> FastAPI:
    app = FastAPI()
    app.state.events = []

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        app.state.events.append(await request.json())
        return {"ok": True}

    return app


def test_pause_is_for_owners_refuses_data_and_notifies_subscribers(built, server):
    carl, rita = bearer_client(server, built.tokens["carl"]), bearer_client(server, built.tokens["rita"])
    receiver = _receiver()
    with running(receiver) as hook_url:
        subscribed = carl.post(
            "/products/reference/airports/observe/events/subscriptions",
            json={"endpoint": f"{hook_url}/hook", "events": ["product"]},
        )
        assert subscribed.status_code == 201
        assert carl.post("/products/reference/airports/control/pause", json={}).status_code == 403
        paused = rita.post("/products/reference/airports/control/pause", json={"reason": "reload"}).json()
        assert paused["paused"] and paused["status"] == "paused"
        assert rita.get("/products/reference/airports/observe/health").json()["status"] == "paused"
        agreement = carl.post(
            "/api/v1/agreements", json={"port": "reference.airports.airports", "purpose": "names"}
        ).json()
        rita.post(f"/api/v1/agreements/{agreement['id']}/approve", json={})
        refused = carl.get("/api/v1/products/reference.airports/ports/airports/data")
        assert refused.status_code == 409 and "paused" in refused.json()["detail"]
        rita.post("/products/reference/airports/control/resume", json={})
        assert carl.get("/api/v1/products/reference.airports/ports/airports/data").status_code == 200
        deadline = time.monotonic() + 20
        while len(receiver.state.events) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [e["type"] for e in receiver.state.events] == ["product.paused", "product.resumed"]
    assert all(e["product"] == "reference.airports" for e in receiver.state.events)


def test_events_feed_and_configure(built, server):
    rita = bearer_client(server, built.tokens["rita"])
    feed = rita.get("/api/v1/events", params={"after": 0, "limit": 1000}).json()
    types = {e["type"] for e in feed["items"]}
    assert {"build.started", "run.finished", "snapshot.published"} <= types
    assert rita.get("/api/v1/events", params={"after": feed["last"]}).json()["items"] == []
    configured = rita.post("/products/reference/airports/control/configure", json={"schedule": "0 6 * * *"})
    assert configured.json()["configuration"] == {"schedule": "0 6 * * *"}


def test_openlineage_events_are_ingested_into_the_event_feed(built, server):
    carl = bearer_client(server, built.tokens["carl"])
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-02T03:04:05Z",
        "producer": "https://example.com/notebook",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d3a4-8a8b-7c3e-9c1d-2b3c4d5e6f70"},
        "job": {"namespace": "notebooks", "name": "operations.flights"},
        "inputs": [{"namespace": "quanta://testmesh", "name": "operations.flights.flights"}],
    }
    answer = carl.post("/api/v1/lineage", json=event)
    assert answer.status_code == 201 and answer.json()["product"] == "operations.flights"
    feed = carl.get("/api/v1/events", params={"type": "lineage.ingested"}).json()["items"]
    assert feed[-1]["payload"]["event"]["run"]["runId"] == event["run"]["runId"]
    assert carl.post("/api/v1/lineage", json={**event, "eventType": "DONE"}).status_code == 422

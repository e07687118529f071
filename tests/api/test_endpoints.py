"""Endpoints of the marketplace API against a real uvicorn server on a built copy of the test mesh.

Agreement events (one webhook delivery per registry outbox event), versions, ports, contracts (JSON and
the YAML as written), product and column lineage, reject and revoke, owner-only control, the freshness
sort, the data endpoint's row limit and the server-sent events stream.
"""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI, Request

from tests.api.built import build_mesh
from tests.api.server import bearer_client, running

FLIGHTS = "operations.flights.flights"
AIRPORTS = "reference.airports.airports"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test mesh, built, with tokens for carl (analyst), olga (operations) and rita (reference)."""
    return build_mesh(tmp_path_factory.mktemp("endpoints") / "mesh")


@pytest.fixture(scope="module")
def server(built):
    """A real uvicorn server over the built mesh (webhook retries quick)."""
    from quanta.api import ServeSettings, create_app

    app = create_app(ServeSettings(mesh_root=built.root, webhook_backoff_seconds=0.05))
    with running(app) as url:
        yield url


@pytest.fixture()
def clients(built, server):
    """One bearer client per principal of the built mesh."""
    made = {name: bearer_client(server, token, timeout=60) for name, token in built.tokens.items()}
    yield made
    for http in made.values():
        http.close()


def _wait(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _receiver() -> FastAPI:
    """A webhook receiver keeping every delivery (body and ``X-Quanta-Event`` header)."""
    app = FastAPI()
    app.state.deliveries = []

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        app.state.deliveries.append((request.headers["x-quanta-event"], await request.json()))
        return {"ok": True}

    return app


def _events(http: httpx.Client, product: str, prefix: str) -> list[dict]:
    """Every registry event of ``product`` whose type starts with ``prefix``, oldest first."""
    items = http.get("/api/v1/events", params={"product": product, "limit": 1000}).json()["items"]
    return [e for e in items if e["type"].startswith(prefix)]


def test_each_agreement_change_is_delivered_once_with_its_outbox_type(clients):
    carl, olga = clients["carl"], clients["olga"]
    receiver = _receiver()
    with running(receiver) as hook_url:
        subscribed = carl.post(
            "/products/operations/flights/observe/events/subscriptions",
            json={"endpoint": f"{hook_url}/hook", "events": ["agreement", "product"]},
        )
        assert subscribed.status_code == 201
        before = {e["id"] for e in _events(olga, "operations.flights", "agreement.")}
        agreement = carl.post("/api/v1/agreements", json={"port": FLIGHTS, "purpose": "hooks"}).json()
        approved = olga.post(f"/api/v1/agreements/{agreement['id']}/approve", json={"reason": "ok"})
        assert approved.status_code == 200 and approved.json()["state"] == "active"
        # A later event of a subscribed family: the hub delivers in order on one thread, so once it has
        # arrived every delivery queued by the request and the approval has arrived too.
        assert olga.post("/products/operations/flights/control/pause", json={}).status_code == 200
        assert olga.post("/products/operations/flights/control/resume", json={}).status_code == 200
        _wait(
            lambda: any(kind == "product.resumed" for kind, _ in receiver.state.deliveries),
            "the product.resumed delivery",
        )
    outbox = [e for e in _events(olga, "operations.flights", "agreement.") if e["id"] not in before]
    assert [e["type"] for e in outbox] == ["agreement.request", "agreement.activate"]
    assert {e["payload"]["agreementId"] for e in outbox} == {agreement["id"]}
    delivered = [(kind, body) for kind, body in receiver.state.deliveries if kind.startswith("agreement")]
    assert [kind for kind, _ in delivered] == [e["type"] for e in outbox], "one delivery per change"
    assert [body["data"]["eventId"] for _, body in delivered] == [e["id"] for e in outbox]
    assert [body["data"]["state"] for _, body in delivered] == ["requested", "active"]

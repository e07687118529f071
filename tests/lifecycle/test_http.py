"""The lifecycle over HTTP: the major-change webhook, deprecation headers, ``410 Gone`` for retired ports.

Real uvicorn servers over a real built mesh; the webhook receiver is a real local HTTP server. The build
that publishes v2 runs (through the CLI) while the marketplace runs, as it would in production: the
marketplace follows the registry's event outbox and delivers the ``contract.major_change`` event to the
subscribers of ``operations.flights``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import pytest
from fastapi import FastAPI, Request, Response

from tests.api.built import BuiltMesh, build_mesh
from tests.api.server import bearer_client, running
from tests.lifecycle.majors import END_OF_LIFE, grant, publish_v2, quanta, set_old_status

pytestmark = pytest.mark.slow
V1 = "/api/v1/products/operations.flights/ports/flights/data"
V2 = "/api/v1/products/operations.flights/ports/flights_v2/data"


def _receiver() -> FastAPI:
    app = FastAPI()
    app.state.events = []

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        app.state.events.append(await request.json())
        return Response(status_code=204)

    return app


@contextmanager
def serve(built: BuiltMesh) -> Iterator[str]:
    """The marketplace (API and pages) over ``built`` under a real uvicorn server; yields its base URL."""
    from quanta.api import ServeSettings
    from quanta.web import create_app

    app = create_app(ServeSettings(mesh_root=built.root, webhook_backoff_seconds=0.05))
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def notified(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuiltMesh, list[dict]]:
    """v1 built and granted to carl, who subscribes to flights' events; then v2 is built while the
    marketplace runs. Returns the mesh and the events carl's endpoint received."""
    built = build_mesh(tmp_path_factory.mktemp("lifecycle") / "mesh")
    grant(built.root, "carl")
    receiver = _receiver()
    with running(receiver) as hook, serve(built) as url:
        carl = bearer_client(url, built.tokens["carl"])
        subscribed = carl.post(
            "/products/operations/flights/observe/events/subscriptions",
            json={"endpoint": f"{hook}/hook", "events": ["contract"]},
        )
        assert subscribed.status_code == 201, subscribed.text
        publish_v2(built.root)
        done = quanta("build", cwd=built.root)
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 30
        while not receiver.state.events and time.monotonic() < deadline:
            time.sleep(0.1)
    return built, list(receiver.state.events)


def test_the_subscriber_receives_the_major_change_with_the_consumers_and_dates(notified) -> None:
    _, events = notified
    (event,) = events
    assert event["type"] == "contract.major_change" and event["product"] == "operations.flights"
    data = event["data"]
    assert (data["contractId"], data["oldVersion"], data["newVersion"]) == (
        "operations.flights.flights",
        "1.0.0",
        "2.0.0",
    )
    assert data["port"] == "operations.flights.flights"
    assert data["newPort"] == "operations.flights.flights_v2"
    assert data["endOfLife"] == END_OF_LIFE
    assert [c["consumer"] for c in data["consumers"]] == ["carl"]
    assert any(c["kind"] == "removed" for c in data["changes"])


def test_a_deprecated_port_is_served_with_deprecation_sunset_and_successor_headers(notified) -> None:
    built, _ = notified
    with serve(built) as url:
        carl, olga = bearer_client(url, built.tokens["carl"]), bearer_client(url, built.tokens["olga"])
        data = carl.get(V1, params={"format": "ndjson"})
        assert data.status_code == 200, data.text
        assert len(data.text.splitlines()) == 4
        query = carl.post(
            "/api/v1/query", json={"sql": "SELECT count(*) AS n FROM operations.flights.flights"}
        )
        assert query.status_code == 200 and query.text.strip() == '{"n": 4}'
        for response in (data, query):
            deprecation = response.headers["Deprecation"]
            assert deprecation.startswith("@") and int(deprecation[1:]) <= time.time() + 1
            sunset = parsedate_to_datetime(response.headers["Sunset"])
            assert sunset.isoformat() == "2099-12-31T00:00:00+00:00"
            assert response.headers["Link"] == f'<{V2}>; rel="successor-version"'
        current = olga.get(V2, params={"format": "ndjson"})
        assert current.status_code == 200 and "Deprecation" not in current.headers
        assert '"departure_delay"' in current.text.splitlines()[0]
        detail = carl.get("/api/v1/products/operations.flights").json()
        ports = {p["name"]: p for p in detail["outputPorts"]}
        assert ports["flights"]["lifecycle"]["status"] == "deprecated"
        assert ports["flights"]["lifecycle"]["successor"] == "operations.flights.flights_v2"
        assert "operations.flights.flights is deprecated" in ports["flights"]["warnings"][0]
        assert (
            ports["flights_v2"]["lifecycle"]["status"] == "active" and ports["flights_v2"]["warnings"] == []
        )
        page = carl.get("/ui/products/operations/flights")
        assert page.status_code == 200
        html = " ".join(page.text.split())
        assert 'data-lifecycle="deprecated"' in html and html.count("data-lifecycle=") == 1
        assert "Output port <code>flights_v2</code>" in html and "v2.0.0" in html
        assert "Newer major version" in html and "operations.flights.flights is deprecated" in html


def test_a_retired_port_is_gone(notified) -> None:
    built, _ = notified
    set_old_status(built.root, "retired")  # undone at the end: the other tests share this mesh
    try:
        _check_gone(built)
    finally:
        set_old_status(built.root, "deprecated")


def _check_gone(built: BuiltMesh) -> None:
    with serve(built) as url:
        carl = bearer_client(url, built.tokens["carl"])
        gone = carl.get(V1)
        assert gone.status_code == 410
        assert "operations.flights.flights is retired (status is retired)" in gone.json()["detail"]
        assert "operations.flights.flights_v2" in gone.json()["detail"]
        query = carl.post("/api/v1/query", json={"sql": "SELECT * FROM operations.flights.flights"})
        assert query.status_code == 410
        detail = carl.get("/api/v1/products/operations.flights").json()
        (v1,) = [p for p in detail["outputPorts"] if p["name"] == "flights"]
        assert v1["lifecycle"]["status"] == "retired"
        html = carl.get("/ui/products/operations/flights").text
        assert 'data-lifecycle="retired"' in html
        assert 'id="sample-flights"' not in html and 'id="sample-flights_v2"' in html
    from quanta.access.session import open_service

    (entry,) = open_service(built.root).audit(principal="carl", decision="deny", limit=1)
    assert "retired" in (entry.reason or "")

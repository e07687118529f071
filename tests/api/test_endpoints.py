"""Endpoints of the marketplace API against a real uvicorn server on a built copy of the test mesh.

Agreement events (one webhook delivery per registry outbox event), versions, ports, contracts (JSON and
the YAML as written), product and column lineage, reject and revoke, owner-only control, the freshness
sort, the data endpoint's row limit and the server-sent events stream.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import httpx
import pytest
from fastapi import FastAPI, Request

from tests.api.built import build_mesh
from tests.api.server import MESH, bearer_client, running

# One worker builds the mesh once for the whole module, and its tests run in file order.
pytestmark = pytest.mark.xdist_group("api-endpoints")

FLIGHTS = "operations.flights.flights"
AIRPORTS = "reference.airports.airports"
#: The served row limit of this module's server: below the rows of the flights port, so clamping shows.
MAX_ROWS = 3


def _yaml(path):
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _descriptors() -> dict[str, dict]:
    """The ODPS descriptors of the test mesh by product key (``domain.product``)."""
    found = {}
    for path in sorted((MESH / "domains").glob("*/*/product.odps.yaml")):
        descriptor = _yaml(path)
        found[f"{descriptor['domain']}.{descriptor['name']}"] = descriptor
    return found


def _contracts() -> dict[str, tuple[dict, str]]:
    """Every ODCS contract of the test mesh by ``id``: its parsed data and its text as written."""
    found = {}
    for path in sorted((MESH / "domains").glob("*/*/contracts/*.odcs.yaml")):
        found[_yaml(path)["id"]] = (_yaml(path), path.read_text(encoding="utf-8"))
    return found


def _source_rows(name: str) -> int:
    with (MESH / "sources" / name).open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test mesh, built, with tokens for carl (analyst), olga (operations) and rita (reference)."""
    return build_mesh(tmp_path_factory.mktemp("endpoints") / "mesh")


@pytest.fixture(scope="module")
def server(built):
    """A real uvicorn server over the built mesh (webhook retries quick, at most ``MAX_ROWS`` rows)."""
    from quanta.api import ServeSettings, create_app

    settings = ServeSettings(mesh_root=built.root, webhook_backoff_seconds=0.05, max_rows=MAX_ROWS)
    app = create_app(settings)
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


def _granted(consumer: httpx.Client, owner: httpx.Client, port: str) -> None:
    """Make sure ``consumer`` holds an active agreement on ``port`` (requested and approved by ``owner``)."""
    if any(a["port"] == port and a["state"] == "active" for a in consumer.get("/api/v1/agreements").json()):
        return
    created = consumer.post("/api/v1/agreements", json={"port": port, "purpose": "endpoint tests"}).json()
    assert owner.post(f"/api/v1/agreements/{created['id']}/approve", json={}).json()["state"] == "active"


def test_versions_list_the_descriptor_and_contract_versions(clients):
    contracts = _contracts()
    for key, descriptor in _descriptors().items():
        answer = clients["carl"].get(f"/api/v1/products/{key}/versions")
        assert answer.status_code == 200
        assert answer.json() == {
            "id": key,
            "version": descriptor["version"],
            "ports": [
                {
                    "name": port["name"],
                    "version": port["version"],
                    "contractId": port["contractId"],
                    "contractVersion": contracts[port["contractId"]][0]["version"],
                }
                for port in descriptor["outputPorts"]
            ],
        }
    assert clients["carl"].get("/api/v1/products/operations.nope/versions").status_code == 404


def test_ports_carry_the_contract_schema_with_pii_marked(clients):
    (data, _), descriptor = _contracts()[FLIGHTS], _descriptors()["operations.flights"]
    (port,) = clients["carl"].get("/api/v1/products/operations.flights/ports").json()
    (declared,) = descriptor["outputPorts"]
    assert (port["name"], port["version"], port["contractId"]) == (
        declared["name"],
        declared["version"],
        declared["contractId"],
    )
    (table,) = data["schema"]
    assert [(c["name"], c["logicalType"]) for c in port["schema"]] == [
        (p["name"], p["logicalType"]) for p in table["properties"]
    ]
    restricted = {p["name"] for p in table["properties"] if p.get("classification") == "restricted"}
    assert restricted and {c["name"] for c in port["schema"] if c["pii"]} == restricted
    assert port["table"] == FLIGHTS
    assert port["links"]["contract"] == "/api/v1/products/operations.flights/ports/flights/contract"


def test_contract_as_json_and_as_the_yaml_file_as_written(clients):
    data, text = _contracts()[AIRPORTS]
    base = "/api/v1/products/reference.airports/ports/airports/contract"
    rendered = clients["carl"].get(base)
    assert rendered.headers["content-type"].startswith("application/json")
    assert rendered.json() == data
    raw = clients["carl"].get(base, params={"format": "yaml"})
    assert raw.headers["content-type"].startswith("application/yaml")
    assert raw.text == text
    assert clients["carl"].get(base, params={"format": "xml"}).status_code == 422
    missing = clients["carl"].get("/api/v1/products/reference.airports/ports/nope/contract")
    assert missing.status_code == 404 and "airports" in missing.json()["detail"]


def test_product_lineage_graph_has_every_port_and_input_of_the_mesh(clients):
    descriptors = _descriptors()
    outputs = {
        port["contractId"]: f"port:{key}.{port['name']}"
        for key, descriptor in descriptors.items()
        for port in descriptor["outputPorts"]
    }
    graph = clients["carl"].get("/api/v1/lineage").json()
    inputs = {(e["source"], e["target"], e["port"]) for e in graph["edges"] if e["kind"] == "input"}
    assert inputs == {
        (outputs.get(i["contractId"], f"source:{i['contractId']}"), f"product:{key}", i["name"])
        for key, descriptor in descriptors.items()
        for i in descriptor["inputPorts"]
    }
    assert ("port:reference.airports.airports", "product:operations.flights", "airports") in inputs
    publishes = {(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "publishes"}
    assert publishes == {
        (f"product:{port.split(':')[1].rsplit('.', 1)[0]}", port) for port in outputs.values()
    }
    kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
    assert {f"product:{key}" for key in descriptors} <= {i for i, k in kinds.items() if k == "product"}
    assert {i for i, k in kinds.items() if k == "source"} == {
        "source:source.flights",
        "source:source.airports",
    }


def test_column_lineage_follows_transform_source_objects(clients):
    declared = set()
    for contract_id, (data, _) in _contracts().items():
        for table in data.get("schema") or []:
            for prop in table.get("properties") or []:
                for source in prop.get("transformSourceObjects") or []:
                    declared.add((source, f"{contract_id}.{prop['name']}"))
    edges = clients["carl"].get("/api/v1/lineage/columns").json()
    assert {(e["source"], e["target"]) for e in edges} == declared
    assert ("reference.airports.airports.faa", "operations.flights.flights.origin") in declared
    only = clients["carl"].get("/api/v1/lineage/columns", params={"product": "operations.route_performance"})
    assert [(e["source"], e["target"]) for e in only.json()] == [
        ("operations.flights.flights.origin", "operations.route_performance.routes.origin")
    ]


def test_reject_then_revoke_end_data_access(clients):
    carl, rita = clients["carl"], clients["rita"]
    data = "/api/v1/products/reference.airports/ports/airports/data"
    asked = carl.post("/api/v1/agreements", json={"port": AIRPORTS, "purpose": "names"}).json()
    assert carl.post(f"/api/v1/agreements/{asked['id']}/reject", json={"reason": "self"}).status_code == 403
    rejected = rita.post(f"/api/v1/agreements/{asked['id']}/reject", json={"reason": "use the view"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert rejected.json()["transitions"][-1] | {"at": None} == {
        "action": "reject",
        "from": "requested",
        "to": "rejected",
        "actor": "rita",
        "at": None,
        "reason": "use the view",
    }
    assert carl.get(data).status_code == 403
    again = carl.post("/api/v1/agreements", json={"port": AIRPORTS, "purpose": "names, again"}).json()
    assert rita.post(f"/api/v1/agreements/{again['id']}/approve", json={}).json()["state"] == "active"
    rows = [json.loads(line) for line in carl.get(data, params={"format": "ndjson"}).text.splitlines()]
    assert len(rows) == min(MAX_ROWS, _source_rows("airports.csv"))
    revoked = rita.post(f"/api/v1/agreements/{again['id']}/revoke", json={"reason": "project over"})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = carl.get(data)
    assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied", refused.text
    history = carl.get(f"/api/v1/agreements/{again['id']}").json()["transitions"]
    assert [t["action"] for t in history] == ["request", "approve", "activate", "revoke"]
    feed = _events(carl, "reference.airports", "agreement.")
    assert [(e["type"], e["payload"]["agreementId"]) for e in feed][-2:] == [
        ("agreement.activate", again["id"]),
        ("agreement.revoke", again["id"]),
    ]
    assert ("agreement.reject", asked["id"]) in [(e["type"], e["payload"]["agreementId"]) for e in feed]


def test_configure_is_for_owners_and_state_shows_it(clients):
    carl, olga = clients["carl"], clients["olga"]
    state = "/products/operations/flights/control/state"
    configured = olga.post("/products/operations/flights/control/configure", json={"schedule": "0 5 * * *"})
    assert configured.status_code == 200
    refused = carl.post("/products/operations/flights/control/configure", json={"schedule": "* * * * *"})
    assert refused.status_code == 403 and "operations-team" in refused.json()["detail"]
    shown = carl.get(state).json()
    assert shown["product"] == "operations.flights" and shown["paused"] is False
    assert shown["configuration"]["schedule"] == "0 5 * * *", "the refused change left no trace"
    assert carl.get("/products/operations/nope/control/state").status_code == 404


def test_freshness_sort_puts_the_latest_published_product_first(built, clients):
    carl = clients["carl"]

    def ordered() -> list[str]:
        return [p["id"] for p in carl.get("/api/v1/products", params={"sort": "freshness"}).json()["items"]]

    def freshness(key: str) -> str:
        port = _descriptors()[key]["outputPorts"][0]["name"]
        return carl.get(f"/api/v1/products/{key}/ports/{port}/sla").json()["freshness"] or ""

    before = ordered()
    assert sorted(before) == sorted(_descriptors())
    assert [freshness(k) for k in before] == sorted((freshness(k) for k in before), reverse=True)
    assert before[0] != "reference.airports", "built first, as the others' upstream"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quanta.cli.app",
            "build",
            "reference.airports",
            "--force",
            "--mesh",
            str(built.root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _wait(lambda: ordered()[0] == "reference.airports", "the rebuilt product to sort first")
    after = ordered()
    assert all(freshness("reference.airports") > freshness(k) for k in after[1:])


def test_data_limit_is_clamped_to_the_served_maximum(clients):
    carl = clients["carl"]
    _granted(carl, clients["olga"], FLIGHTS)
    assert _source_rows("flights.csv") > MAX_ROWS
    data = "/api/v1/products/operations.flights/ports/flights/data"

    def rows(**params) -> int:
        answer = carl.get(data, params={"format": "ndjson", **params})
        assert answer.status_code == 200, answer.text
        return len(answer.text.splitlines())

    assert rows(limit=MAX_ROWS - 1) == MAX_ROWS - 1
    assert rows(limit=1000) == MAX_ROWS
    assert rows() == MAX_ROWS
    assert carl.get(data, params={"limit": 10**9}).status_code == 422
    query = carl.post("/api/v1/query", json={"sql": f"SELECT * FROM {FLIGHTS}", "limit": 1000})
    assert len(query.text.splitlines()) == MAX_ROWS


def test_server_sent_events_carry_a_new_agreement_request(clients):
    olga, rita = clients["olga"], clients["rita"]
    last = olga.get("/api/v1/events", params={"after": 0, "limit": 1000}).json()["last"]
    created = None
    seen: list[dict] = []
    with olga.stream(
        "GET", "/api/v1/events/stream", params={"after": last, "timeout": 20}, timeout=httpx.Timeout(30)
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        next(lines)  # the stream is open: a keep-alive comment, or an event after ``last``
        created = olga.post("/api/v1/agreements", json={"port": AIRPORTS, "purpose": "stream"}).json()
        event_type = ""
        for line in lines:
            if line.startswith("event: "):
                event_type = line.removeprefix("event: ")
            elif line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: ")))
                assert seen[-1]["type"] == event_type
                if seen[-1]["payload"].get("agreementId") == created["id"]:
                    break
    assert rita.post(f"/api/v1/agreements/{created['id']}/reject", json={"reason": "done"}).status_code == 200
    assert seen and seen[-1]["payload"].get("agreementId") == created["id"], "the stream ended first"
    event = seen[-1]
    assert event["type"] == "agreement.request" and event["product"] == "reference.airports"
    assert event["id"] > last
    assert event["payload"] | {"agreementId": None} == {
        "agreementId": None,
        "consumer": "olga",
        "port": AIRPORTS,
        "state": "requested",
        "actor": "olga",
        "reason": "stream",
        "purpose": "stream",
    }

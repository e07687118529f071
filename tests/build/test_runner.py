"""Builds of small synthetic meshes, checked by reading the published Delta tables independently."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from quanta.build import LOCK_FILE, build
from quanta.mesh import load_workspace
from quanta.registry import LockHeld, MeshLock
from tests.mesh.factory import add_product, add_source, five_product_mesh


def read_table(root: Path, domain: str, product: str, port: str, version: int | None = None) -> list[dict]:
    """Read a published table with deltalake directly (not through Quanta), sorted by every column."""
    from deltalake import DeltaTable

    table = DeltaTable(str(root / ".quanta" / "tables" / domain / product / port), version=version)
    rows = table.to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda row: tuple(str(v) for v in row.values()))


def delta_version(root: Path, domain: str, product: str, port: str) -> int:
    from deltalake import DeltaTable

    return DeltaTable(str(root / ".quanta" / "tables" / domain / product / port)).version()


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    """a and b read sources; c unions a and b; d reads c; e reads b (another branch)."""
    return five_product_mesh(tmp_path / "m")


def statuses(result) -> dict[str, str]:
    return {p.product: p.status for p in result.products}


def test_build_publishes_every_product_as_a_delta_table(mesh: Path) -> None:
    result = build(load_workspace(mesh), jobs=2)
    assert not result.blocked
    assert set(statuses(result).values()) == {"published"}
    assert read_table(mesh, "one", "a", "a") == [{"id": i, "value": i * 10} for i in (1, 2, 3)]
    assert len(read_table(mesh, "two", "c", "c")) == 5
    assert sorted(r["value"] for r in read_table(mesh, "two", "d", "d")) == [20, 20, 40, 40, 60]
    document = result.to_dict()
    port = document["products"][0]["ports"][0]
    assert port["location"].endswith("one/a/a") and port["deltaVersion"] == 0 and port["rows"] == 3


def test_second_build_skips_everything_and_force_rebuilds(mesh: Path) -> None:
    build(load_workspace(mesh))
    again = build(load_workspace(mesh))
    assert set(statuses(again).values()) == {"skipped"}
    assert delta_version(mesh, "two", "d", "d") == 0
    forced = build(load_workspace(mesh), force=True)
    assert set(statuses(forced).values()) == {"published"}
    assert delta_version(mesh, "two", "d", "d") == 1


def test_touching_one_transform_rebuilds_it_and_its_downstream_only(mesh: Path) -> None:
    build(load_workspace(mesh))
    transform = mesh / "domains" / "two" / "c" / "transforms" / "c.sql"
    transform.write_text(
        "SELECT id, value + 1 AS value FROM a UNION ALL SELECT id, value + 1 AS value FROM b\n"
    )
    result = build(load_workspace(mesh))
    assert statuses(result) == {
        "one.a": "skipped",
        "one.b": "skipped",
        "three.e": "skipped",
        "two.c": "published",
        "two.d": "published",
    }
    assert sorted(r["value"] for r in read_table(mesh, "two", "d", "d")) == [22, 22, 42, 42, 62]


@pytest.mark.parametrize("changed", ["product.odps.yaml", "contract"])
def test_a_changed_descriptor_or_contract_alone_rebuilds_the_product_and_its_downstream(
    mesh: Path, changed: str
) -> None:
    build(load_workspace(mesh))
    folder = mesh / "domains" / "two" / "c"
    document = (
        folder / changed if changed.endswith(".yaml") else next((folder / "contracts").glob("*.odcs.yaml"))
    )
    document.write_text(document.read_text() + "# reviewed\n")  # a comment: the data stays the same
    result = build(load_workspace(mesh))
    assert statuses(result) == {
        "one.a": "skipped",
        "one.b": "skipped",
        "three.e": "skipped",
        "two.c": "published",
        "two.d": "published",
    }


def test_a_changed_source_rebuilds_its_readers(mesh: Path) -> None:
    build(load_workspace(mesh))
    add_source(mesh, "s2", rows=4)
    result = build(load_workspace(mesh))
    assert statuses(result) == {
        "one.a": "skipped",
        "one.b": "published",
        "three.e": "published",
        "two.c": "published",
        "two.d": "published",
    }
    assert len(read_table(mesh, "three", "e", "e")) == 4


def test_selectors_build_only_what_is_asked(mesh: Path) -> None:
    result = build(load_workspace(mesh), ["+two.c"])
    assert statuses(result) == {"one.a": "published", "one.b": "published", "two.c": "published"}
    assert not (mesh / ".quanta" / "tables" / "two" / "d").exists()
    downstream = build(load_workspace(mesh), ["c+"], force=True)
    assert statuses(downstream) == {"two.c": "published", "two.d": "published"}


def test_selecting_a_product_whose_upstream_was_never_built_fails_clearly(mesh: Path) -> None:
    result = build(load_workspace(mesh), ["d"])
    assert result.blocked
    assert statuses(result) == {"two.d": "error"}
    assert "no published version" in result.products[0].reason and "+two.d" in result.products[0].reason


def test_a_failing_transform_stops_its_downstream_and_keeps_the_previous_version(mesh: Path) -> None:
    build(load_workspace(mesh))
    before = read_table(mesh, "two", "c", "c")
    (mesh / "domains" / "two" / "c" / "transforms" / "c.sql").write_text("SELECT id, nonexistent FROM a\n")
    result = build(load_workspace(mesh))
    assert result.blocked
    assert statuses(result)["two.c"] == "error" and "nonexistent" in result.products[3].reason
    assert statuses(result)["two.d"] == "upstream_blocked"
    assert read_table(mesh, "two", "c", "c") == before
    assert delta_version(mesh, "two", "c", "c") == 0


def test_sql_transform_cannot_read_files_or_undeclared_tables(mesh: Path) -> None:
    (mesh / "domains" / "one" / "a" / "transforms" / "a.sql").write_text(
        "SELECT * FROM read_csv('/etc/passwd')\n"
    )
    result = build(load_workspace(mesh), ["a"])
    assert statuses(result) == {"one.a": "error"}
    assert "read data only through input ports" in result.products[0].reason


def test_python_transforms_receive_relations_and_may_return_arrow_or_pandas(mesh: Path) -> None:
    folder = mesh / "domains" / "two" / "c" / "transforms"
    (folder / "c.sql").unlink()
    (folder / "c.py").write_text(
        "def transform(a, b):\n    return a.union(b).filter('id > 1').to_arrow_table()\n"
    )
    d = mesh / "domains" / "two" / "d" / "transforms"
    (d / "d.sql").unlink()
    (d / "d.py").write_text(
        "def transform(c, connection):\n"
        "    frame = c.df()\n"
        "    frame['value'] = frame['value'] + 1\n"
        "    return frame\n"
    )
    result = build(load_workspace(mesh))
    assert not result.blocked, [p.reason for p in result.products]
    assert sorted(r["id"] for r in read_table(mesh, "two", "c", "c")) == [2, 2, 3]
    assert sorted(r["value"] for r in read_table(mesh, "two", "d", "d")) == [21, 21, 31]


@pytest.mark.parametrize(
    ("returned", "code"),
    [
        pytest.param("a DuckDB relation", "    return c.filter('id > 1')\n", id="relation"),
        pytest.param(
            "a pyarrow RecordBatchReader", "    return c.filter('id > 1').to_arrow_reader()\n", id="reader"
        ),
        pytest.param("a Polars DataFrame", "    return c.filter('id > 1').pl()\n", id="polars"),
    ],
)
def test_a_python_transform_may_return_a_relation_a_reader_or_polars(
    mesh: Path, returned: str, code: str
) -> None:
    import importlib.util

    from tests.conftest import require

    require(
        "Polars" not in returned or importlib.util.find_spec("polars") is not None,
        "polars (a dev dependency: make sync)",
    )
    d = mesh / "domains" / "two" / "d" / "transforms"
    (d / "d.sql").unlink()
    (d / "d.py").write_text("def transform(c):\n" + code)
    result = build(load_workspace(mesh))
    assert not result.blocked, [p.reason for p in result.products]
    expected = [row for row in read_table(mesh, "two", "c", "c") if row["id"] > 1]
    assert [row["id"] for row in expected] == [2, 2, 3], returned  # 2 is in a and b, 3 in a only
    assert read_table(mesh, "two", "d", "d") == expected


def test_parallel_and_serial_builds_publish_the_same_data(mesh: Path, tmp_path: Path) -> None:
    import shutil

    serial = tmp_path / "serial"
    shutil.copytree(mesh, serial)
    build(load_workspace(mesh), jobs=4)
    build(load_workspace(serial), jobs=1)
    for domain, product in (("two", "c"), ("two", "d"), ("three", "e")):
        assert read_table(mesh, domain, product, product) == read_table(serial, domain, product, product)


def test_a_second_concurrent_build_is_refused_with_a_clear_message(mesh: Path) -> None:
    workspace = load_workspace(mesh)
    with MeshLock(mesh / LOCK_FILE), pytest.raises(LockHeld, match="another build of this mesh is running"):
        build(workspace)
    assert not build(workspace).blocked  # the lock is released afterwards


def test_lock_waits_for_the_holder_when_asked(mesh: Path) -> None:
    workspace = load_workspace(mesh)
    lock = MeshLock(mesh / LOCK_FILE)
    lock.acquire()
    timer = threading.Timer(0.5, lock.release)
    timer.start()
    try:
        assert not build(workspace, lock_wait=10).blocked
    finally:
        timer.join()


BLOCKING_RULE = """\
    quality:
      - id: enough_rows
        name: at least 4 rows
        metric: rowCount
        mustBeGreaterThan: 3
        severity: {severity}
"""


def _events(root: Path) -> list[dict]:
    import json

    path = root / ".quanta" / "lineage.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_failed_blocking_rule_keeps_the_served_version_and_records_the_blocked_run(mesh: Path) -> None:
    from quanta.registry import open_reader

    build(load_workspace(mesh))
    add_product(mesh, "one", "b", source="s2", quality=BLOCKING_RULE.format(severity="error"))
    result = build(load_workspace(mesh))
    assert result.blocked
    assert statuses(result) == {
        "one.a": "skipped",
        "one.b": "blocked",
        "three.e": "upstream_blocked",
        "two.c": "upstream_blocked",
        "two.d": "upstream_blocked",
    }
    blocked = next(p for p in result.products if p.product == "one.b")
    failed = [c for c in blocked.checks if c["status"] == "failed"]
    assert [(c["rule"], c["metricValue"], c["blocking"]) for c in failed] == [("enough_rows", 2, True)]
    assert delta_version(mesh, "one", "b", "b") == 0 and len(read_table(mesh, "one", "b", "b")) == 2
    with open_reader(f"sqlite:///{mesh / '.quanta' / 'registry.db'}") as reader:
        run = reader.run(blocked.run_id)
        assert run is not None and run.status == "blocked" and "enough_rows" not in (run.error or "x")
        assert [c.rule_id for c in reader.check_results(run.id, status="failed")] == ["enough_rows"]
        assert reader.builds(limit=1)[0].status == "blocked"
    kinds = [(e["job"]["name"], e["eventType"]) for e in _events(mesh) if e["run"]["runId"] == blocked.run_id]
    assert kinds == [("one.b", "START"), ("one.b", "FAIL")]


def test_a_failed_warning_rule_publishes_and_is_reported(mesh: Path) -> None:
    add_product(mesh, "one", "b", source="s2", quality=BLOCKING_RULE.format(severity="warning"))
    result = build(load_workspace(mesh))
    assert not result.blocked
    product = next(p for p in result.products if p.product == "one.b")
    assert product.status == "published" and product.count("warned") == 1 and product.count("failed") == 0
    assert [(p, c["rule"]) for p, c in result.findings()] == [("one.b", "enough_rows")]
    assert len(read_table(mesh, "one", "b", "b")) == 2


def test_a_missing_source_column_blocks_at_resolve(mesh: Path) -> None:
    (mesh / "sources" / "s1.csv").write_text("id,other\n1,2\n")
    result = build(load_workspace(mesh), ["a"])
    product = result.products[0]
    assert product.status == "blocked"
    assert [(s.stage, s.status) for s in product.stages][:2] == [("resolve", "failed"), ("record", "ok")]
    assert any(c["status"] == "failed" and c["blocking"] for c in product.sources["raw"])


def test_a_missing_source_file_is_reported_unavailable(mesh: Path) -> None:
    (mesh / "sources" / "s1.csv").unlink()
    result = build(load_workspace(mesh), ["a"])
    product = result.products[0]
    assert product.status == "blocked"
    assert (
        product.sources["raw"][0]["rule"] == "sourceAvailable"
        and product.sources["raw"][0]["status"] == "failed"
    )


def test_a_paused_product_is_not_built_and_its_consumers_read_its_last_version(mesh: Path) -> None:
    """control/pause (the product gateway) pauses a product in the registry; builds then leave it alone."""
    from quanta.registry import open_registry

    build(load_workspace(mesh))
    workspace = load_workspace(mesh)
    registry = open_registry(workspace.config.registry_url(workspace.root))
    registry.set_paused("two", "c", True, reason="upstream migration")
    registry.close()
    for name in ("c", "d"):  # both would be rebuilt: their transforms changed
        path = mesh / "domains" / "two" / name / "transforms" / f"{name}.sql"
        path.write_text(path.read_text().replace("SELECT", "SELECT DISTINCT", 1))

    result = build(load_workspace(mesh))
    assert statuses(result)["two.c"] == "paused"
    assert statuses(result)["two.d"] == "published"  # built on c's last published version
    assert not result.blocked
    assert delta_version(mesh, "two", "c", "c") == 0
    assert delta_version(mesh, "two", "d", "d") == 1
    assert sorted(r["value"] for r in read_table(mesh, "two", "d", "d")) == [20, 40, 60]

    registry = open_registry(workspace.config.registry_url(workspace.root))
    registry.set_paused("two", "c", False)
    registry.close()
    assert statuses(build(load_workspace(mesh)))["two.c"] == "published"

"""The build commands through the real CLI on a small mesh: text and JSON output, exit codes, the lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.build.conftest import quanta
from tests.build.test_runner import BLOCKING_RULE
from tests.mesh.factory import add_product, add_source, new_mesh


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    root = new_mesh(tmp_path / "m", name="cli")
    add_source(root, "s1", rows=3)
    add_product(root, "one", "a", source="s1", quality=BLOCKING_RULE.format(severity="warning"))
    add_product(root, "two", "b", reads=[("a", "one.a.a", "1.0.0")])
    return root


def test_build_prints_the_summary_and_the_findings(mesh: Path) -> None:
    shown = quanta("build", cwd=mesh)
    assert shown.returncode == 0, shown.stderr
    assert "Build of mesh cli" in shown.stdout
    assert "one.a" in shown.stdout and "published" in shown.stdout
    assert "Findings" in shown.stdout and "at least 4 rows" in shown.stdout and "3" in shown.stdout
    again = quanta("build", cwd=mesh)
    assert "0 published, 2 unchanged" in again.stdout


def test_build_json_has_checks_locations_and_versions(mesh: Path) -> None:
    shown = quanta("build", "--format", "json", cwd=mesh)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    a = document["products"][0]
    assert a["product"] == "one.a" and a["checks"]["warned"] == 1
    port = a["ports"][0]
    assert port["location"] == str((mesh / ".quanta" / "tables" / "one" / "a" / "a").resolve())
    assert port["deltaVersion"] == 0 and port["rows"] == 3
    rule = next(c for c in port["checks"] if c["rule"] == "enough_rows")
    assert (rule["status"], rule["metricValue"], rule["operator"], rule["threshold"]) == (
        "failed",
        3,
        "mustBeGreaterThan",
        3,
    )


def test_a_blocked_product_exits_1(mesh: Path) -> None:
    add_product(mesh, "one", "a", source="s1", quality=BLOCKING_RULE.format(severity="error"))
    shown = quanta("build", cwd=mesh)
    assert shown.returncode == 1
    assert "blocked" in shown.stdout and "upstream_blocked" in shown.stdout


def test_plan_and_lineage(mesh: Path) -> None:
    plan = quanta("plan", cwd=mesh)
    assert (
        plan.returncode == 0 and "never built" in plan.stdout and "2 of 2 product(s) would run" in plan.stdout
    )
    lineage = quanta("lineage", "b", "--format", "json", cwd=mesh)
    tree = json.loads(lineage.stdout)
    assert tree["product"] == "two.b"
    assert tree["upstream"][0]["product"] == "one.a"
    assert tree["upstream"][0]["upstream"][0]["source"] == "source.s1"
    bad = quanta("lineage", "zz", cwd=mesh)
    assert bad.returncode == 2 and "no product called 'zz'" in bad.stderr


def test_a_second_build_is_refused_while_one_runs(mesh: Path) -> None:
    from quanta.build import LOCK_FILE
    from quanta.registry import MeshLock

    with MeshLock(mesh / LOCK_FILE, build_id="held-by-test"):
        shown = quanta("build", cwd=mesh)
    assert shown.returncode == 2
    assert "another build of this mesh is running" in shown.stderr and "held-by-test" in shown.stderr


@pytest.mark.parametrize("columns", ["", "80"])
def test_the_summary_keeps_every_cell_whole_in_a_log_and_on_a_narrow_terminal(
    mesh: Path, columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pipe states no width (Rich would cut every cell to fit 80 columns); a narrow terminal folds the
    # product name onto a second line and keeps status, rows and counts whole.
    add_product(mesh, "operations", "carrier_punctuality_by_origin", source="s1")
    monkeypatch.setenv("COLUMNS", columns)
    shown = quanta("build", cwd=mesh)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if line.split()[1:4] == ["published", "OK", "3"]]
    assert len(rows) == 3 and "…" not in shown.stdout, shown.stdout
    long_name = "operations.carrier_punctuality_by_origin"
    if columns:
        assert max(len(line) for line in shown.stdout.splitlines()) <= 80, shown.stdout
        assert not any(long_name in line for line in rows), shown.stdout  # folded onto the next lines
    else:
        assert any(long_name in line for line in rows), shown.stdout


def test_a_scaffolded_mesh_and_product_build_as_they_are(tmp_path: Path) -> None:
    # The "data product factory": what `quanta init` and `quanta new product` write builds at once.
    from deltalake import DeltaTable

    assert quanta("init", "shop", cwd=tmp_path).returncode == 0
    root = tmp_path / "shop"
    made = quanta("new", "product", "sales", "orders", cwd=root)
    assert made.returncode == 0, made.stderr
    shown = quanta("build", "--format", "json", cwd=root)
    assert shown.returncode == 0, shown.stderr
    product = json.loads(shown.stdout)["products"][0]
    assert (product["product"], product["status"], product["checks"]["failed"]) == (
        "sales.orders",
        "published",
        0,
    )
    source = (root / "sources" / "sales" / "orders.csv").read_text().strip().splitlines()
    table = DeltaTable(product["ports"][0]["location"]).to_pyarrow_table()
    assert table.num_rows == len(source) - 1 == product["ports"][0]["rows"]  # every source row, no header

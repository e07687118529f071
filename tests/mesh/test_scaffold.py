"""``quanta init`` (empty mesh) and ``quanta new product``: files that load, plan and lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from quanta.mesh import load_workspace, make_plan


def quanta(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``quanta`` console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_init_and_new_product_scaffold_a_mesh_that_plans(tmp_path: Path) -> None:
    created = quanta("init", "shop", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "shop"
    assert (root / "mesh.yaml").is_file() and (root / "domains").is_dir()
    made = quanta("new", "product", "sales", "orders", cwd=root / "domains")
    assert made.returncode == 0, made.stderr
    product = root / "domains" / "sales" / "orders"
    assert (product / "product.odps.yaml").is_file()
    assert (product / "transforms" / "orders.sql").is_file()
    assert (root / "domains" / "sales" / "domain.yaml").is_file()
    workspace = load_workspace(root)
    assert workspace.config.name == "shop"
    plan = make_plan(workspace)
    assert [p.key for p in plan.to_build] == ["sales.orders"]
    shown = quanta("plan", "--format", "json", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["products"][0]["product"] == "sales.orders"


def test_init_refuses_an_existing_mesh_and_new_refuses_bad_names(tmp_path: Path) -> None:
    assert quanta("init", "m", cwd=tmp_path).returncode == 0
    again = quanta("init", "m", cwd=tmp_path)
    assert again.returncode == 2 and "already a mesh" in again.stderr
    bad = quanta("new", "product", "Sales", "x", cwd=tmp_path / "m")
    assert bad.returncode == 2 and "not valid" in bad.stderr
    outside = quanta("plan", cwd=tmp_path)
    assert outside.returncode == 1 and "no mesh.yaml" in outside.stderr


def test_scaffolded_documents_validate_against_the_official_schemas(tmp_path: Path) -> None:
    from quanta.mesh.scaffold import init_mesh, new_product
    from quanta.spec.loader import load_yaml
    from tests.conftest import require
    from tests.example.schemas import ODCS_SCHEMA, ODPS_SCHEMA, schema_errors, shared_dir

    require(shared_dir() is not None, "the shared ODCS/ODPS conformance corpus (../shared)")
    root = init_mesh(tmp_path / "m")
    files = new_product(root, "sales", "orders")
    documents = [p for p in files if p.name.endswith((".odps.yaml", ".odcs.yaml"))]
    assert len(documents) == 3
    for path in documents:
        schema = ODPS_SCHEMA if path.name.endswith(".odps.yaml") else ODCS_SCHEMA
        data = load_yaml(path).data
        assert schema_errors(schema, data) == [], path


def test_scaffolded_product_lints_clean_in_strict_mode(tmp_path: Path) -> None:
    assert quanta("init", "m", cwd=tmp_path).returncode == 0
    assert quanta("new", "product", "sales", "orders", cwd=tmp_path / "m").returncode == 0
    linted = quanta("lint", "--strict", "--format", "json", ".", cwd=tmp_path / "m")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    files = json.loads(linted.stdout)
    assert len(files) == 3
    assert all(f["valid"] and not f["errors"] and not f["warnings"] for f in files), files

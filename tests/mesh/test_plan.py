"""Build plans: frozen data, content fingerprints, decisions from the state of earlier builds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from quanta.mesh import PriorState, load_workspace, make_plan
from quanta.mesh.fingerprint import content_fingerprint, run_fingerprint, source_identity
from quanta.mesh.plan import input_identities
from tests.mesh.factory import add_product, add_source, new_mesh


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    root = new_mesh(tmp_path / "m")
    add_source(root, "s1")
    add_product(root, "one", "a", source="s1")
    add_product(root, "two", "b", reads=[("a", "one.a.a", "1.0.0")])
    add_product(root, "two", "c", reads=[("b", "two.b.b", "1.0.0")])
    return root


def _published_state(root: Path) -> PriorState:
    """The state a complete build would leave: every port at version 0 with its run fingerprint."""
    from quanta.mesh import build_graph

    workspace = load_workspace(root)
    graph = build_graph(workspace)
    versions = {(key, p.name): 0 for key, product in workspace.products.items() for p in product.output_ports}
    fingerprints = {
        key: run_fingerprint(
            content_fingerprint(product), input_identities(workspace, graph, product, versions)
        )
        for key, product in workspace.products.items()
    }
    return PriorState(fingerprints, versions)


def test_plan_is_frozen_data(mesh: Path) -> None:
    plan = make_plan(load_workspace(mesh))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.force = True  # type: ignore[misc]
    document = json.loads(json.dumps(plan.to_dict()))
    assert [p["product"] for p in document["products"]] == ["one.a", "two.b", "two.c"]
    assert all(p["action"] == "build" and p["reason"] == "never built" for p in document["products"])
    assert document["stages"] == ["resolve", "transform", "gate", "publish", "record", "lineage"]


def test_unchanged_products_are_skipped_and_force_rebuilds(mesh: Path) -> None:
    state = _published_state(mesh)
    plan = make_plan(load_workspace(mesh), state=state)
    assert [p.action for p in plan.products] == ["skip", "skip", "skip"]
    forced = make_plan(load_workspace(mesh), state=state, force=True)
    assert [p.action for p in forced.products] == ["build", "build", "build"]


def test_a_changed_transform_rebuilds_the_product_and_its_downstream_only(mesh: Path) -> None:
    state = _published_state(mesh)
    transform = mesh / "domains" / "two" / "b" / "transforms" / "b.sql"
    transform.write_text(transform.read_text() + "-- changed\n")
    plan = make_plan(load_workspace(mesh), state=state)
    assert {p.key: p.action for p in plan.products} == {"one.a": "skip", "two.b": "build", "two.c": "build"}
    assert plan.product("two.c").reason == "upstream two.b will run"


def test_a_changed_source_file_rebuilds_its_reader(mesh: Path) -> None:
    state = _published_state(mesh)
    add_source(mesh, "s1", rows=5)
    plan = make_plan(load_workspace(mesh), state=state)
    assert [p.action for p in plan.products] == ["build", "build", "build"]


def test_fingerprint_ignores_where_the_mesh_lives(mesh: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(mesh, copy)
    assert content_fingerprint(load_workspace(mesh).products["two.b"]) == content_fingerprint(
        load_workspace(copy).products["two.b"]
    )
    server = {"type": "local", "path": "sources/s1.csv"}
    assert source_identity(mesh.resolve(), server) == source_identity(
        copy.resolve(), server
    )  # copy2 keeps mtime


def test_selection_limits_the_plan(mesh: Path) -> None:
    plan = make_plan(load_workspace(mesh), ["b+"])
    assert [p.key for p in plan.products] == ["two.b", "two.c"]

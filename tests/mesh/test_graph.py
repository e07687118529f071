"""Workspace discovery and the product graph: edges from ports, and errors that name both files."""

from __future__ import annotations

from pathlib import Path

import pytest

from quanta.errors import ConfigError, UsageError
from quanta.mesh import build_graph, load_workspace, select
from quanta.mesh.graph import compatible
from tests.mesh.factory import add_product, add_source, new_mesh


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    """A diamond: a and b read sources, c reads a and b, d reads c; e reads a."""
    root = new_mesh(tmp_path / "m")
    add_source(root, "s1")
    add_source(root, "s2")
    add_product(root, "one", "a", source="s1")
    add_product(root, "one", "b", source="s2")
    add_product(root, "two", "c", reads=[("a", "one.a.a", "1.0.0"), ("b", "one.b.b", "1.0.0")])
    add_product(root, "two", "d", reads=[("c", "two.c.c", "1.0.0")])
    add_product(root, "three", "e", reads=[("a", "one.a.a", "1.0.0")])
    return root


def test_workspace_is_found_from_a_subfolder(mesh: Path) -> None:
    workspace = load_workspace(mesh / "domains" / "two" / "c" / "transforms")
    assert workspace.root == mesh.resolve()
    assert list(workspace.products) == ["one.a", "one.b", "three.e", "two.c", "two.d"]
    a = workspace.products["one.a"]
    assert a.input_ports[0].source is not None and a.input_ports[0].source.id == "source.s1"
    assert a.output_ports[0].transform == a.path / "transforms" / "a.sql"
    assert workspace.table_location(a, a.output_ports[0]).endswith("/.quanta/tables/one/a/a")


def test_no_mesh_upwards_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="quanta init"):
        load_workspace(tmp_path)


def test_edges_and_order(mesh: Path) -> None:
    graph = build_graph(load_workspace(mesh))
    assert {(e.producer, e.consumer) for e in graph.edges} == {
        ("one.a", "two.c"),
        ("one.b", "two.c"),
        ("two.c", "two.d"),
        ("one.a", "three.e"),
    }
    order = graph.products
    assert order.index("one.a") < order.index("two.c") < order.index("two.d")
    assert graph.ancestors("two.d") == {"one.a", "one.b", "two.c"}
    assert graph.descendants("one.a") == {"two.c", "two.d", "three.e"}


def test_selectors(mesh: Path) -> None:
    graph = build_graph(load_workspace(mesh))
    assert select(graph, []) == graph.products
    assert select(graph, ["c"]) == ("two.c",)
    assert set(select(graph, ["+two.c"])) == {"one.a", "one.b", "two.c"}
    assert set(select(graph, ["a+"])) == {"one.a", "two.c", "two.d", "three.e"}
    assert set(select(graph, ["+c+"])) == {"one.a", "one.b", "two.c", "two.d"}
    assert set(select(graph, ["d", "e"])) == {"two.d", "three.e"}
    with pytest.raises(UsageError, match="no product called 'zz'"):
        select(graph, ["zz+"])


def test_ambiguous_short_name_asks_for_the_domain(mesh: Path) -> None:
    add_product(mesh, "three", "a", source="s1")
    graph = build_graph(load_workspace(mesh))
    with pytest.raises(UsageError, match=r"ambiguous.*one\.a.*three\.a"):
        select(graph, ["a"])
    assert select(graph, ["three.a"]) == ("three.a",)


def test_dangling_reference_names_the_file_line_and_the_known_contracts(mesh: Path) -> None:
    add_product(mesh, "three", "f", reads=[("x", "one.a.nope", "1.0.0")])
    with pytest.raises(ConfigError) as caught:
        build_graph(load_workspace(mesh))
    message = caught.value.message
    assert "domains/three/f/product.odps.yaml:" in message and "'one.a.nope'" in message
    assert "one.a.a" in message  # the published contracts are listed


def test_version_mismatch_names_both_descriptors(mesh: Path) -> None:
    add_product(mesh, "three", "f", reads=[("a", "one.a.a", "2.0.0")])
    with pytest.raises(ConfigError) as caught:
        build_graph(load_workspace(mesh))
    message = caught.value.message
    assert "three/f/product.odps.yaml" in message and "one/a/product.odps.yaml" in message
    assert "2.0.0" in message and "1.0.0" in message


def test_cycle_names_every_product_on_it(tmp_path: Path) -> None:
    root = new_mesh(tmp_path / "m")
    add_product(root, "x", "p", reads=[("q", "x.q.q", "1.0.0")])
    add_product(root, "x", "q", reads=[("p", "x.p.p", "1.0.0")])
    with pytest.raises(ConfigError, match="cycle") as caught:
        build_graph(load_workspace(root))
    assert "x/p/product.odps.yaml" in caught.value.message and "x/q/product.odps.yaml" in caught.value.message


def test_two_products_publishing_one_contract_is_an_error(mesh: Path) -> None:
    folder = add_product(mesh, "three", "g", source="s1")
    (folder / "contracts" / "g.odcs.yaml").write_text(
        (folder / "contracts" / "g.odcs.yaml").read_text().replace("three.g.g", "one.a.a")
    )
    (folder / "product.odps.yaml").write_text(
        (folder / "product.odps.yaml").read_text().replace("three.g.g", "one.a.a")
    )
    with pytest.raises(ConfigError, match="published by two products"):
        load_workspace(mesh)


def test_missing_transform_says_which_file_to_write(mesh: Path) -> None:
    (mesh / "domains" / "two" / "d" / "transforms" / "d.sql").unlink()
    with pytest.raises(ConfigError, match=r"transforms/d\.sql"):
        load_workspace(mesh)


@pytest.mark.parametrize(
    ("asked", "offered", "ok"),
    [
        ("1.0.0", "1.0.0", True),
        ("1.0.0", "1.3.0", True),
        ("1.2.0", "1.1.9", False),
        ("1.0.0", "2.0.0", False),
    ],
)
def test_semver_compatibility(asked: str, offered: str, ok: bool) -> None:
    assert compatible(asked, offered) is ok

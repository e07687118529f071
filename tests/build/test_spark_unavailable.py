"""A product pinned to Spark on a machine without Java fails alone, with a message saying what is missing."""

from __future__ import annotations

from pathlib import Path


def test_a_spark_product_without_java_errors_and_the_duckdb_products_publish(
    tmp_path: Path, monkeypatch
) -> None:
    from quanta.build import build
    from quanta.mesh import load_workspace
    from quanta.mesh.scaffold import init_mesh, new_product

    root = init_mesh(tmp_path / "mesh")
    for name in ("orders", "returns", "refunds"):
        new_product(root, "shop", name)
    for name in ("returns", "refunds"):
        descriptor = root / "domains" / "shop" / name / "product.odps.yaml"
        descriptor.write_text(
            descriptor.read_text() + "customProperties:\n  - property: quantaEngine\n    value: spark\n"
        )
    empty = tmp_path / "no-java"
    empty.mkdir()
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(empty))  # no `java` on the PATH: Spark cannot start

    result = build(load_workspace(root), jobs=1)
    statuses = {p.product: (p.status, p.reason) for p in result.products}
    assert statuses["shop.orders"][0] == "published"
    for name in ("shop.returns", "shop.refunds"):
        status, reason = statuses[name]
        assert status == "error"
        assert "the Spark engine needs a Java 17 runtime" in reason

"""A DuckDB mesh whose products choose Spark per product (descriptor) and per domain (``domain.yaml``).

One real build (in process, on the worker's ``local[2]`` session): a source-aligned product on DuckDB,
a product pinned to Spark by its descriptor's ``quantaEngine`` custom property reading the first one's
published Delta version with a DuckDB-dialect SQL transform, and a product of a Spark domain whose Python
transform receives a Spark DataFrame. The published tables are read back with ``deltalake`` and compared
with what DuckDB computes from the source CSV on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

CSV = "id,label\n" + "".join(f"{i},{'item-' + str(i) if i % 3 else ''}\n" for i in range(1, 41))
PIN = "customProperties:\n  - property: quantaEngine\n    value: spark\n"


def consumer(root: Path, domain: str, name: str, transform: tuple[str, str], extra: str = "") -> None:
    """Scaffold ``domain.name``, then make it read ``shop.orders.orders`` as input port ``orders``."""
    from quanta.mesh.scaffold import new_product

    new_product(root, domain, name)
    folder = root / "domains" / domain / name
    descriptor = folder / "product.odps.yaml"
    text = descriptor.read_text().replace("  - name: raw\n", "  - name: orders\n")
    descriptor.write_text(
        text.replace(f"contractId: source.{domain}.{name}", "contractId: shop.orders.orders") + extra
    )
    (folder / "contracts" / f"source.{name}.odcs.yaml").unlink()
    (root / "sources" / domain / f"{name}.csv").unlink()
    (folder / "transforms" / f"{name}.sql").unlink()
    suffix, code = transform
    (folder / "transforms" / f"{name}{suffix}").write_text(code)


@pytest.fixture(scope="module")
def mesh(spark_engine, tmp_path_factory) -> Path:
    from quanta.mesh.scaffold import init_mesh, new_product

    root = init_mesh(tmp_path_factory.mktemp("choice") / "shop")
    new_product(root, "shop", "orders")
    (root / "sources" / "shop" / "orders.csv").write_text(CSV)
    consumer(
        root,
        "shop",
        "labels",
        (
            ".sql",
            '-- odd ids, labels upper-cased (DuckDB dialect)\nSELECT id, upper("label") AS label\n'
            "FROM orders WHERE id % 2 = 1\n",
        ),
        PIN,
    )
    consumer(
        root,
        "analytics",
        "seen",
        (
            ".py",
            "from pyspark.sql import functions as F\n\n\ndef transform(orders):\n"
            "    return orders.select('id', F.lit(type(orders).__module__).alias('label'))\n",
        ),
    )
    domain = root / "domains" / "analytics" / "domain.yaml"
    domain.write_text(domain.read_text() + "engine: spark\n")
    return root


@pytest.fixture(scope="module")
def result(mesh: Path):
    from quanta.build import build
    from quanta.mesh import load_workspace

    return build(load_workspace(mesh), jobs=2)


def table(root: Path, key: str) -> list[dict]:
    from deltalake import DeltaTable

    domain, product = key.split(".")
    data = DeltaTable(str(root / ".quanta" / "tables" / domain / product / product)).to_pyarrow_table()
    return data.sort_by("id").to_pylist()


def test_every_product_runs_on_the_engine_chosen_for_it(mesh: Path, result) -> None:
    from quanta.mesh import load_workspace

    assert {p.product: p.status for p in result.products} == dict.fromkeys(
        ("shop.orders", "shop.labels", "analytics.seen"), "published"
    ), [p.reason for p in result.products]
    ran_on = {
        p.product: next(s.detail["engine"] for s in p.stages if s.stage == "transform")
        for p in result.products
    }
    assert ran_on == {"shop.orders": "duckdb", "shop.labels": "spark", "analytics.seen": "spark"}
    workspace = load_workspace(mesh)
    assert {k: workspace.engine_of(p) for k, p in workspace.products.items()} == ran_on


def test_the_pinned_product_publishes_what_duckdb_computes_from_the_source(mesh: Path, result) -> None:
    import duckdb

    expected = (
        duckdb.sql(
            "SELECT CAST(id AS BIGINT) AS id, upper(label) AS label "
            f"FROM read_csv('{mesh / 'sources' / 'shop' / 'orders.csv'}') WHERE id % 2 = 1 ORDER BY id"
        )
        .to_arrow_table()
        .to_pylist()
    )
    assert len(expected) == 20 and any(row["label"] is None for row in expected)
    assert table(mesh, "shop.labels") == expected


def test_the_spark_domain_product_got_a_spark_dataframe(mesh: Path, result) -> None:
    published = table(mesh, "analytics.seen")
    assert [row["id"] for row in published] == list(range(1, 41))
    assert {row["label"] for row in published} == {"pyspark.sql.classic.dataframe"}


def test_a_second_build_finds_every_product_unchanged(mesh: Path, result) -> None:
    from quanta.build import build
    from quanta.mesh import load_workspace

    again = build(load_workspace(mesh), jobs=2)
    assert {p.status for p in again.products} == {"skipped"}

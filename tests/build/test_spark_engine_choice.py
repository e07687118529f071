"""A DuckDB mesh whose products choose Spark per product (descriptor) and per domain (``domain.yaml``).

One real build twice: in process on the worker's ``local[2]`` session, then through the ``quanta build``
CLI in a child process as a client of a real Spark Connect server (``spark: {remote: sc://...}`` in
``mesh.yaml``; pyspark runs one mode per process, and this worker holds a classic session). Each builds a
source-aligned product on DuckDB,
a product pinned to Spark by its descriptor's ``quantaEngine`` custom property reading the first one's
published Delta version with a DuckDB-dialect SQL transform, and a product of a Spark domain whose Python
transform receives a Spark DataFrame. The published tables are read back with ``deltalake`` and compared
with what DuckDB computes from the source CSV on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.build.conftest import quanta

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


def connected(root: Path) -> bool:
    """Whether the mesh reaches Spark through Spark Connect."""
    return "remote: sc://" in (root / "mesh.yaml").read_text()


@pytest.fixture(scope="module", params=["local", "connect"])
def mesh(request, tmp_path_factory) -> Path:
    """The mesh, reaching Spark in process (``local[2]``) or through a real Spark Connect server."""
    from quanta.mesh.scaffold import init_mesh, new_product

    root = init_mesh(tmp_path_factory.mktemp("choice") / "shop")
    if request.param == "connect":
        config = root / "mesh.yaml"
        assert "\nspark:" not in config.read_text()
        config.write_text(
            config.read_text() + f"spark:\n  remote: {request.getfixturevalue('spark_connect').url}\n"
        )
    else:
        request.getfixturevalue("spark_engine")  # the worker's classic session, which builds reuse
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


def build_document(root: Path) -> dict:
    """Build the mesh and return the build's JSON document (``quanta build --format json``)."""
    if connected(root):
        process = quanta("build", "--format", "json", "--jobs", "2", cwd=root)
        assert process.stdout, process.stderr
        return json.loads(process.stdout)
    from quanta.build import build
    from quanta.mesh import load_workspace

    return build(load_workspace(root), jobs=2).to_dict()


@pytest.fixture(scope="module")
def result(mesh: Path) -> dict:
    return build_document(mesh)


def table(root: Path, key: str) -> list[dict]:
    from deltalake import DeltaTable

    domain, product = key.split(".")
    data = DeltaTable(str(root / ".quanta" / "tables" / domain / product / product)).to_pyarrow_table()
    return data.sort_by("id").to_pylist()


def test_every_product_runs_on_the_engine_chosen_for_it(mesh: Path, result: dict) -> None:
    from quanta.mesh import load_workspace

    products = result["products"]
    assert {p["product"]: p["status"] for p in products} == dict.fromkeys(
        ("shop.orders", "shop.labels", "analytics.seen"), "published"
    ), [p["reason"] for p in products]
    ran_on = {
        p["product"]: next(s["engine"] for s in p["stages"] if s["stage"] == "transform") for p in products
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
    kind = "connect" if connected(mesh) else "classic"  # a Spark Connect client's DataFrame is its own class
    assert {row["label"] for row in published} == {f"pyspark.sql.{kind}.dataframe"}


def test_a_second_build_finds_every_product_unchanged(mesh: Path, result) -> None:
    again = build_document(mesh)
    assert {p["status"] for p in again["products"]} == {"skipped"}

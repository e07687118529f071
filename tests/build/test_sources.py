"""Sources other than local files: SQLite files and PostgreSQL tables feed a build through their contract."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from quanta.build import build
from quanta.mesh import load_workspace
from tests.build.test_runner import read_table
from tests.mesh.factory import add_product, new_mesh
from tests.support.ports import free_port

SOURCE = """\
apiVersion: v3.1.0
kind: DataContract
id: source.shop.orders
name: orders
version: 1.0.0
status: active
servers:
  - server: shop
{server}
schema:
  - name: orders
    physicalName: orders
    physicalType: table
    properties:
      - name: id
        logicalType: integer
        required: true
      - name: value
        logicalType: integer
    quality:
      - metric: rowCount
        mustBeGreaterThan: 0
"""


def _mesh_reading(root: Path, server: str) -> Path:
    new_mesh(root)
    folder = add_product(root, "sales", "orders", reads=[], sql="SELECT id, value FROM raw")
    (folder / "contracts" / "source.odcs.yaml").write_text(SOURCE.format(server=server))
    descriptor = folder / "product.odps.yaml"
    descriptor.write_text(
        descriptor.read_text().replace(
            "inputPorts:\n  []",
            "inputPorts:\n  - name: raw\n    version: 1.0.0\n    contractId: source.shop.orders",
        )
    )
    return root


def test_a_sqlite_source(tmp_path: Path) -> None:
    root = tmp_path / "m"
    database = tmp_path / "shop.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER, value INTEGER)")
        connection.executemany("INSERT INTO orders VALUES (?, ?)", [(1, 10), (2, 20)])
    _mesh_reading(root, f"    type: sqlite\n    path: {database}")
    result = build(load_workspace(root))
    assert [p.status for p in result.products] == ["published"], result.products[0].reason
    assert read_table(root, "sales", "orders", "orders") == [{"id": 1, "value": 10}, {"id": 2, "value": 20}]
    assert {c["status"] for c in result.products[0].sources["raw"]} == {"passed"}


@pytest.mark.parametrize("file_format", ["parquet", "json", "delta"])
def test_a_local_file_source_in_each_format(tmp_path: Path, file_format: str) -> None:
    import duckdb
    import pyarrow as pa
    from deltalake import write_deltalake

    root = tmp_path / "m"
    rows = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "value": pa.array([10, None, 30], pa.int64())})
    data = tmp_path / f"orders.{file_format}"
    if file_format == "delta":
        write_deltalake(str(data), rows.slice(0, 1))
        write_deltalake(str(data), rows.slice(1), mode="append")  # two commits: the source is the latest
    elif file_format == "parquet":
        duckdb.from_arrow(rows).write_parquet(str(data))
    else:
        duckdb.sql(f"COPY (SELECT * FROM rows) TO '{data}' (FORMAT json)")
    _mesh_reading(root, f"    type: local\n    path: {data}\n    format: {file_format}")
    result = build(load_workspace(root))
    product = result.products[0]
    assert product.status == "published", product.reason
    assert read_table(root, "sales", "orders", "orders") == rows.to_pylist()
    checks = product.sources["raw"]
    assert any(c["kind"] == "row_count" and c["metricValue"] == 3 for c in checks), checks
    assert {c["status"] for c in checks} == {"passed"}


@pytest.mark.postgres
def test_a_postgresql_source_is_checked_in_place_and_always_reread(
    tmp_path: Path, postgres_server, postgres_url: str, monkeypatch
) -> None:
    import psycopg

    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE orders (id integer, value integer)")
        connection.execute("INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30)")
    monkeypatch.setenv("QUANTA_POSTGRES_USER", postgres_server.user)
    database = dsn.rsplit("/", 1)[1]
    server = f"    type: postgresql\n    host: 127.0.0.1\n    port: {postgres_server.port}\n"
    server += f"    database: {database}\n    schema: public"
    root = _mesh_reading(tmp_path / "m", server)
    result = build(load_workspace(root))
    product = result.products[0]
    assert product.status == "published", product.reason
    assert len(read_table(root, "sales", "orders", "orders")) == 3
    checks = product.sources["raw"]
    assert checks[0]["rule"] == "sourceAvailable" and checks[0]["status"] == "passed"
    assert any(c["kind"] == "row_count" and c["metricValue"] == 3 for c in checks)
    assert all(c["status"] == "passed" for c in checks)
    again = build(load_workspace(root))  # a database has no cheap snapshot identity: read it again
    assert again.products[0].status == "published"


def test_an_unreachable_postgresql_source_blocks_the_product(tmp_path: Path) -> None:
    port = free_port()  # nobody listens on it
    server = (
        f"    type: postgresql\n    host: 127.0.0.1\n    port: {port}\n    database: shop\n    schema: public"
    )
    root = _mesh_reading(tmp_path / "m", server)
    result = build(load_workspace(root))
    product = result.products[0]
    assert product.status == "blocked"
    assert (
        product.sources["raw"][0]["status"] == "failed"
        and "not available" in product.sources["raw"][0]["message"]
    )

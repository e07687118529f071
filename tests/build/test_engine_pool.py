"""A build's DuckDB pool: each product starts from an empty catalog on its thread's database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb

from quanta.build.engines import EnginePool


def catalog(engine) -> dict[str, list]:
    connection = engine.connection
    return {
        "views": connection.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall(),
        "tables": connection.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall(),
        "databases": connection.execute(
            "SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1"
        ).fetchall(),
    }


EMPTY = {"views": [], "tables": [], "databases": [("memory",)]}


def duckdb_file(path: Path, sql: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)
    return path


def test_a_released_engine_leaves_nothing_for_the_next_product(tmp_path: Path) -> None:
    other = duckdb_file(tmp_path / "other.duckdb", "CREATE TABLE planes AS SELECT 1 AS id")
    pool = EnginePool(tmp_path / "spill")
    try:
        first = pool.acquire()
        first.execute("CREATE TABLE staged AS SELECT range AS id FROM range(3)")
        first.execute('CREATE VIEW "odd name" AS SELECT * FROM staged WHERE id % 2 = 1')
        first.execute("CREATE SCHEMA side")
        first.execute("CREATE TABLE side.extra AS SELECT 1 AS x")
        first.execute(f"ATTACH '{other}' AS src (READ_ONLY)")
        first.execute("CREATE TEMP VIEW scratch AS SELECT 42 AS answer")
        assert len(catalog(first)["tables"]) == 3  # staged, side.extra and the attached src.planes
        pool.release(first)

        second = pool.acquire()  # same thread, same database, a new connection
        assert second.connection.execute("SELECT current_database()").fetchone() == ("memory",)
        assert catalog(second) == EMPTY
        pool.release(second)
    finally:
        pool.close()


def test_what_the_engine_created_itself_is_dropped_without_a_catalog_scan(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [1, 2]}), tmp_path / "input.parquet")
    lite = tmp_path / "planes.sqlite"
    with sqlite3.connect(lite) as con:
        con.execute("CREATE TABLE planes AS SELECT 'N1' AS tailnum")
    other = duckdb_file(tmp_path / "other.duckdb", "CREATE TABLE airlines AS SELECT 'AA' AS carrier")
    pool = EnginePool(tmp_path / "spill")
    try:
        first = pool.acquire()
        first.register_file("input", tmp_path / "input.parquet")
        first.register_file("planes", lite)
        first.register_file("airlines", other, format="duckdb")
        assert [kind for kind, _ in first.created()] == ["VIEW", "TABLE", "DATABASE", "VIEW"]
        pool.release(first)
        second = pool.acquire()
        assert catalog(second) == EMPTY

        second.execute("CREATE TABLE free_sql AS SELECT 1 AS x")  # SQL the engine did not write
        assert second.created() is None
        pool.release(second)  # falls back to the catalog
        third = pool.acquire()
        assert catalog(third) == EMPTY
        pool.release(third)
    finally:
        pool.close()

"""Reading Delta versions and staged output as plain Parquet files, and when that is refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from quanta.engine.duckdb import DuckDBEngine
from quanta.engine.parquet_files import NotPlainParquet, parquet_parts, parquet_summary, plain_delta_files


@pytest.fixture()
def duck():
    engine = DuckDBEngine()
    yield engine
    engine.close()


def rows(engine: DuckDBEngine, sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in engine.rows(sql)]


def test_each_version_is_read_from_its_own_files(duck, tmp_path):
    uri = str(tmp_path / "t")
    write_deltalake(uri, pa.table({"k": [1, 2, 3], "v": ["a", "b", "c"]}))
    write_deltalake(uri, pa.table({"k": [10, 20], "v": ["x", "y"]}), mode="overwrite")
    write_deltalake(uri, pa.table({"k": [30], "v": ["z"]}), mode="append")

    assert len(plain_delta_files(uri, 0)) == 1 and len(plain_delta_files(uri)) == 2
    duck.register_file("v0", uri, format="delta", version=0)
    duck.register_file("v1", uri, format="delta", version=1)
    duck.register_file("latest", uri, format="delta")
    assert rows(duck, "SELECT sum(k), string_agg(v, '' ORDER BY v) FROM v0") == [(6, "abc")]
    assert rows(duck, "SELECT sum(k), string_agg(v, '' ORDER BY v) FROM v1") == [(30, "xy")]
    assert rows(duck, "SELECT sum(k), string_agg(v, '' ORDER BY v) FROM latest") == [(60, "xyz")]


def test_a_partitioned_table_is_read_through_delta_rs_with_its_partition_values(duck, tmp_path):
    uri = str(tmp_path / "p")
    write_deltalake(uri, pa.table({"k": [1, 2, 3], "day": ["mon", "mon", "tue"]}), partition_by=["day"])

    with pytest.raises(NotPlainParquet, match="partitioned") as refused:
        plain_delta_files(uri)
    assert refused.value.table.version() == 0  # opened once: the fallback reads through this table
    duck.register_file("p", uri, format="delta")
    # the partition column lives in the Delta log, not in the files: delta-rs adds it back
    assert rows(duck, "SELECT day, sum(k) FROM p GROUP BY day ORDER BY day") == [("mon", 3), ("tue", 3)]


def test_a_table_with_column_mapping_is_refused(tmp_path):
    uri = str(tmp_path / "m")
    write_deltalake(
        uri,
        pa.table({"k": [1]}),
        configuration={"delta.columnMapping.mode": "name"},
    )
    with pytest.raises(NotPlainParquet, match="reader features"):
        plain_delta_files(uri)


def test_staged_parts_skip_markers_and_checksums(tmp_path):
    import pyarrow.parquet as pq

    folder = tmp_path / "out"
    folder.mkdir()
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), folder / "part-00000.parquet")
    pq.write_table(pa.table({"a": [3], "b": ["z"]}), folder / "part-00001.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000.parquet.crc").write_bytes(b"crc")

    assert [p.name for p in parquet_parts(folder)] == ["part-00000.parquet", "part-00001.parquet"]
    assert parquet_summary(folder) == (3, ("a", "b"))
    assert parquet_summary(folder / "part-00001.parquet") == (1, ("a", "b"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert parquet_summary(empty) == (0, ())


def test_reading_and_publishing_local_tables_never_imports_pyarrow_dataset(tmp_path):
    """``pyarrow.dataset`` imports pandas when it is installed: 0.3-0.5 s of every build process."""
    script = textwrap.dedent(
        f"""
        import sys
        import duckdb
        from quanta import storage
        from quanta.engine.duckdb import DuckDBEngine

        root = {str(tmp_path)!r}
        # staged data is written by the engine, as a build's transform writes it
        duckdb.sql(f"COPY (SELECT range + 1 AS k FROM range(3)) TO '{{root}}/raw.parquet'")
        storage.publish(root + "/raw.parquet", root + "/upstream", run_id="r0")
        engine = DuckDBEngine()
        engine.register_file("upstream", root + "/upstream", format="delta")
        engine.query("SELECT k * 2 AS k FROM upstream").read_all()
        duckdb.sql(f"COPY (SELECT k * 2 AS k FROM read_parquet('{{root}}/raw.parquet')) TO '{{root}}/staged.parquet'")
        published = storage.publish(root + "/staged.parquet", root + "/out", run_id="r1")
        print(published.row_count, "pyarrow.dataset" in sys.modules, "pandas" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "False", "False"]

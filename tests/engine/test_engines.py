"""One conformance suite for every engine (subclassed per engine by overriding the ``engine`` fixture),
plus the DuckDB readers for every local format, on the real flights table."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

import pyarrow as pa
import pytest

from quanta.engine import DuckDBEngine, Engine, get_engine, table_expression
from quanta.errors import UsageError


class EngineConformance:
    """What every engine must do; subclasses provide ``engine`` (holding table ``flights``)."""

    def test_is_an_engine(self, engine):
        assert isinstance(engine, Engine)
        assert engine.dialect in ("duckdb", "postgres")
        assert isinstance(engine.CAN_REGISTER, bool) and isinstance(engine.PUSHES_DOWN, bool)

    def test_query_streams_arrow(self, engine, oracle):
        reader = engine.query('SELECT "carrier", COUNT(*) AS n FROM "flights" GROUP BY 1 ORDER BY 1')
        assert isinstance(reader, pa.RecordBatchReader)
        table = reader.read_all()
        assert table.column_names == ["carrier", "n"]
        assert table.num_rows == oracle("SELECT COUNT(DISTINCT carrier) FROM flights")
        assert sum(table.column("n").to_pylist()) == 336776

    def test_query_of_an_empty_result_keeps_its_schema(self, engine):
        reader = engine.query('SELECT * FROM "flights" LIMIT 0')
        assert "time_hour" in reader.schema.names
        assert pa.types.is_timestamp(reader.schema.field("time_hour").type)
        assert reader.read_all().num_rows == 0

    def test_execute(self, engine):
        engine.execute("SELECT 1")

    def test_large_results_stream_in_batches(self, engine):
        reader = engine.query('SELECT "flight" FROM "flights"')
        batches = sum(1 for _ in reader)
        assert batches > 1


class TestDuckDB(EngineConformance):
    @pytest.fixture()
    def engine(self, flights_parquet, tmp_path):
        engine = DuckDBEngine(memory_limit="512MB", temp_directory=tmp_path / "spill", threads=1)
        engine.register("flights", flights_parquet)
        yield engine
        engine.close()

    def test_settings_are_applied(self, engine, tmp_path):
        row = (
            engine.query(
                "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, "
                "current_setting('temp_directory') AS d"
            )
            .read_all()
            .to_pylist()[0]
        )
        assert row["m"] in ("488.2 MiB", "512.0 MB", "488.2MiB")
        assert int(row["t"]) == 1
        assert row["d"] == str(tmp_path / "spill")


class TestPostgres(EngineConformance):
    pytestmark = pytest.mark.postgres

    @pytest.fixture()
    def engine(self, postgres_url, nycflights, monkeypatch):
        import psycopg

        from quanta.engine import PostgresEngine
        from tests.checks.test_postgres import COLUMNS

        plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as con:
            con.execute(f"CREATE TABLE flights ({COLUMNS})")
            with con.cursor().copy(
                "COPY flights FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NA')"
            ) as copy:
                copy.write(nycflights["flights"].read_bytes())
        url = urlparse(plain)
        monkeypatch.setenv("QUANTA_POSTGRES_USER", url.username)
        engine = PostgresEngine(
            host=url.hostname, port=url.port, database=url.path.lstrip("/"), schema="public"
        )
        yield engine
        engine.close()

    def test_register_is_refused(self, engine):
        with pytest.raises(UsageError, match="PostgreSQL"):
            engine.register("x", pa.table({"a": [1]}))


@pytest.fixture()
def duck():
    engine = DuckDBEngine()
    yield engine
    engine.close()


def count(engine, name):
    sql = f"SELECT COUNT(*) AS n, COUNT(tailnum) AS t FROM {table_expression(name).sql('duckdb')}"
    return engine.query(sql).read_all().to_pylist()[0]


def test_csv_with_null_token(duck, nycflights, oracle):
    duck.register_file("flights", nycflights["flights"], null_value="NA")
    assert count(duck, "flights") == {"n": 336776, "t": oracle("SELECT COUNT(tailnum) FROM flights")}
    duck.register_file("raw", nycflights["flights"])
    assert count(duck, "raw")["t"] == 336776  # without the token, 'NA' is text


def test_parquet_json_and_globs(duck, flights_parquet, tmp_path):
    import duckdb

    con = duckdb.connect()
    rel = con.read_parquet(str(flights_parquet))
    rel.filter("month <= 6").write_parquet(str(tmp_path / "part-1.parquet"))
    rel.filter("month > 6").write_parquet(str(tmp_path / "part-2.parquet"))
    con.sql(
        f"COPY (SELECT * FROM read_parquet('{flights_parquet}') WHERE month = 1) TO "
        f"'{tmp_path / 'jan.json'}' (FORMAT json)"
    )
    con.close()
    duck.register("parts", str(tmp_path / "part-*.parquet"), format="parquet")
    assert count(duck, "parts")["n"] == 336776
    duck.register("jan", tmp_path / "jan.json")
    assert count(duck, "jan")["n"] == 27004


def test_delta_table_through_deltalake(duck, flights_parquet, tmp_path):
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    table = pq.read_table(flights_parquet)
    write_deltalake(str(tmp_path / "delta"), table.slice(0, 100_000))
    write_deltalake(str(tmp_path / "delta"), table.slice(100_000), mode="append")
    duck.register("flights", tmp_path / "delta")  # a folder with _delta_log is Delta
    assert count(duck, "flights")["n"] == 336776


def test_duckdb_and_sqlite_files(duck, flights_parquet, tmp_path, oracle):
    import duckdb

    database = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    con.execute("CREATE SCHEMA ops")
    con.read_parquet(str(flights_parquet)).create("ops.flights")
    con.close()
    duck.register_file("flights", database, table="flights", schema="ops")
    assert count(duck, "flights")["n"] == 336776

    lite = tmp_path / "planes.sqlite"
    with sqlite3.connect(lite) as con:
        con.execute("CREATE TABLE planes (tailnum TEXT, year INTEGER, seats INTEGER)")
        con.executemany(
            "INSERT INTO planes VALUES (?, ?, ?)",
            [(f"N{i}", None if i % 7 == 0 else 1990 + i % 20, i) for i in range(120_000)],
        )
    con.close()
    duck.register_file("planes", lite)
    rows = duck.query("SELECT COUNT(*) AS n, COUNT(year) AS y, SUM(seats) AS s FROM planes").read_all()
    assert rows.to_pylist()[0] == {
        "n": 120_000,
        "y": 120_000 - len(range(0, 120_000, 7)),
        "s": sum(range(120_000)),
    }


def test_arrow_and_relations(duck, flights_parquet):
    import pyarrow.parquet as pq

    duck.register("arrow", pq.read_table(flights_parquet, columns=["tailnum"]))
    assert count(duck, "arrow")["n"] == 336776
    relation = duck.connection.read_parquet(str(flights_parquet)).filter("origin = 'JFK'")
    duck.register("jfk", relation)
    assert 0 < count(duck, "jfk")["n"] < 336776
    other = DuckDBEngine()
    with pytest.raises(UsageError, match="engine that owns the relation"):
        other.register("jfk", relation)
    other.close()


def test_reader_errors_are_usage_errors(duck, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        duck.register("x", tmp_path / "missing.parquet")
    (tmp_path / "data.xlsx").write_text("not really")
    with pytest.raises(UsageError, match="format"):
        duck.register("x", tmp_path / "data.xlsx")
    with pytest.raises(UsageError, match="cannot register"):
        duck.register("x", object())


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QUANTA_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("QUANTA_DUCKDB_THREADS", "1")
    monkeypatch.setenv("QUANTA_DUCKDB_TEMP_DIRECTORY", str(tmp_path))
    engine = DuckDBEngine()
    sql = "SELECT current_setting('threads') AS t, current_setting('temp_directory') AS d"
    assert engine.query(sql).read_all().to_pylist() == [{"t": 1, "d": str(tmp_path)}]
    engine.close()


def test_engines_by_name():
    engine = get_engine("duckdb", threads=1)
    assert engine.dialect == "duckdb"
    engine.close()
    with pytest.raises(UsageError, match="unknown engine"):
        get_engine("oracle")

"""Each build stage on the Spark engine (real Spark, ``local[2]``): resolve, transform, publish.

Marked ``spark`` (pyspark and Java 17; skipped locally when missing, required in CI) and grouped on one
xdist worker with the other Spark tests, so one JVM serves them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

UTC = dt.UTC


def orders():
    """A small orders table with the types transforms meet: integers, strings, nulls, dates, instants."""
    import pyarrow as pa

    return pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
            "label": ["a", "b", None, "d", "e"],
            "day": [
                dt.date(2026, 1, 5),
                dt.date(2026, 1, 20),
                dt.date(2026, 2, 1),
                dt.date(2026, 2, 3),
                None,
            ],
            "amount": pa.array([10, 20, 30, 45, 7], pa.int32()),
            "at": [dt.datetime(2026, 1, 5, 8, 30, tzinfo=UTC)] * 4
            + [dt.datetime(2026, 2, 9, 23, 0, tzinfo=UTC)],
        }
    )


@pytest.fixture
def spark(spark_engine):
    """An isolated session of the worker's Spark session, as a build gives each product."""
    return spark_engine.isolated()


@pytest.fixture
def duck():
    from quanta.engine import DuckDBEngine

    engine = DuckDBEngine()
    yield engine
    engine.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rows(staged: Path) -> list[dict]:
    """The staged rows (a Parquet file or Spark's folder of part files), sorted on every column."""
    import pyarrow.dataset as ds

    table = ds.dataset(staged, format="parquet").to_table()
    return table.sort_by([(name, "ascending") for name in table.column_names]).to_pylist()


def test_duckdb_sql_is_transpiled_for_spark(spark, duck, tmp_path: Path) -> None:
    from quanta.build.transform import stage_sql

    # Double-quoted identifiers, strftime and FILTER are DuckDB's spelling; Spark reads "x" as a string.
    sql = write(
        tmp_path / "monthly.sql",
        "-- orders by month\n"
        'SELECT strftime("day", \'%Y-%m\') AS "month",\n'
        "       count(*) FILTER (WHERE label IS NOT NULL) AS labelled,\n"
        "       sum(amount) / 2 AS half\n"
        'FROM orders WHERE "day" IS NOT NULL GROUP BY 1\n',
    )
    for engine in (spark, duck):
        engine.register("orders", orders())
    on_spark = stage_sql(spark, sql, tmp_path / "spark" / "monthly.parquet", ["orders"])
    on_duck = stage_sql(duck, sql, tmp_path / "duck.parquet", ["orders"])
    assert on_spark.is_dir()  # Spark writes part files from its executors
    assert rows(on_spark) == rows(on_duck)
    assert rows(on_spark) == [
        {"month": "2026-01", "labelled": 2, "half": 15.0},
        {"month": "2026-02", "labelled": 1, "half": 37.5},
    ]


def test_a_transform_in_the_spark_dialect_runs_on_both_engines(spark, duck, tmp_path: Path) -> None:
    from quanta.build.transform import stage_sql

    sql = write(
        tmp_path / "labels.sql",
        "-- labels, written for Spark\n-- dialect: spark\n"
        "SELECT `id`, date_format(`day`, 'yyyy-MM') AS month, nvl(label, 'none') AS label FROM orders\n",
    )
    for engine in (spark, duck):
        engine.register("orders", orders())
    on_spark = rows(stage_sql(spark, sql, tmp_path / "spark.parquet", ["orders"]))
    on_duck = rows(stage_sql(duck, sql, tmp_path / "duck.parquet", ["orders"]))
    assert on_spark == on_duck
    assert [r["label"] for r in on_spark] == ["a", "b", "none", "d", "e"]
    assert on_spark[0]["month"] == "2026-01" and on_spark[-1]["month"] is None


def test_a_failing_spark_query_names_the_transform(spark, tmp_path: Path) -> None:
    from quanta.build.transform import TransformError, stage_sql

    spark.register("orders", orders())
    sql = write(tmp_path / "broken.sql", "SELECT no_such_column FROM orders\n")
    with pytest.raises(TransformError, match=r"broken\.sql: .*no_such_column"):
        stage_sql(spark, sql, tmp_path / "out.parquet", ["orders"])


def test_python_transform_receives_a_spark_dataframe(spark, tmp_path: Path) -> None:
    from quanta.build.transform import stage_python

    spark.register("orders", orders())
    code = write(
        tmp_path / "big.py",
        "from pyspark.sql import functions as F\n\n\n"
        "def transform(orders, connection):\n"
        "    return orders.where(F.col('amount') > 15).select(\n"
        "        'id', F.lit(type(orders).__name__).alias('input'), F.lit(type(connection).__name__).alias('conn')\n"
        "    )\n",
    )
    staged = stage_python(spark, code, tmp_path / "big.parquet", ["orders"])
    assert rows(staged) == [
        {"id": 2, "input": "DataFrame", "conn": "SparkSession"},
        {"id": 3, "input": "DataFrame", "conn": "SparkSession"},
        {"id": 4, "input": "DataFrame", "conn": "SparkSession"},
    ]
    assert "__quanta_transform_result" not in {t.name for t in spark.session.catalog.listTables()}


def test_python_transform_may_return_arrow_on_spark(spark, tmp_path: Path) -> None:
    from quanta.build.transform import stage_python

    spark.register("orders", orders())
    code = write(
        tmp_path / "count.py",
        "import pyarrow as pa\n\n\ndef transform(orders):\n    return pa.table({'n': [orders.count()]})\n",
    )
    assert rows(stage_python(spark, code, tmp_path / "count.parquet", ["orders"])) == [{"n": 5}]


def test_spark_staging_publishes_through_delta_rs_with_utc_instants(spark, tmp_path: Path) -> None:
    from deltalake import DeltaTable

    from quanta import storage
    from quanta.build.transform import stage_sql

    spark.register("orders", orders())
    sql = write(tmp_path / "copy.sql", "SELECT id, at, day FROM orders\n")
    staged = stage_sql(spark, sql, tmp_path / "copy.parquet", ["orders"])
    published = storage.publish(staged, str(tmp_path / "table"), run_id="run-1")
    table = DeltaTable(str(tmp_path / "table")).to_pyarrow_table()
    assert published.version == 0 and published.row_count == 5
    assert str(table.schema.field("at").type) == "timestamp[us, tz=UTC]"  # as DuckDB stages TIMESTAMPTZ
    assert sorted(table.column("at").to_pylist())[-1] == dt.datetime(2026, 2, 9, 23, 0, tzinfo=UTC)


def test_spark_reads_the_committed_delta_version_it_is_given(spark, tmp_path: Path) -> None:
    import pyarrow as pa

    from quanta import storage

    uri = str(tmp_path / "orders")
    storage.publish(orders(), uri, run_id="r0")
    storage.publish(pa.table({"id": [9]}), uri, run_id="r1")
    spark.register_file("v0", uri, format="delta", version=0)
    spark.register_file("v1", uri, format="delta", version=1)
    assert spark.query("SELECT count(*) AS n FROM v0").read_all().to_pylist() == [{"n": 5}]
    assert spark.query("SELECT id FROM v1").read_all().to_pylist() == [{"id": 9}]


SOURCE_CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: source.shop.orders
version: 1.0.0
status: active
servers:
  - server: local
    type: local
    path: orders.csv
    format: csv
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        required: true
      - name: label
        logicalType: string
{extra}    quality:
      - type: library
        metric: rowCount
        mustBeGreaterThan: 2
"""


def source_port(text: str):
    from quanta.mesh.workspace import InputPort
    from quanta.spec import load_contract

    contract = load_contract(text)
    return InputPort("raw", "1.0.0", contract.id, 0, contract), contract.servers[0]


def test_a_source_is_read_and_checked_on_spark(spark, tmp_path: Path) -> None:
    from quanta.build.gate import check_source

    write(tmp_path / "orders.csv", "id,label\n1,a\n2,\n3,c\n")
    port, server = source_port(SOURCE_CONTRACT.format(extra=""))
    checks = check_source(spark, tmp_path, port, server, tmp_path / "staging")
    by_rule = {c["rule"]: c for c in checks}
    assert by_rule["sourceAvailable"]["status"] == "passed"
    assert [c for c in checks if c["status"] != "passed"] == []
    assert any(c["kind"] == "row_count" and c["metricValue"] == 3 for c in checks)
    # the transform reads the source under its port name, nulls as Spark's CSV reader gives them
    assert spark.query("SELECT count(*) AS n, count(label) AS l FROM raw").read_all().to_pylist() == [
        {"n": 3, "l": 2}
    ]


def test_a_drifted_source_blocks_on_spark(spark, tmp_path: Path) -> None:
    from quanta.build.gate import check_source

    write(tmp_path / "orders.csv", "id,label\n1,a\n2,b\n3,c\n")
    extra = "      - name: amount\n        logicalType: number\n        required: true\n"
    port, server = source_port(SOURCE_CONTRACT.format(extra=extra))
    checks = check_source(spark, tmp_path, port, server, tmp_path / "staging")
    blocking = [c for c in checks if c["blocking"]]
    assert blocking and all("amount" in str(c["element"]) for c in blocking)


def test_isolated_sessions_do_not_share_input_names(spark_engine) -> None:
    import pyarrow as pa

    first, second = spark_engine.isolated(), spark_engine.isolated()
    first.register("inputs", pa.table({"x": [1]}))
    second.register("inputs", pa.table({"x": [2, 3]}))
    assert first.query("SELECT count(*) AS n FROM inputs").read_all().to_pylist() == [{"n": 1}]
    assert second.query("SELECT count(*) AS n FROM inputs").read_all().to_pylist() == [{"n": 2}]


def test_spark_refuses_database_files_with_a_way_out(spark, tmp_path: Path) -> None:
    from quanta.errors import UsageError

    with pytest.raises(UsageError, match="quantaEngine: duckdb"):
        spark.register_file("t", tmp_path / "shop.duckdb", format="duckdb", table="orders")

"""The Spark engine runs the same check plans as DuckDB and gives the same results (real Spark, local[2]).

Marked ``spark``: needs pyspark and a Java 17 runtime (skipped locally when missing, required in CI).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.checks.conftest import flights_parquet, nycflights  # noqa: F401  (session fixtures)
from tests.conftest import REPO_ROOT, require

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

SOURCE_FLIGHTS = (
    REPO_ROOT / "examples/nycflights/domains/operations/flights/contracts/source-flights.odcs.yaml"
)
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def spark():
    from quanta.engine.spark import SparkEngine, spark_available

    missing = spark_available()
    require(missing is None, missing or "")
    engine = SparkEngine("local[2]")
    yield engine
    engine.close()


def _outcomes(report) -> dict[str, tuple[str, object]]:
    """Check -> (status, metric value rounded), the part of a result two engines must agree on.

    Type checks measure the engine's own name for a column type (``timestamp[us, tz=UTC]`` on DuckDB,
    ``tz=Etc/UTC`` on Spark), so for them only the verdict is compared.
    """
    outcomes = {}
    for result in report.results:
        value = None if result.kind == "field_type" else result.value
        if isinstance(value, float):
            value = round(value, 6)
        outcomes[f"{result.path} {result.rule_id}"] = (result.status, value)
    return outcomes


def test_arrow_and_sql_round_trip(spark) -> None:
    import pyarrow as pa

    spark.register("t", pa.table({"a": [1, 2, 3], "b": ["x", None, "z"]}))
    result = spark.query("SELECT COUNT(*) AS n, COUNT(b) AS nb, SUM(a) AS s FROM t").read_all().to_pylist()
    assert result == [{"n": 3, "nb": 2, "s": 6}]


def test_missing_file_is_a_usage_error(spark, tmp_path: Path) -> None:
    from quanta.errors import UsageError

    with pytest.raises(UsageError, match="does not exist"):
        spark.register("nothing", tmp_path / "nothing.parquet")


def test_same_check_results_as_duckdb_on_real_flights(spark, flights_parquet: Path) -> None:  # noqa: F811
    from quanta.checks.api import test_contract

    on_duckdb = test_contract(SOURCE_FLIGHTS, data=flights_parquet, now=NOW)
    on_spark = test_contract(SOURCE_FLIGHTS, data=flights_parquet, engine=spark, now=NOW)
    assert on_spark.dialect == "spark"
    duck, sparky = _outcomes(on_duckdb), _outcomes(on_spark)
    assert len(duck) >= 10
    assert sparky == duck


def test_reads_a_committed_delta_version_through_delta_rs(spark, tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    table = tmp_path / "orders"
    write_deltalake(str(table), pa.table({"id": [1, 2]}))
    write_deltalake(str(table), pa.table({"id": [1, 2, 3]}), mode="overwrite")
    spark.register("v0", str(table), format="delta", version=0)
    spark.register("latest", str(table))
    assert spark.query("SELECT COUNT(*) AS n FROM v0").read_all().to_pylist() == [{"n": 2}]
    assert spark.query("SELECT COUNT(*) AS n FROM latest").read_all().to_pylist() == [{"n": 3}]

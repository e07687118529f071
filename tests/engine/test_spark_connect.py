"""The Spark engine as a thin client of a real Spark Connect server (``SparkEngine(remote="sc://...")``).

pyspark runs one mode per process: once a classic session exists a Connect session cannot start, and once
a Connect session started every new session is a Connect one. The test worker holds a classic ``local[2]``
session for the other Spark tests, so the client runs in a child Python process, exactly as ``quanta
build`` or ``quanta test`` would on a machine that reaches a cluster, against the server the
``spark_connect`` fixture starts (``tests/support/spark_connect.py``). The child prints what it measured as
JSON; the assertions compare it with DuckDB in this process.

Marked ``spark``: needs pyspark and a Java 17 runtime (skipped locally when missing, required in CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks.conftest import flights_parquet, nycflights  # noqa: F401  (session fixtures)
from tests.conftest import REPO_ROOT
from tests.engine.test_spark import NOW, SOURCE_FLIGHTS, _outcomes

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

CLIENT = """
import json, sys
import pyarrow as pa
from quanta.checks.api import test_contract
from quanta.engine.spark import SparkEngine
from tests.engine.test_spark import NOW, SOURCE_FLIGHTS, _outcomes

url, flights, table = sys.argv[1:4]
engine = SparkEngine(remote=url)
found = {"session": type(engine.session).__module__}
engine.register("t", pa.table({"a": [1, 2, 3], "b": ["x", None, "z"]}))
found["roundTrip"] = engine.query("SELECT COUNT(*) AS n, COUNT(b) AS nb, SUM(a) AS s FROM t").read_all().to_pylist()
isolated = engine.isolated()
found["isolatedSeesParentViews"] = "t" in [t.name for t in isolated.session.catalog.listTables()]
isolated.close()
report = test_contract(SOURCE_FLIGHTS, data=flights, engine=engine, now=NOW)
found["dialect"] = report.dialect
found["outcomes"] = _outcomes(report)
engine.register("v0", table, format="delta", version=0)
engine.register("latest", table)
found["delta"] = [
    engine.query(f"SELECT COUNT(*) AS n FROM {name}").read_all().to_pylist()[0]["n"] for name in ("v0", "latest")
]
engine.close()
print(json.dumps(found, default=str))
"""


@pytest.fixture(scope="module")
def client(spark_connect, flights_parquet: Path, tmp_path_factory) -> dict:  # noqa: F811
    """What a Connect client process measured against the server (see :data:`CLIENT`)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    table = tmp_path_factory.mktemp("connect") / "orders"
    write_deltalake(str(table), pa.table({"id": [1, 2]}))
    write_deltalake(str(table), pa.table({"id": [1, 2, 3]}), mode="overwrite")
    command = [sys.executable, "-c", CLIENT, spark_connect.url, str(flights_parquet), str(table)]
    try:
        process = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired as stuck:
        pytest.fail(f"the client hung: {stuck.stderr!r}\nserver: {spark_connect.log.read_text()[-3000:]}")
    assert process.returncode == 0, process.stderr[-3000:] + spark_connect.log.read_text()[-2000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_the_remote_engine_is_a_spark_connect_client(client: dict) -> None:
    assert client["session"].startswith("pyspark.sql.connect")
    assert client["roundTrip"] == [{"n": 3, "nb": 2, "s": 6}]


def test_an_isolated_engine_is_a_new_server_session(client: dict) -> None:
    assert client["isolatedSeesParentViews"] is False


def test_same_check_results_as_duckdb_on_real_flights(client: dict, flights_parquet: Path) -> None:  # noqa: F811
    from quanta.checks.api import test_contract

    on_duckdb = test_contract(SOURCE_FLIGHTS, data=flights_parquet, now=NOW)
    expected = json.loads(json.dumps(_outcomes(on_duckdb), default=str))  # the child's JSON round trip
    assert client["dialect"] == "spark"
    assert len(expected) >= 10
    assert client["outcomes"] == expected


def test_reads_a_committed_delta_version_through_delta_rs(client: dict) -> None:
    assert client["delta"] == [2, 3]


def test_a_connect_client_needs_no_java(monkeypatch, tmp_path: Path) -> None:
    from quanta.engine.spark import spark_available

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no java on the PATH
    assert "Java 17 runtime" in (spark_available() or "")
    assert spark_available(remote=True) is None

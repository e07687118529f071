"""Small local inputs are checked on one DuckDB thread (less CPU time), with the same results; an explicit
thread count, a caller's engine, Arrow data and large or unknown inputs keep theirs."""

from __future__ import annotations

import json

import pytest

from quanta.checks.api import test_contract as run_contract
from quanta.engine.duckdb import DuckDBEngine
from tests.checks.helpers import contract, flights_properties


def _threads(engine: DuckDBEngine) -> int:
    return int(engine.connection.execute("SELECT current_setting('threads')").fetchall()[0][0])


@pytest.fixture
def default_threads(monkeypatch) -> int:
    """DuckDB's own default thread count here (no ``QUANTA_DUCKDB_THREADS``)."""
    monkeypatch.delenv("QUANTA_DUCKDB_THREADS", raising=False)
    with DuckDBEngine() as engine:
        return _threads(engine)


def test_a_small_parquet_file_runs_on_one_thread(default_threads, flights_parquet):
    with DuckDBEngine(memory_limit="1GB") as engine:
        engine.register_file("flights", flights_parquet)
        assert flights_parquet.stat().st_size < engine.SMALL_INPUT_BYTES
        assert engine.use_one_thread_if_small() is True
        assert _threads(engine) == 1


def test_a_chosen_thread_count_is_kept(default_threads, flights_parquet, monkeypatch):
    with DuckDBEngine(threads=2) as engine:
        engine.register_file("flights", flights_parquet)
        assert engine.use_one_thread_if_small() is False
        assert _threads(engine) == 2
    monkeypatch.setenv("QUANTA_DUCKDB_THREADS", "2")
    with DuckDBEngine() as engine:
        engine.register_file("flights", flights_parquet)
        assert engine.use_one_thread_if_small() is False
        assert _threads(engine) == 2


def test_large_arrow_folder_and_caller_inputs_keep_all_threads(default_threads, flights_parquet, tmp_path):
    import duckdb
    import pyarrow as pa

    with DuckDBEngine() as engine:  # two copies through a glob: both files count
        for number in range(2):
            (tmp_path / f"part-{number}.parquet").write_bytes(flights_parquet.read_bytes())
        engine.register_file("flights", str(tmp_path / "*.parquet"))
        engine.SMALL_INPUT_BYTES = 2 * flights_parquet.stat().st_size
        assert engine.use_one_thread_if_small() is False
        assert _threads(engine) == default_threads
    with DuckDBEngine() as engine:
        engine.register("numbers", pa.table({"n": [1, 2, 3]}))
        assert engine.use_one_thread_if_small() is False
    with DuckDBEngine() as engine:  # a Delta table folder: its size is not known
        from deltalake import write_deltalake

        write_deltalake(str(tmp_path / "delta"), pa.table({"n": [1, 2, 3]}))
        engine.register_file("numbers", tmp_path / "delta")
        assert engine.use_one_thread_if_small() is False
        assert _threads(engine) == default_threads
    connection = duckdb.connect()
    engine = DuckDBEngine(connection=connection)
    engine.register_file("flights", flights_parquet)
    assert engine.use_one_thread_if_small() is False
    assert _threads(engine) == default_threads
    connection.close()


def _results(report) -> str:
    rows = [
        {key: value for key, value in result.items() if key != "duration"}
        for result in json.loads(report.to_json())["results"]
    ]
    return json.dumps(rows, sort_keys=True, default=str)


def test_one_thread_or_two_the_report_is_the_same(default_threads, flights_parquet, monkeypatch):
    monkeypatch.setenv("QUANTA_CACHE_DIR", "off")
    properties = flights_properties(
        carrier={"required": True, "logicalTypeOptions": {"pattern": "^[A-Z]{2}$"}},
        dep_delay={"logicalTypeOptions": {"minimum": -30, "maximum": 600}},
        tailnum={"quality": [{"metric": "nullValues", "mustBeLessThan": 1, "unit": "percent"}]},
    )
    quality = [
        {"metric": "rowCount", "mustBeGreaterThan": 0},
        {"metric": "duplicateValues", "arguments": {"properties": ["time_hour", "carrier", "flight"]}},
        {"type": "sql", "query": "SELECT COUNT(*) FROM {object} WHERE dep_delay > 1000", "mustBe": 0},
    ]
    text = contract(properties=properties, quality=quality, servers=[])
    automatic = run_contract(text, data=flights_parquet, samples=2)
    two = run_contract(text, data=flights_parquet, samples=2, threads=2)
    assert _results(automatic) == _results(two)
    assert automatic.queries == two.queries
    failed = {r.rule_id: r.value for r in automatic.results if r.status == "failed"}
    assert failed  # real verdicts: the ranges, the tail numbers, the duplicated keys and the sql rule fail

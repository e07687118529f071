"""The per-user cache of compiled check plans: a hit is exactly a miss, without sqlglot or pyarrow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quanta.checks.api import test_contract as run_contract
from quanta.checks.plan_cache import FOLDER, FORMAT
from tests.checks.helpers import contract, flights_properties

QUALITY = [
    {"id": "rows", "metric": "rowCount", "mustBeGreaterThan": 0},
    {
        "id": "key",
        "metric": "duplicateValues",
        "arguments": {"properties": ["time_hour", "carrier", "flight"]},
    },
    {
        "id": "late",
        "type": "sql",
        "query": "SELECT COUNT(*) FROM {object} WHERE arr_delay > 600",
        "mustBe": 0,
    },
]


def _contract(**overrides) -> str:
    fields = {
        "carrier": {"required": True, "logicalTypeOptions": {"pattern": "^[A-Z0-9]{2}$"}},
        "month": {"logicalTypeOptions": {"minimum": 1, "maximum": 12}},
        "origin": {"quality": [{"metric": "invalidValues", "arguments": {"validValues": ["EWR", "JFK"]}}]},
        "time_hour": {"logicalTypeOptions": {"minimum": "2013-01-01T00:00:00Z"}},
    }
    properties = flights_properties(**{**fields, **overrides})
    return contract(properties=properties, quality=QUALITY, servers=[])


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / FOLDER).glob("*.json"))


def _outcomes(report) -> list[tuple]:
    return [
        (r.rule_id, r.status, r.value, r.reason, r.rows, json.dumps(r.details, default=str))
        for r in report.results
    ]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUANTA_CACHE_DIR", str(folder))
    return folder


def test_a_hit_runs_the_same_sql_and_gives_the_same_results(cache, flights_parquet):
    text = _contract()
    miss = run_contract(text, data=flights_parquet, samples=2)
    assert len(_entries(cache)) == 1
    stored = json.loads(_entries(cache)[0].read_text())
    hit = run_contract(text, data=flights_parquet, samples=2)
    assert len(_entries(cache)) == 1
    assert hit.queries == miss.queries  # byte-identical SQL, samples' queries included
    assert [q["sql"] for q in stored["value"]["fused"]] == [q for q in miss.queries if "quanta_rows" in q]
    assert _outcomes(hit) == _outcomes(miss)
    assert [r.samples for r in hit.results] == [r.samples for r in miss.results]
    assert any(r.status == "failed" for r in miss.results)  # the invalid origins: a real verdict


def test_changing_the_contract_misses(cache, flights_parquet):
    run_contract(_contract(), data=flights_parquet, samples=0)
    changed = run_contract(
        _contract(month={"logicalTypeOptions": {"minimum": 2, "maximum": 12}}),
        data=flights_parquet,
        samples=0,
    )
    assert len(_entries(cache)) == 2
    month = next(r for r in changed.results if r.element == "flights.month" and r.kind == "value_range")
    assert month.value > 0 and month.status == "failed"  # January is now out of range


def test_changing_the_data_schema_misses(cache, flights_parquet, tmp_path):
    import duckdb

    as_text = tmp_path / "text_time_hour.parquet"
    con = duckdb.connect()
    con.read_parquet(str(flights_parquet)).create_view("flights")
    con.sql("SELECT * REPLACE (CAST(time_hour AS VARCHAR) AS time_hour) FROM flights").write_parquet(
        str(as_text)
    )
    con.close()
    text = _contract()
    typed = run_contract(text, data=flights_parquet, samples=0)
    texty = run_contract(text, data=as_text, samples=0)
    assert len(_entries(cache)) == 2
    assert typed.queries != texty.queries  # the timestamp bound is cast on one, compared as text on the other
    assert "CAST('2013-01-01T00:00:00Z' AS TIMESTAMPTZ)" in typed.queries[0]
    assert "CAST('2013-01-01T00:00:00Z'" not in texty.queries[0]
    time_type = next(r for r in texty.results if r.rule_id == "flights.time_hour.type")
    assert time_type.status == "failed" and "VARCHAR" in time_type.reason


def test_a_corrupt_entry_is_ignored_and_replaced(cache, flights_parquet):
    text = _contract()
    first = run_contract(text, data=flights_parquet, samples=0)
    (entry,) = _entries(cache)
    for damage in ("{not json", json.dumps({"format": FORMAT, "key": entry.stem, "value": {"fused": 3}}), ""):
        entry.write_text(damage)
        again = run_contract(text, data=flights_parquet, samples=0)
        assert _outcomes(again) == _outcomes(first)
        assert json.loads(entry.read_text())["key"] == entry.stem  # written again, whole


def test_off_writes_nothing(tmp_path, monkeypatch, flights_parquet):
    monkeypatch.setenv("QUANTA_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    report = run_contract(_contract(), data=flights_parquet, samples=0)
    assert report.results
    assert not any(tmp_path.rglob("*.json"))


def test_a_warm_run_imports_neither_sqlglot_nor_pyarrow_nor_ruamel(cache, flights_parquet, tmp_path):
    path = tmp_path / "flights.odcs.yaml"
    path.write_text(_contract())
    script = textwrap.dedent(
        f"""
        import json, sys
        from quanta.checks.api import test_contract
        report = test_contract({str(path)!r}, data={str(flights_parquet)!r}, samples=0)
        modules = ("sqlglot", "pyarrow", "ruamel.yaml")
        print(json.dumps([sorted(m for m in modules if m in sys.modules), len(report.results)]))
        """
    )
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(2)
    ]
    assert runs[0] == [["ruamel.yaml", "sqlglot"], runs[1][1]]  # cold: parsed, compiled; never pyarrow
    assert runs[1] == [[], runs[0][1]]  # warm: the parsed contract and its SQL come from the caches

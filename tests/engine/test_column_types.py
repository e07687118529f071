"""Engine-neutral column types: DuckDB's own types and Arrow's agree on every family the checks use."""

from __future__ import annotations

import pytest

from quanta.engine.base import arrow_describe, arrow_rows
from quanta.engine.duckdb import DuckDBEngine

COLUMNS = """
SELECT 1::TINYINT AS i8, 1::INTEGER AS i32, 1::BIGINT AS i64, 1::UBIGINT AS u64, 1::HUGEINT AS i128,
       1.5::FLOAT AS f32, 1.5::DOUBLE AS f64, 1.5::DECIMAL(10, 2) AS dec, 'x' AS text, true AS flag,
       DATE '2013-01-01' AS day, TIME '05:00:00' AS clock, TIMESTAMP '2013-01-01 05:00:00' AS ts,
       TIMESTAMPTZ '2013-01-01 05:00:00+00' AS tstz, TIMESTAMP_MS '2013-01-01 05:00:00' AS ts_ms,
       INTERVAL 1 DAY AS span, 'ab'::BLOB AS bytes, {'origin': 'EWR', 'gate': 3} AS route,
       [{'time': 517}] AS times, MAP(['a'], [1]) AS pairs
"""


@pytest.fixture
def engine():
    with DuckDBEngine() as engine:
        engine.execute(f'CREATE VIEW "odd name" AS {COLUMNS}')
        yield engine


def test_duckdb_types_fall_in_the_same_families_as_their_arrow_export(engine):
    own = engine.describe("odd name")
    arrow = arrow_describe(engine, "odd name")
    assert list(own) == list(arrow)
    # HUGEINT leaves DuckDB as an Arrow decimal128(38, 0); DuckDB itself knows it is an integer.
    assert own.pop("i128").family == "integer" and arrow.pop("i128").family == "decimal"
    assert {name: kind.family for name, kind in own.items()} == {
        name: kind.family for name, kind in arrow.items()
    }
    assert {name: kind.tz for name, kind in own.items()} == {name: kind.tz for name, kind in arrow.items()}
    assert own["i64"].name == "BIGINT" and arrow["i64"].name == "int64"
    assert own["tstz"].tz and not own["ts"].tz
    assert own["text"].is_text and not own["i64"].is_text
    assert own["day"].is_temporal and own["span"].is_temporal and not own["f64"].is_temporal


def test_nested_fields_are_reached_through_structs_and_lists(engine):
    for types in (engine.describe("odd name"), arrow_describe(engine, "odd name")):
        assert types["route"].field("origin").family == "string"
        assert types["route"].field("gate").family == "integer"
        assert types["route"].field("missing") is None
        assert types["times"].family == "list"
        assert types["times"].field("time").family == "integer"  # lists of structs are stepped through
        assert types["i64"].field("anything") is None


def test_rows_match_the_arrow_path_for_aggregates(engine):
    sql = 'SELECT COUNT(*) AS n, MAX(ts) AS latest, MIN(day) AS first, MAX(text) AS word FROM "odd name"'
    assert engine.rows(sql) == arrow_rows(engine, sql)
    assert engine.rows('SELECT * FROM "odd name" WHERE false') == []


def test_names_with_several_parts_are_described(engine):
    engine.execute('CREATE SCHEMA "sales"')
    engine.execute('CREATE TABLE "sales"."orders" AS SELECT 1::BIGINT AS id')
    assert {n: k.family for n, k in engine.describe(("sales", "orders")).items()} == {"id": "integer"}
    assert {n: k.family for n, k in engine.describe("sales.orders").items()} == {"id": "integer"}

"""On DuckDB the fused scan counts with ``COUNT_IF(p)`` instead of ``COUNT(*) FILTER (WHERE p)``: the same
numbers on real data, on an empty table and on rows that are NULL everywhere; other dialects keep FILTER."""

from __future__ import annotations

import duckdb
import pytest
from sqlglot import exp

from quanta.checks.api import load
from quanta.checks.builder import build_plan
from quanta.checks.compiler import compile_plan
from quanta.checks.runner import bind
from quanta.engine.duckdb import DuckDBEngine
from tests.checks.helpers import contract, flights_properties

PROPERTIES = flights_properties(
    year={"required": True, "logicalTypeOptions": {"minimum": 2013, "maximum": 2013}},
    dep_delay={"logicalTypeOptions": {"exclusiveMinimum": -30, "maximum": 600, "multipleOf": 2}},
    carrier={"required": True, "logicalTypeOptions": {"pattern": "^[A-Z]{2}$"}},
    dest={"logicalTypeOptions": {"minLength": 3, "maxLength": 3}},
    origin={"quality": [{"metric": "invalidValues", "arguments": {"validValues": ["EWR", "JFK"]}}]},
    tailnum={
        "quality": [
            {"metric": "nullValues", "mustBeLessThan": 1, "unit": "percent"},
            {"metric": "missingValues", "arguments": {"missingValues": [None, "", "N14228"]}},
        ]
    },
    time_hour={"logicalTypeOptions": {"minimum": "2013-02-01T00:00:00Z"}},
)
QUALITY = [
    {"metric": "rowCount", "mustBeGreaterThan": 0},
    {"metric": "duplicateValues", "arguments": {"properties": ["time_hour", "carrier", "flight"]}},
]


def _filter_form(select: exp.Expression) -> exp.Expression:
    """The query with every ``COUNT_IF(p)`` and ``COUNT(*) - COUNT(column)`` written back as
    ``COUNT(*) FILTER (WHERE p)`` and ``COUNT(*) FILTER (WHERE column IS NULL)``."""

    def filtered(predicate: exp.Expression) -> exp.Expression:
        return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=predicate))

    def back(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Coalesce) and isinstance(node.this, exp.CountIf):
            return filtered(node.this.this.copy())
        if (
            isinstance(node, exp.Sub)
            and isinstance(node.this, exp.Count)
            and isinstance(node.this.this, exp.Star)
            and isinstance(node.expression, exp.Count)
            and isinstance(node.expression.this, exp.Column)
        ):
            return filtered(node.expression.this.copy().is_(exp.null()))
        return node

    return select.copy().transform(back)


@pytest.fixture
def engine(flights_parquet):
    with DuckDBEngine(memory_limit="1GB") as engine:
        engine.register_file("flights", flights_parquet)
        engine.execute("CREATE TABLE empty AS SELECT * FROM flights LIMIT 0")
        engine.execute("CREATE TABLE nulls AS SELECT * FROM flights LIMIT 0")
        for _ in range(3):
            engine.execute("INSERT INTO nulls DEFAULT VALUES")
        yield engine


def _fused(engine, table: str, dialect: str = "duckdb"):
    """The check plan of the test contract and its fused query on ``table`` of ``engine``."""
    document = load(contract(properties=PROPERTIES, quality=QUALITY, servers=[]))
    binding = bind(engine, "flights", table, document.schema[0])
    binding.dialect = dialect
    plan = build_plan(document)
    (fused,) = compile_plan(plan, {"flights": binding}, dialect).fused
    aliases = {check.meta.id: fused.columns.get(index) for index, check in enumerate(plan.checks)}
    return fused, aliases


@pytest.mark.parametrize("table", ["flights", "empty", "nulls"])
def test_count_if_and_filter_give_the_same_numbers(engine, table):
    fused, aliases = _fused(engine, table)
    counted = fused.select.sql("duckdb")
    filtered = _filter_form(fused.select).sql("duckdb")
    assert counted.count("COUNT_IF(") >= 9 and counted.count('COUNT(*) - COUNT("') >= 3
    assert "FILTER" not in counted
    assert "COUNT_IF" not in filtered and 'COUNT(*) - COUNT("' not in filtered
    new, old = engine.rows(counted)[0], engine.rows(filtered)[0]
    assert new == old
    if table == "empty":
        assert set(new.values()) == {0}  # COUNT_IF of no rows is 0, never NULL
    if table == "nulls":
        assert new["quanta_rows"] == 3 and new[aliases["flights.year.required"]] == 3  # three NULL years
        assert new[aliases["flights.year.minimum"]] == 0  # a NULL is never out of range


def test_real_counts_match_an_independent_query(engine, flights_parquet):
    fused, aliases = _fused(engine, "flights")
    row = engine.rows(fused.select.sql("duckdb"))[0]
    oracle = duckdb.connect()
    expected = oracle.execute(
        "SELECT COUNT(*) FILTER (WHERE NOT regexp_matches(carrier, '^[A-Z]{2}$')), "
        "COUNT(*) FILTER (WHERE dep_delay <= -30), COUNT(*) FILTER (WHERE length(dest) > 3) "
        "FROM read_parquet(?)",
        [str(flights_parquet)],
    ).fetchall()[0]
    oracle.close()
    measured = (
        row[aliases["flights.carrier.pattern"]],
        row[aliases["flights.dep_delay.exclusiveMinimum"]],
        row[aliases["flights.dest.maxLength"]],
    )
    assert measured == expected and expected[0] > 0  # carriers such as 9E fail ^[A-Z]{2}$


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
def test_other_dialects_keep_filter(engine, dialect):
    fused, _ = _fused(engine, "flights", dialect)
    rendered = fused.select.sql(dialect)
    assert "FILTER(WHERE" in rendered and "COUNT_IF" not in rendered


def test_nulls_of_structs_and_lists_count_the_same(engine):
    """A struct whose fields are NULL, or a list holding a NULL, is a value: only a NULL itself counts."""
    engine.execute(
        "CREATE TABLE nested AS SELECT * FROM (VALUES ({'a': NULL}::STRUCT(a INTEGER), [NULL]::INTEGER[]), "
        "(NULL, NULL), ({'a': 1}, []::INTEGER[])) AS t(s, l)"
    )
    properties = [
        {"name": "s", "logicalType": "object", "required": True},
        {"name": "l", "logicalType": "array", "required": True},
    ]
    document = load(contract(properties=properties, servers=[]))
    binding = bind(engine, "flights", "nested", document.schema[0])
    plan = build_plan(document)
    (fused,) = compile_plan(plan, {"flights": binding}, "duckdb").fused
    counted = fused.select.sql("duckdb")
    assert 'COUNT(*) - COUNT("s")' in counted and 'COUNT(*) - COUNT("l")' in counted
    new = engine.rows(counted)[0]
    assert new == engine.rows(_filter_form(fused.select).sql("duckdb"))[0]
    assert sorted(new.values()) == [1, 1, 3]  # one NULL struct, one NULL list, three rows

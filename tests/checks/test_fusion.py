"""One scan per object: every aggregatable check of an object is fused into one query."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from quanta.checks.api import explain_contract
from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, flights_properties


def fused_contract():
    properties = flights_properties(
        year={"required": True},
        month={"logicalTypeOptions": {"minimum": 1, "maximum": 12}},
        carrier={"required": True, "logicalTypeOptions": {"pattern": "^[A-Z0-9]{2}$"}},
        origin={
            "quality": [{"metric": "invalidValues", "arguments": {"validValues": ["JFK", "LGA", "EWR"]}}]
        },
        tailnum={
            "unique": False,
            "quality": [{"metric": "nullValues", "mustBeLessThan": 1, "unit": "percent"}],
        },
        time_hour={"primaryKey": True, "primaryKeyPosition": 1},
        flight={"primaryKey": True, "primaryKeyPosition": 3},
    )
    properties[9]["primaryKey"] = True  # carrier
    properties[9]["primaryKeyPosition"] = 2
    quality = [
        {"metric": "rowCount", "mustBeGreaterThan": 0},
        {
            "metric": "duplicateValues",
            "arguments": {"properties": ["year", "month", "day", "carrier", "flight"]},
        },
        {"type": "sql", "query": "SELECT COUNT(*) FROM {object} WHERE air_time > 700", "mustBe": 0},
    ]
    sla = [{"property": "latency", "value": 10000, "unit": "d", "element": "flights.time_hour"}]
    return contract(properties=properties, quality=quality, sla=sla)


def test_one_scan_per_object_plus_unfusable_queries(flights_parquet):
    report = run_contract(fused_contract(), data=flights_parquet, samples=0)
    assert report.passed is False  # the weak composite key has duplicates
    scans = [q for q in report.queries if "quanta_rows" in q]
    assert len(scans) == 1
    parsed = sqlglot.parse_one(scans[0], read="duckdb")
    assert parsed.find(exp.Join) is None and parsed.find(exp.Subquery) is None
    aggregates = [
        r
        for r in report.results
        if r.kind
        in ("null_values", "invalid_values", "value_range", "duplicate_values", "row_count", "latency")
    ]
    assert len(aggregates) >= 10
    # besides the scan: the sql rule only (no samples were asked for)
    assert len(report.queries) == 2


def test_identical_aggregates_are_computed_once(flights_parquet):
    properties = flights_properties(carrier={"required": True, "primaryKey": True})
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    scan = sqlglot.parse_one(report.queries[0], read="duckdb")
    filters = [node.sql("duckdb") for node in scan.find_all(exp.Filter)]
    assert len(filters) == len(set(filters))


def test_explain_lists_the_fused_query(flights_parquet):
    text = explain_contract(fused_contract(), data=flights_parquet)
    assert "1 scan" in text
    assert "DISTINCT" in text
    assert "(own query)" in text
    assert "evaluated without SQL" in text
    statement = text.split("checks fused\n", 1)[1].split(";", 1)[0]
    statement = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
    assert sqlglot.parse_one(statement, read="duckdb").find(exp.Count) is not None


def test_same_plan_renders_for_postgres_and_spark(flights_parquet):
    """The plan is engine-neutral: the fused query transpiles to other dialects."""
    import pyarrow.parquet as pq

    from quanta.checks.api import load
    from quanta.checks.builder import build_plan
    from quanta.checks.compiler import compile_plan
    from quanta.checks.rules.base import Binding
    from quanta.engine.base import table_expression

    schema = pq.read_schema(flights_parquet)
    plan = build_plan(load(fused_contract()))
    binding = Binding(
        "flights",
        table_expression("flights"),
        {n: n for n in schema.names},
        {f.name: f.type for f in schema},
        "spark",
    )
    for dialect in ("postgres", "spark"):
        compiled = compile_plan(plan, {"flights": binding}, dialect)
        sql = compiled.fused[0].select.sql(dialect)
        assert sqlglot.parse_one(sql, read=dialect) is not None
        if dialect == "spark":
            assert "RLIKE" in sql and "`carrier`" in sql
        else:
            assert '"carrier" ~' in sql

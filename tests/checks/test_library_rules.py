"""ODCS library metrics on the real flights table: every metric and unit, passing and failing, with
answers computed by independent DuckDB queries."""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, flights_properties, result


def run(flights_parquet, properties=None, quality=None, **kwargs):
    text = contract(properties=properties or flights_properties(), quality=quality)
    return run_contract(text, data=flights_parquet, **kwargs)


def with_rule(column: str, rule: dict) -> list[dict]:
    return flights_properties(**{column: {"quality": [rule]}})


@pytest.mark.parametrize(
    ("column", "operator", "passes"),
    [("dep_time", "mustBe", False), ("year", "mustBe", True)],
)
def test_null_values_rows(flights_parquet, oracle, column, operator, passes):
    expected = oracle(f"SELECT COUNT(*) - COUNT({column}) FROM flights")
    report = run(flights_parquet, with_rule(column, {"id": "n", "metric": "nullValues", operator: 0}))
    item = result(report, "n")
    assert item.value == expected
    assert item.unit == "rows"
    assert item.status == ("passed" if passes else "failed")
    assert (expected == 0) is passes


def test_null_values_percent(flights_parquet, oracle):
    percent = oracle("SELECT (COUNT(*) - COUNT(arr_delay)) * 100.0 / COUNT(*) FROM flights")
    rules = [
        {"id": "under", "metric": "nullValues", "mustBeLessThan": 3, "unit": "percent"},
        {"id": "over", "metric": "nullValues", "mustBeLessThan": 2, "unit": "percent"},
    ]
    report = run(flights_parquet, flights_properties(arr_delay={"quality": rules}))
    assert result(report, "under").value == pytest.approx(percent, abs=1e-12)
    assert 2 < percent < 3
    assert result(report, "under").status == "passed"
    assert result(report, "over").status == "failed"
    assert result(report, "over").unit == "percent"


def test_missing_values_default_and_arguments(flights_parquet, oracle):
    nulls = oracle("SELECT COUNT(*) FILTER (WHERE tailnum IS NULL) FROM flights")
    listed = oracle(
        "SELECT COUNT(*) FILTER (WHERE tailnum IS NULL OR tailnum IN ('N14228', 'N24211')) FROM flights"
    )
    rules = [
        {"id": "default", "metric": "missingValues", "mustBeLessOrEqualTo": nulls},
        {
            "id": "args",
            "metric": "missingValues",
            "arguments": {"missingValues": [None, "N14228", "N24211"]},
            "mustBeLessOrEqualTo": nulls,
        },
    ]
    report = run(flights_parquet, flights_properties(tailnum={"quality": rules}))
    assert result(report, "default").value == nulls
    assert result(report, "default").status == "passed"
    assert result(report, "args").value == listed > nulls
    assert result(report, "args").status == "failed"


def test_missing_values_empty_string_on_csv(nycflights, oracle):
    """Listed tokens count as missing: a CSV read without a null token keeps 'NA' as text."""
    report = run_contract(
        contract(
            properties=[
                {
                    "name": "tailnum",
                    "quality": [
                        {
                            "id": "na",
                            "metric": "missingValues",
                            "arguments": {"missingValues": ["NA", ""]},
                            "mustBe": 0,
                        }
                    ],
                }
            ],
            servers=[],
        ),
        data=nycflights["flights"],
    )
    expected = oracle("SELECT COUNT(*) FROM flights WHERE tailnum IS NULL")
    assert result(report, "na").value == expected
    assert result(report, "na").status == "failed"


def test_invalid_values_valid_values_and_pattern(flights_parquet, oracle):
    not_jfk_lga = oracle("SELECT COUNT(*) FROM flights WHERE origin NOT IN ('JFK', 'LGA')")
    bad_pattern = oracle(
        "SELECT COUNT(*) FROM flights WHERE NOT regexp_matches(tailnum, '^N[0-9]{3}[A-Z]{2}$')"
    )
    rules_origin = [
        {
            "id": "all",
            "metric": "invalidValues",
            "arguments": {"validValues": ["JFK", "LGA", "EWR"]},
            "mustBe": 0,
        },
        {"id": "two", "metric": "invalidValues", "arguments": {"validValues": ["JFK", "LGA"]}, "mustBe": 0},
    ]
    rules_tail = [
        {
            "id": "pattern",
            "metric": "invalidValues",
            "arguments": {"pattern": "^N[0-9]{3}[A-Z]{2}$"},
            "mustBeLessThan": 50,
            "unit": "percent",
        },
    ]
    report = run(
        flights_parquet, flights_properties(origin={"quality": rules_origin}, tailnum={"quality": rules_tail})
    )
    assert result(report, "all").status == "passed"
    assert result(report, "two").value == not_jfk_lga > 0
    assert result(report, "two").status == "failed"
    total = oracle("SELECT COUNT(*) FROM flights")
    assert result(report, "pattern").value == pytest.approx(bad_pattern * 100.0 / total)
    assert result(report, "pattern").status == "passed"


def test_invalid_values_numeric_valid_values(flights_parquet, oracle):
    outside = oracle("SELECT COUNT(*) FROM flights WHERE month NOT IN (1, 2, 3)")
    rule = {"id": "q1", "metric": "invalidValues", "arguments": {"validValues": [1, 2, 3]}, "mustBe": 0}
    report = run(flights_parquet, with_rule("month", rule))
    assert result(report, "q1").value == outside
    assert result(report, "q1").status == "failed"


def test_duplicate_values_property_and_composite(flights_parquet, oracle):
    carrier_dupes = oracle("SELECT COUNT(carrier) - COUNT(DISTINCT carrier) FROM flights")
    weak_key = oracle("SELECT COUNT(*) - COUNT(DISTINCT (year, month, day, carrier, flight)) FROM flights")
    quality = [
        {
            "id": "key",
            "metric": "duplicateValues",
            "arguments": {"properties": ["time_hour", "carrier", "flight"]},
            "mustBe": 0,
        },
        {
            "id": "weak",
            "metric": "duplicateValues",
            "arguments": {"properties": ["year", "month", "day", "carrier", "flight"]},
            "mustBe": 0,
        },
        {
            "id": "weak-pct",
            "metric": "duplicateValues",
            "arguments": {"properties": ["year", "month", "day", "carrier", "flight"]},
            "mustBeLessThan": 1,
            "unit": "percent",
        },
    ]
    properties = with_rule("carrier", {"id": "carrier", "metric": "duplicateValues", "mustBe": 0})
    report = run(flights_parquet, properties, quality)
    assert result(report, "carrier").value == carrier_dupes
    assert result(report, "carrier").status == "failed"
    assert result(report, "key").value == 0
    assert result(report, "key").status == "passed"
    assert result(report, "weak").value == weak_key > 0
    assert result(report, "weak").status == "failed"
    total = oracle("SELECT COUNT(*) FROM flights")
    assert result(report, "weak-pct").value == pytest.approx(weak_key * 100.0 / total)
    assert result(report, "weak-pct").status == "passed"


def test_row_count(flights_parquet, oracle):
    rows = oracle("SELECT COUNT(*) FROM flights")
    quality = [
        {"id": "enough", "metric": "rowCount", "mustBeGreaterThan": rows - 1},
        {"id": "too-few", "metric": "rowCount", "mustBeGreaterThan": rows},
        {"id": "default", "metric": "rowCount"},
    ]
    report = run(flights_parquet, quality=quality)
    assert result(report, "enough").value == rows
    assert result(report, "enough").status == "passed"
    assert result(report, "too-few").status == "failed"
    assert result(report, "default").status == "passed"


def test_v30_rule_names_and_book_range_check(flights_parquet, oracle):
    """ODCS v3.0.x ``rule`` names and the book's value-level ``rangeCheck`` (two operators ANDed)."""
    out_of_range = oracle("SELECT COUNT(*) FROM flights WHERE NOT (distance >= 0 AND distance < 4000)")
    rules = [
        {"id": "null-check", "rule": "nullCheck", "mustBeLessThan": 1, "unit": "percent"},
        {"id": "range-ok", "rule": "rangeCheck", "mustBeGreaterOrEqualTo": 0, "mustBeLessThan": 5000},
        {"id": "range-bad", "rule": "rangeCheck", "mustBeGreaterOrEqualTo": 0, "mustBeLessThan": 4000},
    ]
    report = run(flights_parquet, flights_properties(distance={"quality": rules}))
    assert result(report, "null-check").status == "passed"
    assert result(report, "range-ok").value == 0
    assert result(report, "range-ok").status == "passed"
    assert result(report, "range-bad").value == out_of_range > 0
    assert result(report, "range-bad").status == "failed"


def test_unknown_metric_is_not_evaluated(flights_parquet):
    report = run(flights_parquet, with_rule("year", {"id": "x", "metric": "averageValue", "mustBe": 1}))
    assert result(report, "x").status == "not_evaluated"
    assert "averageValue" in result(report, "x").reason

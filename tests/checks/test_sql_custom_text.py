"""``sql``, ``custom`` and ``text`` quality rules on real data."""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from quanta.checks.plugins import register_check_engine, unregister_check_engine
from tests.checks.helpers import contract, flights_properties, result


def test_sql_rules_with_every_placeholder_style(flights_parquet, oracle):
    late = oracle("SELECT COUNT(*) FROM flights WHERE arr_delay > 60")
    max_delay = oracle("SELECT MAX(dep_delay) FROM flights")
    quality = [
        {
            "id": "late",
            "type": "sql",
            "query": "SELECT COUNT(*) FROM {object} WHERE arr_delay > 60",
            "mustBeLessThan": late + 1,
        },
        {
            "id": "late-fail",
            "type": "sql",
            "query": "SELECT COUNT(*) FROM ${object} WHERE arr_delay > 60",
            "mustBeLessThan": late,
        },
        {"id": "bool-true", "type": "sql", "query": "SELECT COUNT(*) > 0 FROM {table}"},
        {"id": "bool-false", "type": "sql", "query": "SELECT COUNT(*) = 0 FROM ${table}"},
    ]
    prop_rules = [
        {"id": "max", "type": "sql", "query": "SELECT MAX({property}) FROM {object}", "mustBe": max_delay},
        {
            "id": "max-dollar",
            "type": "sql",
            "query": "SELECT MAX(${property}) FROM ${object};",
            "mustBeLessThan": max_delay,
        },
    ]
    properties = flights_properties(dep_delay={"quality": prop_rules})
    report = run_contract(contract(properties=properties, quality=quality), data=flights_parquet, samples=0)
    assert result(report, "late").value == late
    assert result(report, "late").status == "passed"
    assert result(report, "late-fail").status == "failed"
    assert result(report, "bool-true").status == "passed"
    assert result(report, "bool-false").status == "failed"
    assert result(report, "max").value == max_delay
    assert result(report, "max").status == "passed"
    assert result(report, "max-dollar").status == "failed"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("DELETE FROM {object}", "SELECT"),
        ("SELECT 1; DROP TABLE {object}", "exactly one"),
        ("SELECT COUNT(*) FROM no_such_table", "query failed"),
        ("SELECT NULL", "NULL"),
    ],
)
def test_sql_rules_that_cannot_run_are_errors(flights_parquet, query, reason):
    quality = [{"id": "bad", "type": "sql", "query": query, "mustBe": 0}]
    report = run_contract(contract(properties=[{"name": "year"}], quality=quality), data=flights_parquet)
    item = result(report, "bad")
    assert item.status == "error"
    assert reason in item.reason
    assert item in report.blocking_failures


def test_custom_rules_dispatch_to_plugins(flights_parquet, oracle):
    cancelled = oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL")

    def count_cancelled(request):
        sql = f"SELECT COUNT(*) FROM {request.table} WHERE {request.column} IS NULL"
        assert request.implementation == {"check": "cancelled"}
        return request.engine.query(sql).read_all().column(0)[0].as_py()

    register_check_engine("test-cancelled", count_cancelled)
    try:
        rules = [
            {
                "id": "ok",
                "type": "custom",
                "engine": "test-cancelled",
                "implementation": {"check": "cancelled"},
                "mustBe": cancelled,
            },
            {
                "id": "fail",
                "type": "custom",
                "engine": "test-cancelled",
                "implementation": {"check": "cancelled"},
                "mustBeLessThan": cancelled,
            },
            {"id": "unknown", "type": "custom", "engine": "soda", "implementation": "checks for flights: []"},
        ]
        report = run_contract(
            contract(properties=flights_properties(dep_time={"quality": rules})),
            data=flights_parquet,
            samples=0,
        )
    finally:
        unregister_check_engine("test-cancelled")
    assert result(report, "ok").value == cancelled
    assert result(report, "ok").status == "passed"
    assert result(report, "fail").status == "failed"
    assert result(report, "unknown").status == "skipped"
    assert "soda" in result(report, "unknown").reason


def test_text_rules_are_manual_never_passed(flights_parquet):
    quality = [{"id": "t", "type": "text", "description": "Flights are verified by the airline."}]
    report = run_contract(contract(properties=[{"name": "year"}], quality=quality), data=flights_parquet)
    item = result(report, "t")
    assert item.status == "manual"
    assert item.description == "Flights are verified by the airline."
    assert report.counts()["manual"] == 1
    assert report.passed


def test_custom_rules_compare_boolean_results(flights_parquet, oracle):
    """A plug-in answering yes/no, checked with ``mustBe: true`` / ``mustBe: false`` (ODCS boolean result)."""
    has_cancelled = oracle("SELECT COUNT(*) > 0 FROM flights WHERE dep_time IS NULL")

    def any_null(request):
        sql = f"SELECT COUNT(*) > 0 FROM {request.table} WHERE {request.column} IS NULL"
        return request.engine.query(sql).read_all().column(0)[0].as_py()

    register_check_engine("test-any-null", any_null)
    try:
        rules = [
            {"id": "yes", "type": "custom", "engine": "test-any-null", "mustBe": has_cancelled},
            {"id": "no", "type": "custom", "engine": "test-any-null", "mustBe": not has_cancelled},
        ]
        report = run_contract(
            contract(properties=flights_properties(dep_time={"quality": rules})),
            data=flights_parquet,
            samples=0,
        )
    finally:
        unregister_check_engine("test-any-null")
    assert result(report, "yes").status == "passed"
    assert result(report, "yes").value is has_cancelled
    assert result(report, "no").status == "failed"
    assert result(report, "no").value is has_cancelled

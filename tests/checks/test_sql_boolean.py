"""``type: sql`` rules whose result is a boolean, compared with ``mustBe: true`` / ``mustNotBe: false``.

ODCS v3.1.0 says a sql rule's "numeric or boolean result is compared with the operator". Each query runs
on the real flights data; the expected truth of each query comes from the independent oracle.
"""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, result

QUERIES = {
    "all-years-2013": "SELECT MIN(year) = 2013 AND MAX(year) = 2013 FROM {table}",
    "short-flights-absent": "SELECT MIN(distance) > 100 FROM {table}",
    "december-present": "SELECT CAST(MAX(month) = 12 AS INTEGER) FROM {table}",
    "three-origins": "SELECT COUNT(DISTINCT origin) FROM {table}",
}


@pytest.fixture(scope="module")
def truth(oracle):
    """Rule id -> the query's value, computed by the oracle on its own copy of the table."""
    return {rule_id: oracle(query.format(table="flights")) for rule_id, query in QUERIES.items()}


@pytest.fixture(scope="module")
def report(flights_parquet):
    def rule(rule_id: str, suffix: str, operator: str, operand: object) -> dict:
        query = QUERIES[rule_id].replace("{table}", "${object}")
        return {"id": f"{rule_id}-{suffix}", "type": "sql", "query": query, operator: operand}

    quality = [
        rule("all-years-2013", "true", "mustBe", True),
        rule("all-years-2013", "not-false", "mustNotBe", False),
        rule("all-years-2013", "false", "mustBe", False),
        rule("short-flights-absent", "true", "mustBe", True),
        rule("short-flights-absent", "not-true", "mustNotBe", True),
        rule("december-present", "true", "mustBe", True),
        rule("december-present", "false", "mustBe", False),
        rule("three-origins", "true", "mustBe", True),
    ]
    return run_contract(
        contract(properties=[{"name": "year"}], quality=quality), data=flights_parquet, samples=0
    )


@pytest.mark.parametrize(
    "rule_id, operator, operand",
    [
        ("all-years-2013-true", "mustBe", True),
        ("all-years-2013-not-false", "mustNotBe", False),
        ("all-years-2013-false", "mustBe", False),
        ("short-flights-absent-true", "mustBe", True),
        ("short-flights-absent-not-true", "mustNotBe", True),
        ("december-present-true", "mustBe", True),
        ("december-present-false", "mustBe", False),
    ],
)
def test_boolean_result_meets_boolean_operand(report, truth, rule_id, operator, operand):
    item = result(report, rule_id)
    actual = bool(truth[rule_id.rsplit("-", 1)[0].removesuffix("-not")])
    expected = (actual == operand) if operator == "mustBe" else (actual != operand)
    assert item.status == ("passed" if expected else "failed"), item.reason
    assert item.value is actual
    assert item.threshold is operand


def test_both_outcomes_occur(report):
    statuses = {r.status for r in report.results if r.kind == "sql" and r.rule_id != "three-origins-true"}
    assert statuses == {"passed", "failed"}


def test_failed_boolean_rule_says_what_it_measured(report):
    item = next(r for r in report.results if r.kind == "sql" and r.status == "failed")
    assert item.reason.startswith(f"measured {'true' if item.value else 'false'}, expected =")


def test_a_count_is_not_a_boolean(report, truth):
    assert truth["three-origins"] not in (0, 1)
    item = result(report, "three-origins-true")
    assert item.status == "error"
    assert "boolean" in item.reason


def test_boolean_operand_on_a_library_rule_is_an_error(flights_parquet):
    quality = [{"id": "rows", "metric": "rowCount", "mustBe": True}]
    report = run_contract(
        contract(properties=[{"name": "year"}], quality=quality), data=flights_parquet, samples=0
    )
    item = result(report, "rows")
    assert item.status == "error"
    assert "needs a number" in item.reason

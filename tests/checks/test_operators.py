"""All eight ODCS operators, each passing and failing, with the inclusive ``between`` bounds tested at
their edges. Every rule measures the real flights row count (one fused scan serves them all)."""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, result


def cases(rows: int) -> list[tuple[str, str, object, bool]]:
    """(id, operator, operand, passes) around the true row count."""
    return [
        ("be-pass", "mustBe", rows, True),
        ("be-fail", "mustBe", rows + 1, False),
        ("not-be-pass", "mustNotBe", rows + 1, True),
        ("not-be-fail", "mustNotBe", rows, False),
        ("gt-pass", "mustBeGreaterThan", rows - 1, True),
        ("gt-fail", "mustBeGreaterThan", rows, False),
        ("ge-pass-edge", "mustBeGreaterOrEqualTo", rows, True),
        ("ge-fail", "mustBeGreaterOrEqualTo", rows + 1, False),
        ("lt-pass", "mustBeLessThan", rows + 1, True),
        ("lt-fail", "mustBeLessThan", rows, False),
        ("le-pass-edge", "mustBeLessOrEqualTo", rows, True),
        ("le-fail", "mustBeLessOrEqualTo", rows - 1, False),
        ("between-low-edge", "mustBeBetween", [rows, rows + 10], True),
        ("between-high-edge", "mustBeBetween", [rows - 10, rows], True),
        ("between-fail-above", "mustBeBetween", [rows - 10, rows - 1], False),
        ("between-fail-below", "mustBeBetween", [rows + 1, rows + 10], False),
        ("not-between-pass", "mustNotBeBetween", [rows + 1, rows + 10], True),
        ("not-between-fail-low-edge", "mustNotBeBetween", [rows, rows + 10], False),
        ("not-between-fail-high-edge", "mustNotBeBetween", [rows - 10, rows], False),
    ]


@pytest.fixture(scope="module")
def operator_report(flights_parquet, oracle):
    rows = oracle("SELECT COUNT(*) FROM flights")
    quality = [{"id": rule_id, "metric": "rowCount", op: value} for rule_id, op, value, _ in cases(rows)]
    report = run_contract(
        contract(properties=[{"name": "year"}], quality=quality), data=flights_parquet, samples=0
    )
    return rows, report


@pytest.mark.parametrize("index", range(19))
def test_operator(operator_report, index):
    rows, report = operator_report
    rule_id, operator, value, passes = cases(rows)[index]
    item = result(report, rule_id)
    assert item.value == rows
    assert item.operator == operator
    assert item.threshold == value
    assert item.status == ("passed" if passes else "failed"), item.reason


def test_every_operator_appears(operator_report):
    rows, _ = operator_report
    from quanta.checks.plan import OPERATORS

    assert {op for _, op, _, _ in cases(rows)} == set(OPERATORS)


def test_operators_on_value_bounds(flights_parquet, oracle):
    """Bounds on values (logicalTypeOptions) at the true minimum and maximum of a column."""
    low, high = oracle("SELECT MIN(dep_delay) FROM flights"), oracle("SELECT MAX(dep_delay) FROM flights")
    below_zero = oracle("SELECT COUNT(*) FROM flights WHERE dep_delay < 0")
    properties = [
        {
            "name": "dep_delay",
            "logicalType": "integer",
            "logicalTypeOptions": {"minimum": low, "maximum": high},
        },
        {"name": "arr_delay", "logicalType": "integer", "logicalTypeOptions": {"exclusiveMinimum": low}},
        {"name": "dep_time", "logicalType": "integer", "logicalTypeOptions": {"minimum": 0}},
        {"name": "sched_dep_time", "logicalType": "integer"},
    ]
    quality_delay = [{"id": "ge0", "rule": "rangeCheck", "mustBeGreaterOrEqualTo": 0}]
    properties[3]["quality"] = [{"id": "strict", "rule": "rangeCheck", "mustBeGreaterThan": 0}]
    properties.append({"name": "distance", "quality": quality_delay})
    report = run_contract(contract(properties=properties), data=flights_parquet, samples=0)
    assert result(report, "flights.dep_delay.minimum").status == "passed"  # minimum is inclusive
    assert result(report, "flights.dep_delay.maximum").status == "passed"  # maximum is inclusive
    arr_at_low = oracle(f"SELECT COUNT(*) FROM flights WHERE arr_delay <= {low}")
    excl = result(report, "flights.arr_delay.exclusiveMinimum")
    assert excl.value == arr_at_low
    assert excl.status == ("passed" if arr_at_low == 0 else "failed")
    assert result(report, "flights.dep_time.minimum").status == "passed"
    assert result(report, "strict").status == "passed"
    assert below_zero > 0

"""A quality rule written wrongly is an ``error`` that fails the run, never a default threshold.

Unknown operators (``mustBeEqualTo``), reversed ``between`` bounds, unknown units (``percentage``) and
``unit: percent`` on ``rowCount`` used to fall back to defaults (``rowCount`` was then ``passed``). Every
case runs next to a correctly written twin on the real flights data, which passes.
"""

from __future__ import annotations

import pytest

from quanta.checks.api import test_contract as run_contract
from quanta.checks.plan import OPERATORS
from quanta.cli.app import main
from tests.checks.helpers import CSV_SERVER, contract, result


@pytest.fixture(scope="module")
def report(flights_parquet, oracle):
    rows = oracle("SELECT COUNT(*) FROM flights")
    nulls = oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL")
    quality = [
        {"id": "misspelled", "metric": "rowCount", "mustBeEqualTo": 5},
        {"id": "spelled", "metric": "rowCount", "mustBe": rows},
        {"id": "not-misspelled", "metric": "rowCount", "mustNotBeEqual": 5},
        {"id": "reversed", "metric": "rowCount", "mustBeBetween": [rows + 10, rows - 10]},
        {"id": "ordered", "metric": "rowCount", "mustBeBetween": [rows - 10, rows + 10]},
        {"id": "not-reversed", "metric": "rowCount", "mustNotBeBetween": [10, 5]},
        {"id": "rows-percent", "metric": "rowCount", "unit": "percent"},
        {"id": "rows-rows", "metric": "rowCount", "unit": "rows"},
    ]
    dep_time = {
        "name": "dep_time",
        "logicalType": "integer",
        "quality": [
            {"id": "percentage", "metric": "nullValues", "unit": "percentage", "mustBeLessThan": 100},
            {"id": "percent", "metric": "nullValues", "unit": "percent", "mustBeLessThan": 100},
            {"id": "count", "metric": "nullValues", "unit": "rows", "mustBe": nulls},
        ],
    }
    text = contract(properties=[{"name": "year"}, dep_time], quality=quality)
    return run_contract(text, data=flights_parquet, samples=0)


@pytest.mark.parametrize(
    "rule_id, key", [("misspelled", "mustBeEqualTo"), ("not-misspelled", "mustNotBeEqual")]
)
def test_unknown_operator_is_an_error_naming_it_and_the_eight(report, rule_id, key):
    item = result(report, rule_id)
    assert item.status == "error"
    assert f"unknown operator {key!r}" in item.reason
    assert all(operator in item.reason for operator in OPERATORS)
    assert item in report.blocking_failures


def test_correct_operator_passes(report):
    assert result(report, "spelled").status == "passed"
    assert result(report, "ordered").status == "passed"
    assert result(report, "rows-rows").status == "passed"


@pytest.mark.parametrize("rule_id", ["reversed", "not-reversed"])
def test_reversed_between_bounds_are_an_error(report, rule_id):
    item = result(report, rule_id)
    assert item.status == "error"
    assert "bounds are reversed" in item.reason
    assert item in report.blocking_failures


def test_unknown_unit_is_an_error_naming_it_and_the_two_units(report):
    item = result(report, "percentage")
    assert item.status == "error"
    assert "'percentage'" in item.reason and "'rows'" in item.reason and "'percent'" in item.reason


def test_known_units_measure(report, oracle):
    share = oracle("SELECT 100.0 * COUNT(*) FILTER (WHERE dep_time IS NULL) / COUNT(*) FROM flights")
    assert result(report, "percent").status == "passed"
    assert result(report, "percent").value == pytest.approx(share)
    assert result(report, "count").status == "passed"


def test_row_count_in_percent_is_an_error(report):
    item = result(report, "rows-percent")
    assert item.status == "error"
    assert "rowCount" in item.reason and "percent" in item.reason


def test_a_misspelled_operator_fails_the_command(tmp_path, nycflights, capsys):
    (tmp_path / "flights.csv").symlink_to(nycflights["flights"])
    good = tmp_path / "good.odcs.yaml"
    good.write_text(
        contract(properties=[{"name": "year"}], quality=[{"metric": "rowCount", "mustBeGreaterThan": 0}])
    )
    bad = tmp_path / "bad.odcs.yaml"
    bad.write_text(
        contract(properties=[{"name": "year"}], quality=[{"metric": "rowCount", "mustBeEqualTo": 5}])
    )
    for path, code in ((good, 0), (bad, 1)):
        with pytest.raises(SystemExit) as exit_info:
            main(["test", str(path), "--server", CSV_SERVER["server"]])
        assert (exit_info.value.code or 0) == code
    assert "unknown operator 'mustBeEqualTo'" in capsys.readouterr().out

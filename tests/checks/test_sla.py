"""SLA properties evaluated on the real flights table at a chosen run time (``now``)."""

from __future__ import annotations

import datetime as dt

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import CSV_SERVER, contract, result

UTC = dt.UTC


@pytest.fixture(scope="module")
def bounds(oracle):
    newest = oracle("SELECT MAX(time_hour) FROM flights").astimezone(UTC)
    oldest = oracle("SELECT MIN(time_hour) FROM flights").astimezone(UTC)
    gap_hours = oracle(
        "SELECT MAX(g) FROM (SELECT (epoch(t) - epoch(LAG(t) OVER (ORDER BY t))) / 3600 AS g "
        "FROM (SELECT DISTINCT time_hour AS t FROM flights))"
    )
    return newest, oldest, gap_hours


def run(flights_parquet, sla, now, **kwargs):
    text = contract(properties=[{"name": "time_hour", "logicalType": "timestamp"}], sla=sla, **kwargs)
    return run_contract(text, data=flights_parquet, now=now, samples=0)


def test_latency_and_freshness(flights_parquet, bounds):
    newest, _, _ = bounds
    sla = [
        {"id": "latency", "property": "latency", "value": 1, "unit": "d", "element": "flights.time_hour"},
        {"id": "freshness", "property": "freshness", "value": 24, "unit": "h", "element": "time_hour"},
    ]
    on_time = run(flights_parquet, sla, newest + dt.timedelta(hours=12))
    assert result(on_time, "latency").value == pytest.approx(0.5)
    assert result(on_time, "latency").status == "passed"
    assert result(on_time, "freshness").value == pytest.approx(12)
    assert result(on_time, "freshness").status == "passed"
    late = run(flights_parquet, sla, newest + dt.timedelta(days=3))
    assert result(late, "latency").value == pytest.approx(3)
    assert result(late, "latency").status == "failed"
    assert result(late, "freshness").status == "failed"
    assert result(late, "latency").criteria == "sla"
    assert result(late, "latency") in late.blocking_failures


def test_retention(flights_parquet, bounds):
    _, oldest, _ = bounds
    sla = [
        {"id": "retention", "property": "retention", "value": 1, "unit": "y", "element": "flights.time_hour"}
    ]
    kept = run(flights_parquet, sla, oldest + dt.timedelta(days=200))
    assert result(kept, "retention").value == pytest.approx(200 / 365.2425)
    assert result(kept, "retention").status == "passed"
    too_old = run(flights_parquet, sla, oldest + dt.timedelta(days=800))
    assert result(too_old, "retention").status == "failed"


def test_frequency(flights_parquet, bounds):
    newest, _, gap_hours = bounds
    sla = [
        {
            "id": "ok",
            "property": "frequency",
            "value": gap_hours,
            "unit": "h",
            "element": "flights.time_hour",
        },
        {
            "id": "tight",
            "property": "frequency",
            "value": gap_hours - 1,
            "unit": "hours",
            "element": "time_hour",
        },
    ]
    report = run(flights_parquet, sla, newest)
    assert result(report, "ok").value == pytest.approx(gap_hours)
    assert result(report, "ok").status == "passed"
    assert result(report, "tight").status == "failed"


def test_time_of_availability(flights_parquet, bounds):
    newest, _, _ = bounds
    eastern = dt.timezone(dt.timedelta(hours=-5))
    day_after = newest.astimezone(eastern).date() + dt.timedelta(days=1)
    sla = [
        {
            "id": "toa",
            "property": "timeOfAvailability",
            "value": "09:00-05:00",
            "element": "flights.time_hour",
        }
    ]
    after_deadline = dt.datetime.combine(day_after, dt.time(10, 0), eastern)
    assert result(run(flights_parquet, sla, after_deadline), "toa").status == "passed"
    next_morning = dt.datetime.combine(day_after + dt.timedelta(days=1), dt.time(8, 0), eastern)
    assert result(run(flights_parquet, sla, next_morning), "toa").status == "passed"  # before the deadline
    next_day_late = dt.datetime.combine(day_after + dt.timedelta(days=1), dt.time(10, 0), eastern)
    late = result(run(flights_parquet, sla, next_day_late), "toa")
    assert late.status == "failed"
    assert late.value == 1


def test_lifecycle_dates(flights_parquet):
    sla = [
        {"id": "ga", "property": "generalAvailability", "value": "2014-01-01T00:00:00Z"},
        {"id": "eos", "property": "endOfSupport", "value": "2020-01-01T00:00:00.000Z"},
        {"id": "eol", "property": "endOfLife", "value": "2030-01-01"},
    ]
    early = run(flights_parquet, sla, dt.datetime(2013, 6, 1, tzinfo=UTC))
    assert result(early, "ga").status == "failed"
    assert result(early, "eos").status == "passed"
    assert result(early, "eol").status == "passed"
    middle = run(flights_parquet, sla, dt.datetime(2021, 6, 1, tzinfo=UTC))
    assert result(middle, "ga").status == "passed"
    assert result(middle, "eos").status == "failed"
    assert result(middle, "eos").severity == "warning"  # out of support is not blocking by default
    assert result(middle, "eol").status == "passed"
    late = run(flights_parquet, sla, dt.datetime(2031, 1, 1, tzinfo=UTC))
    assert result(late, "eol").status == "failed"
    assert result(late, "eol") in late.blocking_failures


def test_availability_probes_each_server(flights_parquet, nycflights):
    missing = {"server": "gone", "type": "local", "path": "no-such-file.parquet", "format": "parquet"}
    sla = [{"id": "av", "property": "availability", "value": 99.9, "unit": "percent"}]
    text = contract(properties=[{"name": "year"}], sla=sla, servers=[CSV_SERVER, missing])
    report = run_contract(text, base_dir=nycflights["flights"].parent, samples=0)
    assert result(report, "av.local").status == "passed"
    assert result(report, "av.gone").status == "failed"
    assert result(report, "av.gone").value == 0


def test_sla_that_cannot_be_evaluated(flights_parquet):
    sla = [
        {"id": "th", "property": "throughput", "value": 100, "unit": "rows/s"},
        {"id": "undefined", "property": "latency", "value": -1, "unit": "As needed"},
        {"id": "no-element", "property": "latency", "value": 1, "unit": "d"},
        {
            "id": "soft",
            "property": "latency",
            "value": 1,
            "unit": "d",
            "element": "time_hour",
            "customProperties": [{"property": "quantaSeverity", "value": "warning"}],
        },
    ]
    report = run(flights_parquet, sla, dt.datetime(2030, 1, 1, tzinfo=UTC))
    for rule_id in ("th", "undefined", "no-element"):
        assert result(report, rule_id).status == "not_evaluated", rule_id
        assert result(report, rule_id).reason
    assert result(report, "soft").status == "failed"
    assert report.passed  # only a warning failed

"""Report renderings (JSON, JUnit, text, OORS records), samples and their redaction, severity and gates."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import xml.etree.ElementTree as ET

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, flights_properties, result


@pytest.fixture(scope="module")
def report(flights_parquet):
    properties = flights_properties(
        tailnum={
            "classification": "restricted",
            "quality": [{"id": "tail-nulls", "metric": "nullValues", "mustBe": 0, "severity": "warning"}],
        },
        carrier={"tags": ["PII"]},
        dep_time={"required": True, "classification": "public"},
        origin={
            "quality": [
                {
                    "id": "origin",
                    "metric": "invalidValues",
                    "name": "origin is JFK",
                    "arguments": {"validValues": ["JFK"]},
                    "mustBeLessThan": 50,
                    "unit": "percent",
                    "dimension": "ac",
                    "businessImpact": "operational",
                    "severity": "error",
                }
            ]
        },
    )
    quality = [{"id": "manual", "type": "text", "description": "checked by hand"}]
    sla = [{"id": "latency", "property": "latency", "value": 1, "unit": "d", "element": "flights.time_hour"}]
    text = contract(properties=properties, quality=quality, sla=sla)
    return run_contract(text, data=flights_parquet, samples=3, now=dt.datetime(2014, 1, 1, 12, tzinfo=dt.UTC))


def test_blocking_failures_follow_severity(report):
    blocking = {r.rule_id for r in report.blocking_failures}
    assert blocking == {"flights.dep_time.required", "origin"}
    assert result(report, "tail-nulls").status == "failed"  # a warning: reported, not blocking
    assert not report.passed


def test_fields_carried_by_results(report, oracle):
    item = result(report, "origin")
    share = oracle("SELECT COUNT(*) FILTER (WHERE origin <> 'JFK') * 100.0 / COUNT(*) FROM flights")
    assert item.value == pytest.approx(share)
    assert (item.operator, item.threshold, item.unit) == ("mustBeLessThan", 50, "percent")
    assert (item.dimension, item.business_impact, item.severity) == ("accuracy", "operational", "error")
    assert item.name == "origin is JFK"
    assert item.path == "schema[0].properties[12].quality[0]"
    assert item.element == "flights.origin"
    assert item.rows == oracle("SELECT COUNT(*) FROM flights")
    assert item.duration > 0


def test_samples_redact_non_public_and_pii(report):
    item = result(report, "flights.dep_time.required")
    assert len(item.samples) == 3
    for row in item.samples:
        assert row["dep_time"] is None
        assert row["carrier"] == "***"  # tagged pii
        assert row["tailnum"] in ("***", None)  # classification restricted
        assert row["origin"] in ("JFK", "LGA", "EWR")  # not classified: shown
    assert result(report, "flights.year.required" if False else "origin").samples  # failed: has samples
    assert not result(report, "flights.year.present").samples


def test_json(report):
    data = json.loads(report.to_json())
    assert data["contractId"] == "source.nycflights13.flights"
    assert data["passed"] is False
    assert set(data["blockingFailures"]) == {"flights.dep_time.required", "origin"}
    assert data["counts"]["manual"] == 1
    assert len(data["results"]) == len(report.results)
    first = data["results"][0]
    assert {
        "rule_id",
        "status",
        "dimension",
        "severity",
        "value",
        "operator",
        "threshold",
        "unit",
        "duration",
        "element",
        "path",
        "business_impact",
        "blocking",
    } <= set(first)


def test_junit(report):
    root = ET.fromstring(report.to_junit())
    assert root.tag == "testsuites"
    cases = root.findall(".//testcase")
    assert len(cases) == len(report.results)
    failures = root.findall(".//failure")
    assert len(failures) == len([r for r in report.blocking_failures if r.status == "failed"]) == 2
    assert any("warning:" in (node.text or "") for node in root.findall(".//system-out"))
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert any("manual" in c.find("skipped").get("message") for c in skipped)
    assert int(root.get("failures")) == 2


def test_text_groups_by_object_and_dimension(report):
    text = report.to_text()
    lines = text.splitlines()
    assert lines[-1] == report.summary()
    assert lines[-1].startswith("FAILED: ")
    assert "flights" in lines
    assert "  completeness" in lines and "  accuracy" in lines
    assert any(line.strip().startswith("[FAIL] origin is JFK") for line in lines)


def test_observability_results(report):
    records = report.observability_results(emitter="io.example.Probe")
    assert records
    for record in records:
        assert list(record) == [
            "id",
            "kind",
            "apiVersion",
            "timestamp",
            "emitter",
            "criteria",
            "property",
            "value",
            "unit",
            "element",
        ]
        uuid.UUID(record["id"])
        assert record["kind"] == "ObservabilityResult"
        assert record["criteria"] in ("sla", "dq")
        assert isinstance(record["value"], int | float)
        dt.datetime.fromisoformat(record["timestamp"])
    latency = next(r for r in records if r["criteria"] == "sla")
    assert (latency["property"], latency["unit"], latency["element"]) == ("latency", "d", "flights.time_hour")
    nulls = next(r for r in records if r["element"] == "flights.tailnum" and r["property"] == "nullValues")
    assert nulls["criteria"] == "dq"
    assert nulls["emitter"] == "io.example.Probe.null_values"

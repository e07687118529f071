"""Lenient normalisation: older and book forms become ODCS v3.1.0 with one reported rewrite per change,
``load_contract(..., lenient=True)`` hands over the normalised document, and ``quanta contract upgrade``
writes valid v3.1.0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quanta.spec import load_contract, normalize_contract, validate
from quanta.spec.contract_tools import upgrade
from quanta.spec.paths import format_path
from tests.spec.conftest import FIXTURES


def moves(rewrites) -> set[tuple[str, str]]:
    return {(format_path(r.old_path), format_path(r.new_path)) for r in rewrites}


def errors(document) -> list:
    return [d for d in validate(document) if d.severity == "error"]


def test_book_chapter_is_invalid_strictly_and_valid_v310_leniently() -> None:
    strict = load_contract(FIXTURES / "book-chapter5.odcs.yaml")
    assert {d.code for d in errors(strict)} == {"odcs.schema"}
    lenient = load_contract(FIXTURES / "book-chapter5.odcs.yaml", lenient=True)
    assert errors(lenient) == []
    assert lenient.api_version == "v3.1.0"
    assert {
        ("schema[0].object", "schema[0].name"),
        ("schema[1].table", "schema[1].name"),
        ("schema[2].properties[0].primary", "schema[2].properties[0].primaryKey"),
        ("schema[2].properties[0].quality[1].rule", "schema[2].properties[0].quality[1].metric"),
        ("team", "team.members"),
        ("team.members[2].comment", "team.members[2].description"),
    } <= moves(lenient.rewrites)
    air = lenient.schema_object("Air_Quality")
    unique_id, data_value = air["properties"]
    assert unique_id["primaryKey"] is True
    assert unique_id["quality"] == [
        {
            "metric": "nullValues",
            "description": "This column should not contain null values",
            "dimension": "completeness",
            "severity": "error",
            "businessImpact": "operational",
            "mustBeLessThan": 1,
            "unit": "percent",
            "customProperties": [{"property": "engine", "value": "ClimateQuantumDataQualityPackage"}],
        }
    ]
    # value-level range rules become bounds the check compiler turns into out-of-range counts
    assert unique_id["logicalTypeOptions"] == {"minimum": 100000}
    assert data_value["logicalTypeOptions"] == {"minimum": 0, "exclusiveMaximum": 500}
    rewrite_warnings = [d for d in validate(lenient) if d.code == "odcs.lenient-rewrite"]
    assert len(rewrite_warnings) == len(lenient.rewrites)
    assert all(d.severity == "warning" and " → " in d.message for d in rewrite_warnings if "→" in d.message)


def test_isnullable_is_inverted_and_v2_keys_are_renamed() -> None:
    contract = load_contract(FIXTURES / "legacy-v2.odcs.yaml", lenient=True)
    assert errors(contract) == []
    payment_id, amount = contract.schema[0]["properties"]
    assert payment_id == {
        "name": "payment_id",
        "primaryKey": True,
        "primaryKeyPosition": 1,
        "logicalType": "string",
        "required": True,
        "unique": True,
        "examples": ["p-1", "p-2"],
    }
    assert amount["required"] is False and amount["criticalDataElement"] is True
    assert contract.id == "0d5c9e0c-1f4e-4c41-9d6a-1f1b0c2c9a11"
    assert contract.data["slaDefaultElement"] == "payments.payment_id"
    assert contract.sla_properties[0] == {
        "property": "latency",
        "value": 1,
        "unit": "d",
        "element": "payments.payment_id",
    }
    assert contract.data["team"] == {
        "members": [{"username": "ada", "role": "owner", "dateIn": "2020-01-01"}]
    }


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"rule": "nullCheck"}, {"metric": "nullValues", "mustBe": 0}),
        ({"rule": "duplicateCount", "mustBeLessThan": 3}, {"metric": "duplicateValues", "mustBeLessThan": 3}),
        (
            {"rule": "validValues", "validValues": ["a"], "mustBe": 0},
            {"metric": "invalidValues", "mustBe": 0, "arguments": {"validValues": ["a"]}},
        ),
        (
            {"rule": "rowCount", "mustBeGreaterThanOrEqualTo": 10},
            {"metric": "rowCount", "mustBeGreaterOrEqualTo": 10},
        ),
        ({"rule": "countCheck"}, {"metric": "rowCount", "mustBeGreaterThan": 0}),
        (
            {"metric": "nullValues", "mustBeLessThanOrEqualTo": 1, "dimension": "CP"},
            {"metric": "nullValues", "mustBeLessOrEqualTo": 1, "dimension": "completeness"},
        ),
        (
            {"metric": "rowCount", "mustBe": 1, "scheduleCronExpression": "0 20 * * *"},
            {"metric": "rowCount", "mustBe": 1, "scheduler": "cron", "schedule": "0 20 * * *"},
        ),
    ],
)
def test_quality_rules(rule: dict, expected: dict) -> None:
    data = {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "c",
        "version": "1.0.0",
        "status": "active",
        "schema": [{"name": "t", "quality": [rule]}],
    }
    normalised, rewrites = normalize_contract(data)
    assert normalised["schema"][0]["quality"] == [expected]
    assert rewrites
    assert data["schema"][0]["quality"] == [rule], "the input is not modified"


def test_a_rule_with_two_operators_is_split_into_two_rules() -> None:
    data = {
        "schema": [
            {"name": "t", "quality": [{"metric": "rowCount", "mustBeGreaterThan": 1, "mustBeLessThan": 9}]}
        ]
    }
    normalised, rewrites = normalize_contract(data)
    assert normalised["schema"][0]["quality"] == [
        {"metric": "rowCount", "mustBeGreaterThan": 1},
        {"metric": "rowCount", "mustBeLessThan": 9},
    ]
    assert ("schema[0].quality[0].mustBeLessThan", "schema[0].quality[1].mustBeLessThan") in moves(rewrites)


def test_sla_renames_and_abbreviations() -> None:
    data = {"slaDefaultColumn": "t.c", "slaProperties": [{"property": "TN", "value": 1, "column": "t.c"}]}
    normalised, rewrites = normalize_contract(data)
    assert normalised["slaDefaultElement"] == "t.c"
    assert normalised["slaProperties"] == [{"property": "timeToNotify", "value": 1, "element": "t.c"}]
    assert ("slaProperties[0].column", "slaProperties[0].element") in moves(rewrites)


def test_a_current_contract_needs_no_rewrite() -> None:
    contract = load_contract(FIXTURES / "valid-contract.odcs.yaml", lenient=True)
    assert contract.rewrites == []
    assert contract.data == load_contract(FIXTURES / "valid-contract.odcs.yaml").data


def test_upgrade_writes_valid_v310(tmp_path: Path) -> None:
    result = upgrade(FIXTURES / "legacy-v2.odcs.yaml")
    assert result.valid, result.diagnostics
    out = tmp_path / "upgraded.odcs.yaml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "quanta.cli.app",
            "contract",
            "upgrade",
            str(FIXTURES / "book-chapter5.odcs.yaml"),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "rewrite schema[0].object → schema[0].name" in run.stderr
    upgraded = load_contract(out)
    assert upgraded.api_version == "v3.1.0"
    assert errors(upgraded) == []
    lint = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "lint", "--format", "json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0 and json.loads(lint.stdout)[0]["valid"] is True


def test_upgrade_refuses_to_write_an_invalid_result(tmp_path: Path) -> None:
    source = tmp_path / "bad.odcs.yaml"
    source.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\nbogus: 1\n"
    )
    out = tmp_path / "out.odcs.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "contract", "upgrade", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "nothing was written" in run.stderr
    assert not out.exists()


def test_contract_show_summarises(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "quanta.cli.app",
            "contract",
            "show",
            "--format",
            "json",
            str(FIXTURES / "valid-contract.odcs.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["id"] == "operations.flights.flights"
    assert [p["name"] for p in summary["objects"][0]["properties"]] == ["flight_id", "carrier", "dep_delay"]
    assert [(r["metric"], r["operator"], r["threshold"]) for r in summary["rules"]] == [
        ("rowCount", "mustBeBetween", [1, 1000000]),
        ("duplicateValues", "mustBe", 0),
        ("nullValues", "mustBeLessThan", 5),
    ]
    assert summary["team"]["members"][0]["username"] == "alice"
    assert [s["property"] for s in summary["slas"]] == ["generalAvailability", "endOfSupport", "latency"]
    text = subprocess.run(
        [
            sys.executable,
            "-m",
            "quanta.cli.app",
            "contract",
            "show",
            str(FIXTURES / "valid-contract.odcs.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert text.returncode == 0 and "flight_id" in text.stdout and "Quality rules" in text.stdout


def test_rewritten_fields_keep_their_source_positions() -> None:
    contract = load_contract(FIXTURES / "legacy-v2.odcs.yaml", lenient=True)
    lines = (FIXTURES / "legacy-v2.odcs.yaml").read_text().splitlines()

    def text_at(path: tuple) -> str:
        line, column = contract.source.position(path)
        return lines[line - 1][column - 1 :]

    # `dataset` → `schema`, then `table` → `name` and `isNullable` → `required` beneath it
    assert text_at(("schema", 0, "name")) == "table: payments"
    assert text_at(("schema", 0, "properties", 1, "required")) == "isNullable: true"
    assert text_at(("team", "members", 0)) == "username: ada"

"""``quanta test``: formats, output file, explain and the exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from quanta.cli.app import main
from tests.checks.helpers import CSV_SERVER, contract


def quanta(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code or 0


@pytest.fixture()
def mesh(tmp_path, nycflights):
    """A mesh folder with the flights CSV as a source and two contracts: one passing, one failing."""
    (tmp_path / "mesh.yaml").write_text("name: test\n")
    (tmp_path / "flights.csv").symlink_to(nycflights["flights"])
    folder = tmp_path / "domains" / "operations" / "flights" / "contracts"
    folder.mkdir(parents=True)
    good = [
        {"name": "year", "logicalType": "integer", "required": True},
        {"name": "carrier", "logicalType": "string", "required": True},
    ]
    bad = [*good, {"name": "tailnum", "required": True, "classification": "confidential"}]
    (folder / "good.odcs.yaml").write_text(contract(properties=good, servers=[CSV_SERVER]))
    (folder / "bad.odcs.yaml").write_text(contract(properties=bad, servers=[CSV_SERVER]))
    return folder


def test_passing_contract_exits_0_with_text_summary(mesh, capsys):
    assert quanta("test", str(mesh / "good.odcs.yaml")) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("PASSED")


def test_blocking_failure_exits_1_and_shows_redacted_samples(mesh, capsys):
    assert quanta("test", str(mesh / "bad.odcs.yaml"), "--samples", "2") == 1
    out = capsys.readouterr().out
    assert "[FAIL] flights.tailnum required" in out
    assert out.count("sample:") == 2
    assert out.strip().splitlines()[-1].startswith("FAILED")


def test_json_and_junit_to_output_files(mesh, tmp_path, capsys):
    target = tmp_path / "out" / "report.json"
    assert quanta("test", str(mesh / "bad.odcs.yaml"), "--format", "json", "--output", str(target)) == 1
    data = json.loads(target.read_text())
    assert data["passed"] is False
    assert data["blockingFailures"] == ["flights.tailnum.required"]
    assert "FAILED" in capsys.readouterr().err
    junit = tmp_path / "report.xml"
    assert quanta("test", str(mesh / "good.odcs.yaml"), "--format", "junit", "--output", str(junit)) == 0
    assert ET.parse(junit).getroot().get("failures") == "0"


def test_data_option_overrides_the_server(mesh, flights_parquet, capsys):
    assert (
        quanta("test", str(mesh / "good.odcs.yaml"), "--data", str(flights_parquet), "--format", "json") == 0
    )
    assert json.loads(capsys.readouterr().out)["server"] == "data"


def test_explain_prints_the_plan(mesh, capsys):
    assert quanta("test", str(mesh / "bad.odcs.yaml"), "--explain") == 0
    out = capsys.readouterr().out
    assert "1 scan, 3 checks fused" in out
    assert 'FROM "flights"' in out


@pytest.mark.parametrize(
    "args",
    [
        ("--server", "nope"),
        ("--format", "yaml"),
        ("--data", "/no/such/file.parquet"),
    ],
)
def test_usage_errors_exit_2(mesh, capsys, args):
    assert quanta("test", str(mesh / "good.odcs.yaml"), *args) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_missing_contract_and_unreachable_server_exit_2(tmp_path, capsys):
    assert quanta("test", str(tmp_path / "missing.odcs.yaml")) == 2
    pg = {
        "server": "pg",
        "type": "postgresql",
        "host": "127.0.0.1",
        "port": 1,
        "database": "x",
        "schema": "public",
    }
    path = tmp_path / "pg.odcs.yaml"
    path.write_text(contract(properties=[{"name": "year"}], servers=[pg]))
    assert quanta("test", str(path)) == 2
    assert "cannot connect to PostgreSQL" in capsys.readouterr().err

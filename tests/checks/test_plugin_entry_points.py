"""Custom check engines found through the ``quanta.check_engines`` entry-point group, without mocks.

A tiny plug-in package and its ``*.dist-info`` folder (``METADATA``, ``entry_points.txt``) are written to a
temporary folder that a child Python process has on ``sys.path`` (``PYTHONPATH``), exactly as an installed
distribution would be found by :mod:`importlib.metadata`. The child runs ``quanta test`` on the real
flights data; the custom rules are dispatched to the plug-in by their ``engine`` name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from quanta.checks.plugins import ENTRY_POINT_GROUP, check_engine
from tests.checks.helpers import contract

PLUGIN = '''
"""A check engine: the largest value of the rule's column, read through the engine it is given."""


def column_max(request):
    reader = request.engine.query(f"SELECT MAX({request.column}) FROM {request.table}")
    return reader.read_all().column(0)[0].as_py()
'''


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A folder holding the ``quanta_max_plugin`` package installed as distribution ``quanta-max-plugin``."""
    root = tmp_path_factory.mktemp("site")
    (root / "quanta_max_plugin").mkdir()
    (root / "quanta_max_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN).lstrip())
    info = root / "quanta_max_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: quanta-max-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nmaxValue = quanta_max_plugin:column_max\n"
    )
    return root


@pytest.fixture(scope="module")
def child_report(plugin_path, flights_parquet, oracle, tmp_path_factory):
    """The JSON report and exit code of ``quanta test`` run in a child process that sees the plug-in."""
    longest = oracle("SELECT MAX(distance) FROM flights")
    rule = {"type": "custom", "engine": "maxValue", "implementation": {"what": "largest distance"}}
    quality = [
        {"id": "max-ok", **rule, "mustBe": longest},
        {"id": "max-too-long", **rule, "mustBeLessThan": longest},
        {"id": "no-plugin", "type": "custom", "engine": "soda", "implementation": "checks for flights: []"},
    ]
    folder = tmp_path_factory.mktemp("plugin-contract")
    path = folder / "flights.odcs.yaml"
    path.write_text(contract(properties=[{"name": "distance", "logicalType": "integer", "quality": quality}]))
    output = folder / "report.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin_path), os.environ.get("PYTHONPATH")])),
    }
    code = (
        "import sys; from quanta.cli.app import main; "
        f"main(['test', {str(path)!r}, '--data', {str(flights_parquet)!r}, '--format', 'json', "
        f"'--output', {str(output)!r}, '--samples', '0'])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert output.exists(), completed.stderr
    results = {item["rule_id"]: item for item in json.loads(output.read_text())["results"]}
    return completed.returncode, results, longest


def test_the_plugin_is_not_installed_in_this_process():
    assert check_engine("maxValue") is None


def test_entry_point_plugin_measures_and_passes(child_report):
    _, results, longest = child_report
    assert results["max-ok"]["status"] == "passed"
    assert results["max-ok"]["value"] == longest


def test_entry_point_plugin_result_fails_the_run(child_report):
    code, results, longest = child_report
    assert results["max-too-long"]["status"] == "failed"
    assert results["max-too-long"]["value"] == longest
    assert code == 1


def test_engine_without_plugin_is_skipped(child_report):
    _, results, _ = child_report
    assert results["no-plugin"]["status"] == "skipped"
    assert "soda" in results["no-plugin"]["reason"]

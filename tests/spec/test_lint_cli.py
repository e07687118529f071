"""``quanta lint``: documented JSON output and exit codes (0 valid, 1 invalid, 2 usage error) on valid,
invalid and hostile files, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec.conftest import FIXTURES

HOSTILE = {
    "duplicate.odcs.yaml": ("id: a\nkind: DataContract\nid: b\n", "yaml.duplicate-key"),
    "bomb.odcs.yaml": (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "yaml.alias-limit",
    ),
    "deep.odcs.yaml": ("a: " + "[" * 300 + "]" * 300 + "\n", "yaml.too-deep"),
    "latin1.odcs.yaml": (b"id: caf\xe9\n", "yaml.encoding"),
    "list.odcs.yaml": ("- a\n- b\n", "yaml.not-a-mapping"),
    "empty.odcs.yaml": ("", "yaml.empty"),
    "tabs.odcs.yaml": ("schema:\n\t- name: x\n", "yaml.tab-indent"),
    "python.odcs.yaml": ("a: !!python/object/apply:os.system [echo pwned]\n", "yaml.unsafe-tag"),
    "nbsp.odcs.yaml": ("apiVersion: v3.1.0\nschema:\n\u00a0\u00a0- name: x\n", "yaml.nbsp-indent"),
    "quotes.odcs.yaml": ("apiVersion: v3.1.0\ndescription: ‘x’\n", "yaml.typographic-quotes"),
}


def quanta(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_valid_contract_exits_0_with_documented_json() -> None:
    result = quanta("lint", "--format", "json", str(FIXTURES / "valid-contract.odcs.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    [entry] = json.loads(result.stdout)
    assert entry == {
        "file": str(FIXTURES / "valid-contract.odcs.yaml"),
        "kind": "DataContract",
        "apiVersion": "v3.1.0",
        "valid": True,
        "errors": [],
        "warnings": [],
    }


def test_invalid_contract_exits_1_with_positions(tmp_path: Path) -> None:
    text = (FIXTURES / "valid-contract.odcs.yaml").read_text().replace("version: 1.0.0", "version: one")
    text = text.replace("primaryKeyPosition: 1", "primaryKeyPosition: 2")
    bad = tmp_path / "bad.odcs.yaml"
    bad.write_text(text)
    result = quanta("lint", "--format", "json", str(bad))
    assert result.returncode == 1
    [entry] = json.loads(result.stdout)
    assert entry["valid"] is False
    codes = {e["code"]: e for e in entry["errors"]}
    assert set(codes) == {"odcs.version", "odcs.key-position"}
    assert codes["odcs.version"]["path"] == "version"
    assert codes["odcs.version"]["line"] == 5
    assert codes["odcs.key-position"]["path"] == "schema[0].properties[0].primaryKeyPosition"
    for error in entry["errors"]:
        assert set(error) == {"code", "message", "path", "line", "column"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_exits_1_with_its_code(tmp_path: Path, name: str) -> None:
    content, code = HOSTILE[name]
    file = tmp_path / name
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = quanta("lint", "--format", "json", str(file))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [entry] = json.loads(result.stdout)
    assert entry["valid"] is False
    assert entry["errors"][0]["code"] == code
    assert entry["errors"][0]["line"] is not None or code in ("yaml.empty",)


def test_lenient_repairs_copy_paste_damage_with_warnings() -> None:
    result = quanta("lint", "--lenient", "--format", "json", str(FIXTURES / "book-5-9.odcs.yaml"))
    [entry] = json.loads(result.stdout)
    assert "yaml.typographic-quotes" in {w["code"] for w in entry["warnings"]}
    strict = quanta("lint", "--format", "json", str(FIXTURES / "book-5-9.odcs.yaml"))
    assert strict.returncode == 1
    assert json.loads(strict.stdout)[0]["errors"][0]["code"] == "yaml.typographic-quotes"


def test_folder_is_searched_and_text_output_summarises(tmp_path: Path) -> None:
    (tmp_path / "a.odcs.yaml").write_text((FIXTURES / "valid-contract.odcs.yaml").read_text())
    (tmp_path / "notes.yaml").write_text("title: not a contract\n")
    (tmp_path / "other.yaml").write_text((FIXTURES / "valid-contract.odcs.yaml").read_text())
    result = quanta("lint", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "2 file(s) linted" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = quanta("lint", str(tmp_path / "nope.odcs.yaml"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert quanta("lint", "--format", "xml", str(FIXTURES)).returncode == 2


def test_unknown_kind_and_api_version_name_the_supported_ones(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text("kind: DataContract\napiVersion: v9.9.9\nid: x\n")
    [entry] = json.loads(quanta("lint", "--format", "json", str(file)).stdout)
    assert entry["errors"][0]["code"] == "odcs.api-version"
    assert "v3.1.0" in entry["errors"][0]["message"]
    other = tmp_path / "y.yaml"
    other.write_text("kind: Something\n")
    [entry] = json.loads(quanta("lint", "--format", "json", str(other)).stdout)
    assert entry["errors"][0]["code"] == "spec.kind"
    assert "DataContract or DataProduct" in entry["errors"][0]["message"]


def test_large_batches_lint_in_worker_processes_with_the_same_results(tmp_path: Path) -> None:
    from quanta.spec import lint_paths
    from quanta.spec.lint import PARALLEL_THRESHOLD

    text = (FIXTURES / "valid-contract.odcs.yaml").read_text()
    for i in range(PARALLEL_THRESHOLD + 6):
        body = text.replace("operations.flights.flights", f"c{i}")
        if i % 7 == 0:
            body = body.replace("version: 1.0.0", "version: one")
        (tmp_path / f"c{i:03d}.odcs.yaml").write_text(body)
    parallel = [r.to_dict() for r in lint_paths([tmp_path], jobs=2)]
    serial = [r.to_dict() for r in lint_paths([tmp_path], jobs=1)]
    assert parallel == serial
    assert sum(1 for r in serial if not r["valid"]) == len(range(0, PARALLEL_THRESHOLD + 6, 7))

"""Conformance: every (file, schema) pair of the ODCS and ODPS manifests gets its expected verdict.

One parametrised test reads both manifests (``../shared/odcs/manifest.json``, ``../shared/odps/
manifest.json``). Each document is loaded by Quanta's safe loader and validated by Quanta's linear-time
validator against the schema the manifest names; the verdict must equal the manifest's, the violation
the manifest quotes first must be among those reported, and the naive strict validator
(``jsonschema.Draft201909Validator`` with no shortcut) must agree, which proves the linear-time method
equal to the strict verdict on every entry.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator

from quanta.spec.loader import load_yaml
from quanta.spec.schema_validation import SchemaValidator
from tests.spec.conftest import find_shared


def _entries() -> list:
    shared = find_shared()
    if shared is None:
        return [pytest.param(None, None, id="corpora-missing")]
    params = []
    for standard in ("odcs", "odps"):
        manifest = json.loads((shared / standard / "manifest.json").read_text())
        for entry in manifest["entries"]:
            schema = Path(entry["schema"]).stem.removeprefix(f"{standard}-json-schema-")
            name = f"{standard}:{entry['file']}@{schema}"
            params.append(pytest.param(standard, entry, id=name))
    return params


@cache
def _validators(schema_file: str) -> tuple[SchemaValidator, SchemaValidator, Draft201909Validator]:
    schema = json.loads(Path(schema_file).read_text())
    return SchemaValidator(schema), SchemaValidator(schema, use_compiled=False), Draft201909Validator(schema)


def _pointer_path(first_error: str) -> tuple:
    where = first_error.split(": ", 1)[0]
    if where == "<root>":
        return ()
    return tuple(int(p) if p.isdigit() else p for p in where.split("/"))


@pytest.mark.parametrize(("standard", "entry"), _entries())
def test_manifest_entry_gets_expected_verdict(shared: Path, standard: str, entry: dict) -> None:
    folder = shared / standard
    data = load_yaml(folder / entry["file"]).data
    compiled, python, naive = _validators(str(folder / entry["schema"]))

    violations = python.violations(data)
    assert (not violations) is entry["valid"], [v.message for v in violations]
    assert compiled.is_valid(data) is entry["valid"]
    assert (not compiled.violations(data)) is entry["valid"]
    assert naive.is_valid(data) is entry["valid"]
    if not entry["valid"]:
        expected = _pointer_path(entry["first_error"])
        reported = {v.path for v in violations} | {v.path[:-1] for v in violations}
        assert expected in reported, (expected, [(v.path, v.message) for v in violations])

"""The official ODCS / ODPS JSON Schemas as packaged with Quanta, and a strict validator for them.

The example is checked against the schema files themselves with ``jsonschema``'s Draft 2019-09 validator,
independently of Quanta's own validation (``quanta lint``), which has its own test.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import quanta.spec

SCHEMAS = Path(quanta.spec.__file__).parent / "schemas"
ODCS_SCHEMA = SCHEMAS / "odcs" / "odcs-json-schema-v3.1.0.json"
ODPS_SCHEMA = SCHEMAS / "odps" / "odps-json-schema-v1.0.0.json"


@cache
def validator(path: Path):
    """A Draft 2019-09 validator for one official schema file."""
    from jsonschema import Draft201909Validator

    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(path: Path, document: Any) -> list[str]:
    """Every violation of the schema by ``document``, as ``path: message`` lines (empty when valid)."""
    errors = sorted(validator(path).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def shared_dir() -> Path | None:
    """The folder holding the packaged schemas, or ``None`` when they are missing.

    Kept for callers written against the first version of this module, which read the schemas from the
    shared conformance corpus; ``tests/mesh/test_scaffold.py`` still calls it before ``require``.
    """
    return SCHEMAS if ODCS_SCHEMA.is_file() and ODPS_SCHEMA.is_file() else None

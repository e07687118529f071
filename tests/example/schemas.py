"""Where the example tests find the official ODCS / ODPS JSON Schemas, and a strict validator for them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

ODCS_SCHEMA = "odcs/schema/odcs-json-schema-v3.1.0.json"
ODPS_SCHEMA = "odps/schema/odps-json-schema-v1.0.0.json"


def shared_dir() -> Path | None:
    """The shared conformance corpus (``<...>/shared`` holding ``odcs/`` and ``odps/``), if present.

    The main checkout sits next to it (``/work/main`` → ``/work/shared``); worktrees one level deeper.
    """
    for base in (REPO_ROOT.parent, REPO_ROOT.parent.parent):
        candidate = base / "shared"
        if (candidate / ODCS_SCHEMA).is_file() and (candidate / ODPS_SCHEMA).is_file():
            return candidate
    return None


@cache
def validator(relative: str):
    """A Draft 2019-09 validator for one official schema (path relative to the shared folder)."""
    from jsonschema import Draft201909Validator

    shared = shared_dir()
    assert shared is not None, "call tests.conftest.require(shared_dir() is not None, ...) first"
    schema = json.loads((shared / relative).read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(relative: str, document: Any) -> list[str]:
    """Every violation of the schema by ``document``, as ``path: message`` lines (empty when valid)."""
    errors = sorted(validator(relative).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]

"""The official ODCS and ODPS JSON Schemas shipped with Quanta, chosen by ``kind`` and ``apiVersion``.

The schema files are package data under ``quanta/spec/schemas/`` (Apache-2.0, see ``LICENSE`` and
``NOTICE`` there for the upstream commits). Which versions are shipped, and why ODPS v1.1.0 is not, is
explained in ``docs/standards.md``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CONTRACT = "DataContract"
PRODUCT = "DataProduct"

#: ``kind`` → ``apiVersion`` → schema file (relative to ``quanta/spec/schemas``).
SCHEMAS: dict[str, dict[str, str]] = {
    CONTRACT: {
        "v3.1.0": "odcs/odcs-json-schema-v3.1.0.json",
        "v3.0.2": "odcs/odcs-json-schema-v3.0.2.json",
        "v3.0.1": "odcs/odcs-json-schema-v3.0.1.json",
        "v3.0.0": "odcs/odcs-json-schema-v3.0.0.json",
        # ODCS v2.2.x is read so that older contracts can be migrated (``quanta contract upgrade``).
        "v2.2.2": "odcs/odcs-json-schema-v2.2.2.json",
        "v2.2.1": "odcs/odcs-json-schema-v2.2.1.json",
        # No v2.2.0 schema was published; v2.2.1 only fixed documentation of v2.2.0.
        "v2.2.0": "odcs/odcs-json-schema-v2.2.1.json",
    },
    PRODUCT: {
        "v1.0.0": "odps/odps-json-schema-v1.0.0.json",
        "v0.9.0": "odps/odps-json-schema-v0.9.0.json",
    },
}

#: The version every lenient read and every ``contract upgrade`` produces.
CURRENT: dict[str, str] = {CONTRACT: "v3.1.0", PRODUCT: "v1.0.0"}

#: Versions that are still read but should be upgraded (a warning in ``quanta lint``).
LEGACY: dict[str, frozenset[str]] = {
    CONTRACT: frozenset({"v2.2.0", "v2.2.1", "v2.2.2"}),
    PRODUCT: frozenset(),
}

#: Short name of each standard, used as the prefix of diagnostic codes.
STANDARD: dict[str, str] = {CONTRACT: "odcs", PRODUCT: "odps"}


def supported_kinds() -> list[str]:
    """Return the document kinds Quanta reads: ``["DataContract", "DataProduct"]``."""
    return list(SCHEMAS)


def supported_versions(kind: str) -> list[str]:
    """Return the ``apiVersion`` values supported for ``kind``, newest first.

    Args:
        kind: ``"DataContract"`` or ``"DataProduct"``.

    Returns:
        The versions, e.g. ``["v3.1.0", "v3.0.2", ...]``; empty for an unknown kind.
    """
    return list(SCHEMAS.get(kind, {}))


@cache
def load_schema(kind: str, api_version: str) -> dict[str, Any]:
    """Return the official JSON Schema for ``kind`` at ``api_version``.

    Args:
        kind: ``"DataContract"`` (ODCS) or ``"DataProduct"`` (ODPS).
        api_version: e.g. ``"v3.1.0"``.

    Returns:
        The parsed JSON Schema (Draft 2019-09). Callers must not modify it.

    Raises:
        KeyError: the kind or version is not supported (check with :func:`supported_versions`).
    """
    name = SCHEMAS[kind][api_version]
    text = resources.files("quanta.spec").joinpath("schemas", name).read_text(encoding="utf-8")
    return json.loads(text)

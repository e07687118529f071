"""One module per rule kind. Each module declares ``MODE`` and the functions that mode needs.

- ``MODE = "aggregate"``: ``aggregate(check, binding) -> sqlglot expression`` (one value computed in the
  object's fused scan) and optionally ``predicate(check, binding)`` (the row condition of a violation,
  used for samples) and ``measure(raw, check, rows, context)``.
- ``MODE = "query"``: ``query(check, binding, context) -> sqlglot Select`` returning one row whose first
  column is the raw value (checks that cannot share the scan: SQL rules, relationships, gaps).
- ``MODE = "python"``: ``evaluate(check, binding, context) -> Outcome`` (no SQL: schema conformance,
  lifecycle dates, availability probes, plug-ins).

Modules are imported lazily by :func:`rule`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Rule kind -> module name under this package.
RULE_KINDS: tuple[str, ...] = (
    "field_present",
    "field_type",
    "extra_fields",
    "null_values",
    "missing_values",
    "invalid_values",
    "duplicate_values",
    "row_count",
    "value_range",
    "length",
    "string_format",
    "sql",
    "custom",
    "text",
    "relationship",
    "latency",
    "retention",
    "frequency",
    "time_of_availability",
    "lifecycle",
    "availability",
    "not_evaluated",
    "invalid_rule",
)


def rule(kind: str) -> ModuleType:
    """Return the module implementing rule ``kind``.

    Raises:
        KeyError: ``kind`` is not a known rule kind.
    """
    if kind not in RULE_KINDS:
        raise KeyError(kind)
    return importlib.import_module(f"quanta.checks.rules.{kind}")

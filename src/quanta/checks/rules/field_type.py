"""Schema conformance: the actual column type fits ``logicalType`` and ``physicalType``.

Source: ODCS v3.1.0 property ``logicalType`` / ``physicalType``. Types are compared by family
(see :data:`quanta.checks.rules.types.LOGICAL_FAMILIES`): ``integer`` accepts any integer width,
``number`` integers, floats and decimals, ``date`` dates and timestamps. ``physicalType`` is parsed with
sqlglot in the engine's dialect and compared by family too (``varchar(2)`` fits any string column).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("field_type", "f", RuleMeta("r", "r", ""), property="flight",
    ...               params={"logical_type": "string"})
    >>> evaluate(check, example_binding(flight="int64"), None).reason
    'column f.flight has type int64 (integer), which does not fit string'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.field_present import resolve
from quanta.checks.rules.types import LOGICAL_FAMILIES, sql_family

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding, context: Any) -> Outcome:
    """Compare the actual type's family with the declared types."""
    actual = resolve(check, binding)
    if actual is None:
        return Outcome("skipped", None, f"column {check.element} is missing, so its type cannot be checked")
    family = actual.family
    details = {"actual_type": str(actual), "family": family}
    logical = check.params.get("logical_type")
    if logical:
        accepted = LOGICAL_FAMILIES.get(str(logical))
        if accepted is None:
            return Outcome("not_evaluated", str(actual), f"unknown logicalType {logical!r}", details)
        if family not in accepted:
            reason = f"column {check.element} has type {actual} ({family}), which does not fit {logical}"
            return Outcome("failed", str(actual), reason, details)
    physical = check.params.get("physical_type")
    if physical:
        expected = sql_family(str(physical), binding.dialect)
        if expected is None:
            if not logical:
                return Outcome(
                    "not_evaluated", str(actual), f"cannot parse physicalType {physical!r}", details
                )
        elif expected != family and not (expected == "decimal" and family in ("integer", "float")):
            reason = f"column {check.element} has type {actual} ({family}), which does not fit {physical}"
            return Outcome("failed", str(actual), reason, details)
    return Outcome("passed", str(actual), None, details)

"""Schema conformance: a declared property (also a nested one) exists in the data.

Source: ODCS v3.1.0 ``schema[].properties[]``; nested properties of ``object`` and ``array`` items.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("field_present", "f", RuleMeta("r", "r", ""), property="tailnum")
    >>> evaluate(check, example_binding(carrier="string"), None).status
    'failed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def resolve(check: Check, binding: Binding) -> Any:
    """The :class:`~quanta.engine.types.ColumnType` of the (possibly nested) property, or ``None`` when it
    is absent (nested properties are struct fields; arrays are stepped through)."""
    current = binding.column_type(check.property or "")
    for name in check.params.get("path") or ():
        if current is None:
            return None
        current = current.field(name)
    return current


def evaluate(check: Check, binding: Binding, context: Any) -> Outcome:
    """Passed when the column exists, failed otherwise (value: 1 present, 0 absent)."""
    found = resolve(check, binding)
    if found is None:
        columns = ", ".join(binding.types) or "none"
        return Outcome("failed", 0, f"column {check.element} is missing (the data has: {columns})")
    return Outcome("passed", 1)

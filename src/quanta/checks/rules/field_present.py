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
from quanta.checks.rules.types import nested_type

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def resolve(check: Check, binding: Binding) -> Any:
    """The Arrow type of the (possibly nested) property, or ``None`` when it is absent."""
    path = tuple(check.params.get("path") or ())
    top = binding.arrow_type(check.property or "")
    if top is None or not path:
        return top
    return nested_type(top, path)


def evaluate(check: Check, binding: Binding, context: Any) -> Outcome:
    """Passed when the column exists, failed otherwise (value: 1 present, 0 absent)."""
    found = resolve(check, binding)
    if found is None:
        columns = ", ".join(binding.types) or "none"
        return Outcome("failed", 0, f"column {check.element} is missing (the data has: {columns})")
    return Outcome("passed", 1)

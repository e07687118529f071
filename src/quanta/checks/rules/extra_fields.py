"""Schema conformance: columns in the data that the contract does not declare (a warning by default).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("extra_fields", "f", RuleMeta("r", "r", ""))
    >>> evaluate(check, example_binding(), None).status
    'passed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding, context: Any) -> Outcome:
    """Failed (value: how many) when the data has undeclared columns, with their names."""
    declared = set(binding.columns.values())
    extra = [name for name in binding.types if name not in declared]
    if extra:
        return Outcome("failed", len(extra), "undeclared columns: " + ", ".join(extra), {"columns": extra})
    return Outcome("passed", 0)

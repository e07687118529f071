"""Clauses Quanta recognises but cannot evaluate (an unknown SLA property, an unsupported library rule).

They are reported ``not_evaluated`` with the reason, never passed.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> check = Check("not_evaluated", None, RuleMeta("r", "r", ""), params={"reason": "no incidents"})
    >>> evaluate(check, None, None).reason
    'no incidents'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Report the clause as not evaluated, with the reason found at plan time."""
    return Outcome("not_evaluated", None, str(check.params.get("reason", "cannot be evaluated")))

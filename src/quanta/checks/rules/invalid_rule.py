"""Rules the contract writes wrongly (an unknown operator or unit, reversed ``between`` bounds).

Such a rule cannot run as written, so it is reported ``error`` with the reason found at plan time and,
like every ``error`` of blocking severity, fails the run: a misspelled rule is never silently replaced by
a default and never reported as passed.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> check = Check("invalid_rule", None, RuleMeta("r", "r", ""), params={"reason": "unknown unit"})
    >>> outcome = evaluate(check, None, None)
    >>> outcome.status, outcome.reason
    ('error', 'unknown unit')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Report the rule as an ``error``, with the mistake found at plan time."""
    return Outcome("error", None, str(check.params.get("reason", "the rule is not valid")))

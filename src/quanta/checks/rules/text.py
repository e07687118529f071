"""``type: text`` rules: expectations in words. They cannot run, so they are reported ``manual``.

Source: ODCS v3.1.0, data quality ``text``. A text rule is never reported as passed.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> check = Check("text", "f", RuleMeta("r", "r", "", description="Emails are verified"))
    >>> evaluate(check, None, None).status
    'manual'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Report the rule as needing a manual review."""
    return Outcome("manual", None, "a text rule is a human-readable expectation; review it manually")

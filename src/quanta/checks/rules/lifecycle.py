"""SLA lifecycle dates: ``generalAvailability``, ``endOfSupport``, ``endOfLife`` at the run date.

Source: ODCS v3.1.0 ``slaProperties``; the book, ch. 5 (general availability -> end of support -> end of
life). ``generalAvailability`` passes once the date is reached; ``endOfSupport`` and ``endOfLife`` pass
while the date is still ahead. The value is the number of days from the date to the run (negative:
the date is in the future).

Example:
    >>> import datetime as dt
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> class Context:
    ...     now = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
    >>> check = Check("lifecycle", None, RuleMeta("r", "r", ""),
    ...               params={"property": "endOfLife", "date": "2030-01-01T04:00:00.000Z"})
    >>> evaluate(check, None, Context()).status
    'failed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.timeutil import to_utc

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"
STATES = {
    "generalAvailability": "generally available",
    "endOfSupport": "out of support",
    "endOfLife": "end of life",
}


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Compare the lifecycle date with the run date."""
    prop = str(check.params["property"])
    date = to_utc(check.params.get("date"))
    if date is None:
        return Outcome("not_evaluated", None, f"{prop} value {check.params.get('date')!r} is not a date")
    days = (context.now - date).total_seconds() / 86400.0
    reached = days >= 0
    details = {"date": date.isoformat(), "run": context.now.isoformat()}
    if prop == "generalAvailability":
        if reached:
            return Outcome("passed", days, None, details)
        return Outcome("failed", days, f"not generally available before {date.date()}", details)
    if reached:
        return Outcome("failed", days, f"{STATES[prop]} since {date.date()}", details)
    return Outcome("passed", days, None, details)

"""SLA ``timeOfAvailability``: after the daily deadline, the previous day's data is there.

Source: ODCS v3.1.0 ``slaProperties`` example ``timeOfAvailability`` (``value: 09:00-08:00``: a time of
day with an optional UTC offset) and the book, ch. 5 ("applies well to daily batch"). Quanta's reading:
at or after the deadline of day D (in the value's offset, UTC if none), the newest ``element`` value must
fall on day D-1 or later; before the deadline, on day D-2 or later. The measured value is the number of
days the newest data is behind what the deadline requires (0 when on time).

Example:
    >>> parse_deadline("09:00-08:00")
    (datetime.time(9, 0), datetime.timezone(datetime.timedelta(days=-1, seconds=57600)))
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.timeutil import to_utc

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"
COUNTS_VIOLATIONS = False
_DEADLINE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def parse_deadline(value: Any) -> tuple[dt.time, dt.tzinfo] | None:
    """``"09:00-08:00"`` -> (09:00, UTC-8); ``None`` when the value is not a time of day."""
    match = _DEADLINE.match(str(value))
    if not match:
        return None
    hour, minute, second, offset = match.groups()
    zone: dt.tzinfo = dt.UTC
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return dt.time(int(hour), int(minute), int(second or 0)), zone


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """``MAX(element)``."""
    from sqlglot import exp

    return exp.Max(this=binding.column(check.property))


def measure(raw: Any, check: Check, rows: int, context: Any) -> Outcome | float:
    """Days the newest data is behind the deadline's requirement (0 = on time)."""
    parsed = parse_deadline(check.params.get("deadline"))
    if parsed is None:
        deadline = check.params.get("deadline")
        return Outcome(
            "not_evaluated", None, f"timeOfAvailability {deadline!r} is not a time such as 09:00-08:00"
        )
    deadline, zone = parsed
    newest = to_utc(raw)
    if newest is None:
        return Outcome("failed", None, f"{check.element} has no date values")
    now = context.now.astimezone(zone)
    days_back = 1 if now.time() >= deadline else 2
    required = now.date() - dt.timedelta(days=days_back)
    behind = (required - newest.astimezone(zone).date()).days
    return float(max(behind, 0))

"""SLA ``latency`` (also ``freshness``): now minus the newest ``element`` value, within ``value`` ``unit``.

Source: ODCS v3.1.0 ``slaProperties`` (``latency``, "preferred to freshness"); the book, ch. 5: latency is
the time between data production and its availability. Measured as ``now - MAX(element)`` in the SLA's
unit (fused into the object's scan); passes when it is at most ``value``. ``now`` is the run time, or
``test_contract(now=...)``.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("latency", "f", RuleMeta("r", "r", ""), property="time_hour")
    >>> aggregate(check, example_binding(time_hour="timestamp[us]")).sql("duckdb")
    'MAX("time_hour")'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.timeutil import to_utc, unit_seconds

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"
#: The raw value is a timestamp, not a count of violating rows.
COUNTS_VIOLATIONS = False


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """``MAX(element)``."""
    from sqlglot import exp

    return exp.Max(this=binding.column(check.property))


def age(raw: Any, check: Check, context: Any, what: str) -> Outcome | float:
    """``now - raw`` in the check's unit, or an outcome explaining why it cannot be measured."""
    moment = to_utc(raw)
    if moment is None:
        if raw is None:
            return Outcome("failed", None, f"{check.element} has no values, so its {what} cannot be measured")
        return Outcome("error", None, f"{check.element} value {raw!r} is not a date or timestamp")
    seconds = unit_seconds(check.threshold.unit if check.threshold else None)
    if seconds is None:
        unit = check.threshold.unit if check.threshold else None
        return Outcome("not_evaluated", None, f"unknown time unit {unit!r}; use s, m, h, d, w, mo or y")
    return (context.now - moment).total_seconds() / seconds


def measure(raw: Any, check: Check, rows: int, context: Any) -> Outcome | float:
    """The age of the newest value, in the SLA's unit."""
    return age(raw, check, context, "latency")

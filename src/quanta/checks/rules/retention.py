"""SLA ``retention``: the oldest ``element`` value is no older than ``value`` ``unit``.

Source: ODCS v3.1.0 ``slaProperties`` ``retention`` (how long records are kept). Measured as
``now - MIN(element)`` in the SLA's unit (fused into the object's scan); passes when it is at most
``value`` (records older than the retention period must be gone).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("retention", "f", RuleMeta("r", "r", ""), property="time_hour")
    >>> aggregate(check, example_binding(time_hour="timestamp[us]")).sql("postgres")
    'MIN("time_hour")'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.latency import age

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"
COUNTS_VIOLATIONS = False


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """``MIN(element)``."""
    from sqlglot import exp

    return exp.Min(this=binding.column(check.property))


def measure(raw: Any, check: Check, rows: int, context: Any) -> Outcome | float:
    """The age of the oldest value, in the SLA's unit."""
    return age(raw, check, context, "retention")

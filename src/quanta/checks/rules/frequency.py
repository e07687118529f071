"""SLA ``frequency``: the largest gap between successive loads (distinct ``element`` values).

Source: ODCS v3.1.0 ``slaProperties`` ``frequency`` (how often data is updated; ``value`` + ``unit``).
The element is the load or partition timestamp; the gap between successive distinct values, in the
SLA's unit, must be at most ``value``. Runs as its own query (a window over the distinct values).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("frequency", "f", RuleMeta("r", "r", ""), property="loaded_at")
    >>> print(query(check, example_binding(loaded_at="timestamp[us]"), None).sql("postgres", pretty=True))
    SELECT
      MAX(gap)
    FROM (
      SELECT
        e - LAG(e) OVER (ORDER BY e) AS gap
      FROM (
        SELECT DISTINCT
          DATE_PART('epoch', "loaded_at") AS e
        FROM "flights"
        WHERE
          NOT "loaded_at" IS NULL
      ) AS d
    ) AS g
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.checks.rules.timeutil import unit_seconds

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "query"


def query(check: Check, binding: Binding, context: Any) -> exp.Select:
    """The largest gap in seconds between successive distinct values of the element."""
    from sqlglot import exp

    column = binding.column(check.property)
    distinct = (
        exp.select(exp.TimeToUnix(this=column.copy()).as_("e"))
        .distinct()
        .from_(binding.table.copy())
        .where(exp.not_(column.copy().is_(None)))
    )
    e = exp.column("e")
    lag = exp.Window(this=exp.Lag(this=e.copy()), order=exp.Order(expressions=[exp.Ordered(this=e.copy())]))
    gaps = exp.select(exp.Sub(this=e.copy(), expression=lag).as_("gap")).from_(distinct.subquery("d"))
    return exp.select(exp.Max(this=exp.column("gap"))).from_(gaps.subquery("g"))


def measure(raw: Any, check: Check, rows: int, context: Any) -> Outcome | float:
    """The largest gap in the SLA's unit (no gap at all with fewer than two loads: 0)."""
    seconds = unit_seconds(check.threshold.unit if check.threshold else None)
    if seconds is None:
        return Outcome("not_evaluated", None, "unknown time unit; use s, m, h, d, w, mo or y")
    return 0.0 if raw is None else float(raw) / seconds

"""``rowCount``: the number of rows of an object.

Source: ODCS v3.1.0, library metric ``rowCount`` (object level).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> aggregate(Check("row_count", "f", RuleMeta("r", "r", "")), example_binding()).sql("spark")
    'COUNT(*)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"
#: The value is a count of rows even when ``unit: percent`` is written (a percentage of itself is 100).
COUNTS_VIOLATIONS = False


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """``COUNT(*)``."""
    from sqlglot import exp

    return exp.Count(this=exp.Star())

"""``nullValues`` (and ``required``, primary-key columns): rows whose property is NULL.

Source: ODCS v3.1.0, data quality, library metric ``nullValues``; ``required: true`` means no nulls.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("null_values", "flights", RuleMeta("r", "r", ""), property="tailnum")
    >>> aggregate(check, example_binding(tailnum="string")).sql("duckdb")
    'COUNT(*) FILTER(WHERE "tailnum" IS NULL)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.checks.rules.base import count_where

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: the column is NULL."""
    return binding.column(check.property).is_(None)


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of NULL values."""
    return count_where(predicate(check, binding))

"""``missingValues``: rows whose property is NULL or one of ``arguments.missingValues``.

Source: ODCS v3.1.0, library metric ``missingValues`` (default missing values: ``null`` and ``''``).
Non-null missing values are compared with the column cast to text, so ``['N/A', '']`` works on any type.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("missing_values", "f", RuleMeta("r", "r", ""), property="tailnum",
    ...               params={"values": (None, "", "N/A")})
    >>> aggregate(check, example_binding(tailnum="string")).sql("postgres")
    'COUNT(*) FILTER(WHERE ("tailnum" IS NULL) OR ("tailnum" IN (\\'\\', \\'N/A\\')))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.checks.rules.base import any_of, as_text, count_where, literal

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"
DEFAULT_MISSING = (None, "")


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: NULL (when listed) or equal to a listed missing value."""
    values = tuple(check.params.get("values", DEFAULT_MISSING))
    column = binding.column(check.property)
    parts = []
    if None in values:
        parts.append(column.copy().is_(None))
    others = [v for v in values if v is not None]
    if others:
        text = as_text(column.copy(), binding.column_type(check.property))
        parts.append(text.isin(*[literal(str(v)) for v in others]))
    if not parts:
        from sqlglot import exp

        return exp.false()
    return any_of(parts)


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of missing values."""
    return count_where(predicate(check, binding))

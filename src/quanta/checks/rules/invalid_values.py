"""``invalidValues`` (and ``logicalTypeOptions`` ``pattern`` / enum-like ``validValues``): non-null values
outside ``arguments.validValues`` or not matching ``arguments.pattern``.

Source: ODCS v3.1.0, library metric ``invalidValues``. Patterns are searched (unanchored), as in JSON
Schema; anchor them with ``^...$`` to match whole values. NULLs are never invalid (that is ``nullValues``).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("invalid_values", "f", RuleMeta("r", "r", ""), property="origin",
    ...               params={"valid_values": ("JFK", "LGA", "EWR")})
    >>> aggregate(check, example_binding(origin="string")).sql("duckdb")
    'COUNT(*) FILTER(WHERE NOT "origin" IN (\\'JFK\\', \\'LGA\\', \\'EWR\\'))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.checks.rules.base import as_text, count_where, literal, regex_match

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: not null, and outside the valid values or the pattern."""
    from sqlglot import exp

    column = binding.column(check.property)
    column_type = binding.column_type(check.property)
    valid = check.params.get("valid_values")
    pattern = check.params.get("pattern")
    ok: list[exp.Expression] = []
    if valid:
        values = [v for v in valid if v is not None]
        strings = any(isinstance(v, str) for v in values)
        is_text = column_type is not None and column_type.is_text
        if (strings and not is_text) or (is_text and not strings):
            # Mixed types: compare as text (a number list on a text column, or text values on numbers).
            target = as_text(column.copy(), column_type)
            ok.append(target.isin(*[literal(str(v)) for v in values]))
        else:
            ok.append(column.copy().isin(*[literal(v) for v in values]))
    if pattern:
        ok.append(regex_match(as_text(column.copy(), column_type), str(pattern)))
    valid_expr = exp.and_(*ok) if len(ok) > 1 else ok[0]
    return exp.not_(valid_expr)  # NULL for a NULL value, which a filter treats as false


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of invalid values."""
    return count_where(predicate(check, binding))

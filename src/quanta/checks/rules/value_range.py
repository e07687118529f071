"""Value bounds (``logicalTypeOptions`` ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/
``multipleOf``, and the book's value-level ``rangeCheck``): values that break a bound.

Source: ODCS v3.1.0 ``logicalTypeOptions`` for integer, number, date and timestamp properties
(in v3.0.2 ``exclusiveMinimum``/``exclusiveMaximum`` are booleans that make ``minimum``/``maximum``
strict). ``params["conditions"]`` holds ``(operator, bound)`` pairs every non-null value must satisfy,
using the ODCS operator names; ``params["multiple_of"]`` a divisor.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("value_range", "f", RuleMeta("r", "r", ""), property="month",
    ...               params={"conditions": (("mustBeGreaterOrEqualTo", 1), ("mustBeLessOrEqualTo", 12))})
    >>> aggregate(check, example_binding(month="int64")).sql("duckdb")
    'COUNT(*) FILTER(WHERE NOT "month" IS NULL AND NOT ("month" >= 1 AND "month" <= 12))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import count_where

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"


def bound(value: Any, arrow_type: Any) -> exp.Expression:
    """A literal bound, typed like the column for dates and timestamps."""
    import pyarrow as pa
    from sqlglot import exp

    if isinstance(value, str) and arrow_type is not None:
        if pa.types.is_date(arrow_type):
            return exp.cast(exp.Literal.string(value), exp.DataType.build("date"))
        if pa.types.is_timestamp(arrow_type):
            kind = "timestamptz" if arrow_type.tz else "timestamp"
            return exp.cast(exp.Literal.string(value), exp.DataType.build(kind))
    return exp.convert(value)


def condition(column: exp.Expression, operator: str, value: Any, arrow_type: Any) -> exp.Expression:
    """The SQL form of one ODCS operator applied to a value."""
    from sqlglot import exp

    if operator in ("mustBeBetween", "mustNotBeBetween"):
        low, high = value
        between = exp.Between(this=column, low=bound(low, arrow_type), high=bound(high, arrow_type))
        return between if operator == "mustBeBetween" else exp.not_(between)
    node = {
        "mustBe": exp.EQ,
        "mustNotBe": exp.NEQ,
        "mustBeGreaterThan": exp.GT,
        "mustBeGreaterOrEqualTo": exp.GTE,
        "mustBeLessThan": exp.LT,
        "mustBeLessOrEqualTo": exp.LTE,
    }[operator]
    return node(this=column, expression=bound(value, arrow_type))


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: a non-null value that breaks a bound."""
    from sqlglot import exp

    column = binding.column(check.property)
    arrow_type = binding.arrow_type(check.property)
    ok = [condition(column.copy(), op, value, arrow_type) for op, value in check.params.get("conditions", ())]
    multiple_of = check.params.get("multiple_of")
    if multiple_of:
        ok.append(
            exp.EQ(
                this=exp.Mod(this=column.copy(), expression=exp.convert(multiple_of)),
                expression=exp.convert(0),
            )
        )
    inside = exp.and_(*ok) if len(ok) > 1 else ok[0]
    return exp.and_(exp.not_(column.copy().is_(None)), exp.not_(inside))


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of values that break a bound."""
    return count_where(predicate(check, binding))

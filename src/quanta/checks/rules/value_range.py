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
    'COUNT(*) FILTER(WHERE ("month" < 1) OR ("month" > 12))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import count_where

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding
    from quanta.engine.types import ColumnType

MODE = "aggregate"


def bound(value: Any, column_type: ColumnType | None) -> exp.Expression:
    """A literal bound, typed like the column for dates and timestamps."""
    from sqlglot import exp

    if isinstance(value, str) and column_type is not None:
        if column_type.family == "date":
            return exp.cast(exp.Literal.string(value), exp.DataType.build("date"))
        if column_type.family == "timestamp":
            kind = "timestamptz" if column_type.tz else "timestamp"
            return exp.cast(exp.Literal.string(value), exp.DataType.build(kind))
    return exp.convert(value)


def condition(
    column: exp.Expression, operator: str, value: Any, column_type: ColumnType | None
) -> exp.Expression:
    """The SQL form of one ODCS operator applied to a value."""
    from sqlglot import exp

    if operator in ("mustBeBetween", "mustNotBeBetween"):
        low, high = value
        between = exp.Between(this=column, low=bound(low, column_type), high=bound(high, column_type))
        return between if operator == "mustBeBetween" else exp.not_(between)
    node = {
        "mustBe": exp.EQ,
        "mustNotBe": exp.NEQ,
        "mustBeGreaterThan": exp.GT,
        "mustBeGreaterOrEqualTo": exp.GTE,
        "mustBeLessThan": exp.LT,
        "mustBeLessOrEqualTo": exp.LTE,
    }[operator]
    return node(this=column, expression=bound(value, column_type))


#: Each operator and the operator of its violation (``x >= 1`` is broken where ``x < 1``).
INVERSE = {
    "mustBe": "mustNotBe",
    "mustNotBe": "mustBe",
    "mustBeGreaterThan": "mustBeLessOrEqualTo",
    "mustBeGreaterOrEqualTo": "mustBeLessThan",
    "mustBeLessThan": "mustBeGreaterOrEqualTo",
    "mustBeLessOrEqualTo": "mustBeGreaterThan",
    "mustBeBetween": "mustNotBeBetween",
    "mustNotBeBetween": "mustBeBetween",
}


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: a value that breaks a bound.

    NULLs make every comparison NULL, which a filter treats as false: they are never counted here.
    """
    from sqlglot import exp

    from quanta.checks.rules.base import any_of

    column = binding.column(check.property)
    column_type = binding.column_type(check.property)
    conditions = check.params.get("conditions", ())
    broken = [condition(column.copy(), INVERSE[op], value, column_type) for op, value in conditions]
    multiple_of = check.params.get("multiple_of")
    if multiple_of:
        remainder = exp.Mod(this=column.copy(), expression=exp.convert(multiple_of))
        broken.append(exp.NEQ(this=remainder, expression=exp.convert(0)))
    return any_of(broken) if len(broken) > 1 else broken[0]


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of values that break a bound."""
    return count_where(predicate(check, binding))

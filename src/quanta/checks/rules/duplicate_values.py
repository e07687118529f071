"""``duplicateValues`` (and ``unique``, primary keys): rows whose key repeats an earlier row's key.

Source: ODCS v3.1.0, library metric ``duplicateValues``: one property, or at object level the
composite key ``arguments.properties``. The value is ``rows with a non-null key - distinct keys``, i.e.
the number of rows that would have to go for the key to be unique; rows with a NULL in the key are not
counted (NULLs are the business of ``nullValues``). Computed as ``COUNT(DISTINCT ...)`` inside the
object's fused scan.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("duplicate_values", "f", RuleMeta("r", "r", ""), params={"properties": ("a", "b")})
    >>> aggregate(check, example_binding(a="int64", b="string")).sql("spark")
    'COUNT(*) FILTER(WHERE NOT `a` IS NULL AND NOT `b` IS NULL) - COUNT(DISTINCT `a`, `b`)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import count_where

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"


def key_properties(check: Check) -> tuple[str, ...]:
    """The key: ``params["properties"]`` or the check's own property."""
    keys = tuple(check.params.get("properties") or ())
    return keys or ((check.property,) if check.property else ())


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """Rows with a non-null key minus distinct non-null keys."""
    from sqlglot import exp

    columns = [binding.column(name) for name in key_properties(check)]
    if len(columns) == 1:
        present = exp.Count(this=columns[0].copy())
    else:
        present = count_where(exp.and_(*[exp.not_(c.copy().is_(None)) for c in columns]))
    distinct = exp.Count(this=exp.Distinct(expressions=[c.copy() for c in columns]))
    return exp.Sub(this=present, expression=distinct)


def samples(check: Check, binding: Binding, limit: int, context: Any = None) -> exp.Select:
    """Up to ``limit`` duplicated keys with how often each occurs (column ``quanta_count``)."""
    from sqlglot import exp

    columns = [binding.column(name) for name in key_properties(check)]
    count = exp.Count(this=exp.Star())
    not_null = exp.and_(*[exp.not_(c.copy().is_(None)) for c in columns])
    return (
        exp.select(*[c.copy() for c in columns], count.copy().as_("quanta_count"))
        .from_(binding.table.copy())
        .where(not_null)
        .group_by(*[c.copy() for c in columns])
        .having(exp.GT(this=count.copy(), expression=exp.Literal.number(1)))
        .order_by(*[c.copy() for c in columns])
        .limit(limit)
    )

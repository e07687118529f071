"""String length bounds (``logicalTypeOptions`` ``minLength``/``maxLength``): values of the wrong length.

Source: ODCS v3.1.0 ``logicalTypeOptions`` for strings. Length is counted in characters.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("length", "f", RuleMeta("r", "r", ""), property="carrier", params={"min": 2, "max": 2})
    >>> aggregate(check, example_binding(carrier="string")).sql("postgres")
    'COUNT(*) FILTER(WHERE (LENGTH("carrier") < 2) OR (LENGTH("carrier") > 2))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.checks.rules.base import any_of, as_text, count_where

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "aggregate"


def predicate(check: Check, binding: Binding) -> exp.Expression:
    """The row condition of a violation: the length is below ``min`` or above ``max``."""
    from sqlglot import exp

    column = as_text(binding.column(check.property), binding.column_type(check.property))
    length = exp.Length(this=column)
    parts = []
    if check.params.get("min") is not None:
        parts.append(exp.LT(this=length.copy(), expression=exp.convert(int(check.params["min"]))))
    if check.params.get("max") is not None:
        parts.append(exp.GT(this=length.copy(), expression=exp.convert(int(check.params["max"]))))
    return any_of(parts)


def aggregate(check: Check, binding: Binding) -> exp.Expression:
    """The number of values of the wrong length."""
    return count_where(predicate(check, binding))

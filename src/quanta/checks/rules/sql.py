"""``type: sql`` rules: a user query whose single result (a number or a boolean) meets the operator.

Source: ODCS v3.1.0, data quality ``sql``. The placeholders ``{object}``, ``{property}``, ``${object}``,
``${property}`` (and their ``table``/``column``/``model`` synonyms) are replaced by the quoted physical
names before the query runs. The query is written in the server's dialect and is not translated; it must
parse (sqlglot, engine dialect) as exactly one read-only query, otherwise the check ends in ``error``.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("sql", "flights", RuleMeta("r", "r", ""), property="dep_delay",
    ...               params={"query": "SELECT MAX({property}) FROM ${object}"})
    >>> query(check, example_binding(dep_delay="int64"), None)
    'SELECT MAX("dep_delay") FROM "flights"'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "query"
_PLACEHOLDER = re.compile(r"\$?\{\s*(object|table|model|dataset|property|column|field)\s*\}")


class UnsafeQuery(ValueError):
    """The SQL rule is not a single read-only query."""


def query(check: Check, binding: Binding, context: Any) -> str:
    """The rule's query with placeholders replaced, after checking it is one read-only query.

    Raises:
        UnsafeQuery: the text is not exactly one SELECT-like query, or a placeholder has no value.
    """
    import sqlglot
    from sqlglot import exp

    table_sql = binding.table.sql(binding.dialect)

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in ("object", "table", "model", "dataset"):
            return table_sql
        if check.property is None:
            raise UnsafeQuery(f"{match.group(0)} is used in an object-level rule, which has no property")
        return binding.column(check.property).sql(binding.dialect)

    text = _PLACEHOLDER.sub(replace, str(check.params.get("query") or "")).strip().rstrip(";")
    try:
        statements = [s for s in sqlglot.parse(text, read=binding.dialect) if s is not None]
    except sqlglot.errors.ParseError as error:
        raise UnsafeQuery(f"the query does not parse as {binding.dialect} SQL: {error}") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise UnsafeQuery("the query must be exactly one SELECT statement")
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Merge, exp.Command)
    if any(statements[0].find_all(*writes)):
        raise UnsafeQuery("the query must only read data")
    return text


def interpret(raw: Any, check: Check) -> Outcome | float | bool:
    """Turn the query's first value into a number, or a boolean for a boolean operand.

    A boolean result with no operator passes when true. With a boolean operand (``mustBe: true``,
    ``mustNotBe: false``) the result must be a boolean or 0/1 and is compared as a boolean; with a numeric
    operand a boolean result counts as 1/0.

    Example:
        >>> from quanta.checks.plan import Check, Condition, RuleMeta, Threshold
        >>> check = Check("sql", "f", RuleMeta("r", "r", ""),
        ...               threshold=Threshold((Condition("mustBe", True),), ""))
        >>> interpret(1, check), interpret(False, check)
        (True, False)
        >>> interpret(2, check).status
        'error'
    """
    if raw is None:
        return Outcome("error", None, "the query returned NULL or no row")
    boolean = check.threshold is not None and any(
        isinstance(c.value, bool) for c in check.threshold.conditions
    )
    if isinstance(raw, bool):
        if check.threshold is None:
            return Outcome("passed" if raw else "failed", raw, None if raw else "the query returned false")
        return raw if boolean else (1.0 if raw else 0.0)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return Outcome("error", None, f"the query returned {raw!r}, which is neither a number nor a boolean")
    if check.threshold is None:
        return Outcome("error", value, "a sql rule with a numeric result needs an operator (e.g. mustBe: 0)")
    if boolean:
        if value not in (0, 1):
            return Outcome(
                "error",
                value,
                f"the query returned {raw!r}; a boolean operand needs a boolean (or 0/1) result",
            )
        return value == 1
    return value

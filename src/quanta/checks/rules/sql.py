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

from quanta.checks.rules.base import Outcome, result_value

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
    """Turn the query's first value into a number, or a boolean for a boolean operand (see
    :func:`~quanta.checks.rules.base.result_value`)."""
    return result_value(raw, check, "the query")

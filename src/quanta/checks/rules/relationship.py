"""Relationships (ODCS v3.1 ``relationships``, type ``foreignKey``): rows whose key has no match.

Source: ODCS v3.1.0 ``schema[].relationships`` (``from``, ``to``) and property-level
``relationships`` (``to``). The value is the number of rows of the ``from`` object whose (non-null)
key does not appear in the ``to`` object. The ``to`` object may be in the same contract or, across
contracts of a mesh, in data passed to ``test_contract(..., related={...})``. It runs as its own
query (an anti-join cannot share the object's scan).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> from quanta.checks.rules.base import example_binding
    >>> check = Check("relationship", "flights", RuleMeta("r", "r", ""),
    ...               params={"from": ("carrier",), "to_object": "airlines", "to": ("carrier",)})
    >>> class Context:
    ...     bindings = {"airlines": example_binding("airlines", carrier="string")}
    >>> print(query(check, example_binding(carrier="string"), Context()).sql("duckdb", pretty=True))
    SELECT
      COUNT(*)
    FROM "flights" AS f
    WHERE
      NOT "f"."carrier" IS NULL
      AND NOT EXISTS(
        SELECT
          1
        FROM "airlines" AS t
        WHERE
          "t"."carrier" = "f"."carrier"
      )
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "query"


class UnresolvedReference(LookupError):
    """The ``to`` object of a relationship is not available to the run."""


def _violations(check: Check, binding: Binding, context: Any) -> tuple[exp.Select, list[exp.Column]]:
    from sqlglot import exp

    target_name = check.params["to_object"]
    target = context.bindings.get(target_name)
    if target is None:
        raise UnresolvedReference(
            f"referenced object {target_name!r} is not in this contract's data; pass it with "
            f"related={{{target_name!r}: <path or table>}}"
        )
    from_cols = [exp.column(binding.column(p).name, table="f", quoted=True) for p in check.params["from"]]
    to_cols = [exp.column(target.column(p).name, table="t", quoted=True) for p in check.params["to"]]
    match = exp.and_(*[exp.EQ(this=t, expression=f.copy()) for t, f in zip(to_cols, from_cols, strict=True)])
    exists = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(exp.alias_(target.table.copy(), "t", table=True))
        .where(match)
    )
    not_null = [exp.not_(c.copy().is_(None)) for c in from_cols]
    select = exp.select().from_(exp.alias_(binding.table.copy(), "f", table=True))
    select = select.where(exp.and_(*not_null, exp.not_(exists)))
    return select, from_cols


def query(check: Check, binding: Binding, context: Any) -> exp.Select:
    """``SELECT COUNT(*)`` of the rows whose key has no match in the referenced object."""
    from sqlglot import exp

    select, _ = _violations(check, binding, context)
    return select.select(exp.Count(this=exp.Star()))


def samples(check: Check, binding: Binding, limit: int, context: Any) -> exp.Select:
    """Up to ``limit`` rows of the ``from`` object whose key has no match."""
    from sqlglot import exp

    select, from_cols = _violations(check, binding, context)
    columns = [exp.column(name, table="f", quoted=True) for name in binding.columns.values()]
    return select.select(*columns).order_by(*[c.copy() for c in from_cols]).limit(limit)

"""What rule modules share: the binding of a schema object to a table, outcomes and SQL helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlglot import exp

    from quanta.checks.plan import Check
    from quanta.engine.types import ColumnType


class MissingColumn(LookupError):
    """A check refers to a property whose column is not in the data."""


@dataclass(slots=True)
class Binding:
    """A schema object bound to a table of the engine.

    Attributes:
        object: the schema object's ``name``.
        source: the table the engine reads: a quoted sqlglot table, or its name (``"flights"``, or a
            tuple of parts such as ``("public", "flights")``) from which :attr:`table` is built when first
            needed, so a run whose SQL comes from the plan cache never imports sqlglot.
        columns: property ``name`` -> actual column name (only properties found in the data).
        types: actual column name -> its :class:`~quanta.engine.types.ColumnType`, in table order (Arrow
            types given here are converted).
        dialect: the sqlglot dialect of the engine.
        properties: property ``name`` -> the property's contract mapping (for types, redaction).
    """

    object: str
    source: Any
    columns: dict[str, str]
    types: dict[str, ColumnType]
    dialect: str
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    _table: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        from quanta.engine.types import column_type

        self.types = {name: column_type(kind) for name, kind in self.types.items()}

    @property
    def table(self) -> exp.Table:
        """The quoted sqlglot table of :attr:`source`."""
        if self._table is None:
            if isinstance(self.source, str | tuple):
                from quanta.engine.base import table_expression

                self._table = table_expression(self.source)
            else:
                self._table = self.source
        return self._table

    def column(self, prop: str | None) -> exp.Expression:
        """Return the quoted column of property ``prop``, or the struct field of a nested property.

        A nested property of an ``object`` property is named by its dotted path (``route.origin``) and
        read as a struct field, ``("route")."origin"`` (DuckDB and PostgreSQL read it alike).

        Raises:
            MissingColumn: the property has no column (or struct field) in the data.

        Example:
            >>> from quanta.engine.types import ColumnType
            >>> route = ColumnType("STRUCT", "struct", fields=(("origin", ColumnType("VARCHAR", "string")),))
            >>> binding = Binding("f", "f", {"route": "route"}, {"route": route}, "duckdb")
            >>> binding.column("route.origin").sql("duckdb"), str(binding.column_type("route.origin"))
            ('("route")."origin"', 'VARCHAR')
        """
        from sqlglot import exp

        if prop is not None and prop in self.columns:
            return exp.column(self.columns[prop], quoted=True)
        if prop is None or self.column_type(prop) is None:
            raise MissingColumn(prop)
        top, *path = prop.split(".")
        expression: exp.Expression = exp.column(self.columns[top], quoted=True)
        for name in path:
            expression = exp.Dot(this=exp.paren(expression), expression=exp.to_identifier(name, quoted=True))
        return expression

    def column_type(self, prop: str) -> ColumnType | None:
        """Return the type of property ``prop``'s column (or nested struct field, by dotted path), or
        ``None`` when it is missing."""
        name = self.columns.get(prop)
        if name is not None:
            return self.types.get(name)
        top, *path = prop.split(".")
        current = self.types.get(self.columns.get(top, "")) if path else None
        for field_name in path:
            if current is None or current.family != "struct":
                return None
            current = next((kind for field, kind in current.fields if field == field_name), None)
        return current


@dataclass(slots=True)
class Outcome:
    """What evaluating one check found.

    Attributes:
        status: ``passed``, ``failed``, ``error``, ``skipped``, ``manual`` or ``not_evaluated``.
        value: the measured value in the threshold's unit (``None`` when not measured).
        reason: why the check did not pass, or what was measured, in words.
        details: extra facts (e.g. the actual type, the SLA's reference timestamp).
    """

    status: str
    value: Any = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def result_value(raw: Any, check: Check, source: str) -> Outcome | float | bool:
    """Turn the single result of a ``sql`` query or ``custom`` plug-in into the value its threshold compares.

    ODCS v3.1.0: a sql rule's "numeric or boolean result is compared with the operator". A boolean result
    with no operator passes when true. With a boolean operand (``mustBe: true``) the result must be a
    boolean or 0/1 and is compared as a boolean; with a numeric operand a boolean counts as 1/0.

    Args:
        raw: the result as returned (``None`` for NULL or no row).
        check: the ``sql`` or ``custom`` check.
        source: who returned it, for messages (``"the query"``, ``"the plug-in"``).

    Returns:
        The number or boolean to compare, or the final :class:`Outcome` when there is nothing to compare.

    Example:
        >>> from quanta.checks.plan import Check, Condition, RuleMeta, Threshold
        >>> check = Check("sql", "f", RuleMeta("r", "r", ""),
        ...               threshold=Threshold((Condition("mustBe", True),), ""))
        >>> result_value(1, check, "the query"), result_value(False, check, "the query")
        (True, False)
        >>> result_value(2, check, "the query").reason
        'the query returned 2; a boolean operand needs a boolean (or 0/1) result'
    """
    if raw is None:
        return Outcome("error", None, f"{source} returned NULL or no row")
    threshold = check.threshold
    boolean = threshold is not None and any(isinstance(c.value, bool) for c in threshold.conditions)
    if isinstance(raw, bool):
        if threshold is None:
            return Outcome("passed" if raw else "failed", raw, None if raw else f"{source} returned false")
        return raw if boolean else (1.0 if raw else 0.0)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return Outcome("error", None, f"{source} returned {raw!r}, which is neither a number nor a boolean")
    if threshold is None:
        return Outcome(
            "error", value, f"a {check.kind} rule with a numeric result needs an operator (e.g. mustBe: 0)"
        )
    if boolean:
        if value not in (0, 1):
            return Outcome(
                "error",
                value,
                f"{source} returned {raw!r}; a boolean operand needs a boolean (or 0/1) result",
            )
        return value == 1
    return value


def count_where(predicate: exp.Expression) -> exp.Expression:
    """``COUNT(*) FILTER (WHERE predicate)``: rows for which ``predicate`` is true (never NULL)."""
    from sqlglot import exp

    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=predicate))


def literal(value: Any) -> exp.Expression:
    """Return a SQL literal for a Python scalar (strings quoted and escaped by sqlglot)."""
    from sqlglot import exp

    return exp.convert(value)


def as_text(column: exp.Expression, column_type: ColumnType | None) -> exp.Expression:
    """Cast ``column`` to text unless it already is a string column."""
    from sqlglot import exp

    if column_type is not None and column_type.is_text:
        return column
    return exp.cast(column, exp.DataType.build("text"))


def regex_match(column: exp.Expression, pattern: str) -> exp.Expression:
    """True when ``pattern`` (ECMA-262 style, unanchored) matches somewhere in ``column``."""
    from sqlglot import exp

    return exp.RegexpLike(this=column, expression=exp.Literal.string(pattern))


def any_of(predicates: Iterable[exp.Expression]) -> exp.Expression:
    """OR of ``predicates`` (each wrapped in parentheses)."""
    from sqlglot import exp

    items = [exp.paren(p, copy=False) for p in predicates]
    return exp.or_(*items) if len(items) > 1 else items[0]


def check_params(check: Check, *names: str) -> tuple[Any, ...]:
    """Return ``check.params[name]`` for each name (``None`` when absent)."""
    return tuple(check.params.get(name) for name in names)


def example_binding(object: str = "flights", **types: str) -> Binding:
    """A DuckDB binding of table ``object`` whose columns have the given Arrow type names (for examples).

    Example:
        >>> example_binding(carrier="string").column("carrier").sql("duckdb")
        '"carrier"'
    """
    import pyarrow as pa

    from quanta.engine.base import table_expression

    arrow = {name: pa.type_for_alias(alias) for name, alias in types.items()}
    return Binding(object, table_expression(object), {name: name for name in types}, arrow, "duckdb")

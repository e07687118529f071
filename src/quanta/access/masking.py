"""Masking of sensitive properties and row filters, applied before data reaches a consumer's sandbox.

For each port a statement reads, :func:`prepare_port` runs one ``SELECT`` in its own sealed sandbox over
the published Delta snapshot: sensitive columns are replaced by their mask unless the agreement grants PII
access, the agreements' row filters become the ``WHERE`` clause, and only the result (Arrow) is handed to
the consumer's sandbox. The consumer's statement therefore never sees unmasked or filtered-out values,
whatever it does.

Masks (chosen per property by the ODCS custom property ``quantaMask``):

- ``hash``: ``sha256(salt || CAST(value AS VARCHAR))``, hex text; ``NULL`` stays ``NULL``. Equal values
  give equal hashes within a mesh, so masked keys still join and group. The salt comes from the
  environment variable ``QUANTA_MASKING_SALT`` (empty when unset).
- ``null``: the value is ``NULL`` (the column keeps its type).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quanta.access.catalog import PortInfo
from quanta.access.guard import QueryRefused

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

__all__ = ["SALT_ENV", "PreparedPort", "masked_columns", "prepare_port", "projection", "validate_row_filter"]

#: Environment variable holding the salt of hashed masks.
SALT_ENV = "QUANTA_MASKING_SALT"
RAW_RELATION = "__quanta_raw"


@dataclass(frozen=True, slots=True)
class PreparedPort:
    """A port's data as the consumer may see it.

    Attributes:
        data: the masked, filtered rows (Arrow).
        columns: the columns it holds.
        masked: the columns that were masked.
        row_filter: the ``WHERE`` condition applied, as DuckDB SQL, or ``None``.
    """

    data: pa.Table
    columns: tuple[str, ...]
    masked: tuple[str, ...]
    row_filter: str | None


def masked_columns(port: PortInfo, columns: Sequence[str], *, pii: bool) -> list[str]:
    """Return which of ``columns`` are masked for a consumer with (``pii=True``) or without PII access."""
    if pii:
        return []
    return [name for name in columns if (rule := port.column(name)) is not None and rule.sensitive]


def projection(
    port: PortInfo, columns: Sequence[str], *, pii: bool, salt: str | None = None
) -> list[exp.Expression]:
    """Build the select list that exposes ``columns`` of ``port`` with masks applied.

    Args:
        port: the port and its column rules.
        columns: the table's column names to expose, in order.
        pii: whether the consumer may see sensitive values.
        salt: salt of hashed masks; ``None`` reads :data:`SALT_ENV`.

    Returns:
        sqlglot expressions, each aliased to its column name.
    """
    from sqlglot import exp

    salt = os.environ.get(SALT_ENV, "") if salt is None else salt
    masked = set(masked_columns(port, columns, pii=pii))
    items: list[exp.Expression] = []
    for name in columns:
        column = exp.column(name, quoted=True)
        if name not in masked:
            items.append(column)
            continue
        rule = port.column(name)
        if rule is not None and rule.mask == "null":
            value: exp.Expression = exp.Case(ifs=[exp.If(this=exp.false(), true=column)])
        else:
            text = exp.DPipe(this=exp.Literal.string(salt), expression=exp.cast(column, "VARCHAR"), safe=True)
            value = exp.Anonymous(this="sha256", expressions=[text])
        items.append(exp.alias_(value, name, quoted=True))
    return items


def validate_row_filter(text: str, columns: Sequence[str]) -> exp.Expression:
    """Parse an agreement's row filter and check it is a plain condition over the port's columns.

    Args:
        text: a DuckDB boolean expression, e.g. ``"origin = 'JFK' AND year = 2013"``.
        columns: the port's column names.

    Returns:
        The parsed condition.

    Raises:
        QueryRefused: the filter does not parse, contains a subquery, a table, a refused function, or a
            column the port does not have.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from quanta.access.guard import _check_nodes

    try:
        condition = sqlglot.condition(text, dialect="duckdb")
    except (ParseError, TokenError) as error:
        raise QueryRefused(
            f"the row filter {text!r} is not a valid condition: {str(error).splitlines()[0]}"
        ) from None
    if any(isinstance(node, exp.Query | exp.Table | exp.Subquery) for node in condition.walk()):
        raise QueryRefused(f"the row filter {text!r} may only compare the port's columns with values")
    _check_nodes(condition)
    known = {name.lower() for name in columns}
    for column in condition.find_all(exp.Column):
        if column.table or column.name.lower() not in known:
            raise QueryRefused(
                f"the row filter {text!r} names {column.sql()!r}, which is not a column of the port "
                f"(columns: {', '.join(columns)})"
            )
    return condition


def prepare_port(
    port: PortInfo,
    dataset: object,
    *,
    columns: Sequence[str] | None,
    pii: bool,
    row_filters: Sequence[str] | None = None,
    salt: str | None = None,
) -> PreparedPort:
    """Mask and filter one port's snapshot in a sealed sandbox and return the result as Arrow.

    Args:
        port: the port and its column rules.
        dataset: the snapshot (a ``pyarrow.dataset.Dataset`` or ``Table``) read by the caller.
        columns: the columns to expose (a subset of the snapshot's); ``None`` means all.
        pii: whether the consumer may see sensitive values.
        row_filters: conditions from the agreements that grant access; rows matching any of them are
            kept (``None`` or an empty list keeps every row).
        salt: salt of hashed masks; ``None`` reads :data:`SALT_ENV`.

    Returns:
        The prepared data.

    Raises:
        QueryRefused: a row filter is invalid.
    """
    from sqlglot import exp

    from quanta.engine.sandbox import SandboxedConnection

    available = list(dataset.schema.names)  # type: ignore[attr-defined]
    if columns is None:
        wanted = available
    else:
        chosen = set(columns)
        # A statement that names no column (count(*)) still needs the rows: keep one (masked) column.
        wanted = [name for name in available if name in chosen] or available[:1]
    select = exp.select(*projection(port, wanted, pii=pii, salt=salt)).from_(
        exp.Table(this=exp.to_identifier(RAW_RELATION, quoted=True))
    )
    where: str | None = None
    if row_filters:
        conditions = [validate_row_filter(text, available) for text in row_filters]
        combined = (
            exp.or_(*[exp.paren(condition) for condition in conditions])
            if len(conditions) > 1
            else conditions[0]
        )
        select = select.where(combined)
        where = combined.sql(dialect="duckdb")
    with SandboxedConnection() as box:
        box.register(RAW_RELATION, dataset)
        box.seal()
        data = box.query(select.sql(dialect="duckdb"))
    return PreparedPort(data, tuple(wanted), tuple(masked_columns(port, wanted, pii=pii)), where)

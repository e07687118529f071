"""Type families shared by the schema-conformance rules: ``logicalType`` and SQL type names to families.

The families of actual columns come from the engine (:class:`quanta.engine.types.ColumnType`).
"""

from __future__ import annotations

#: ODCS ``logicalType`` -> the families of actual column types it accepts. ``date`` also accepts
#: timestamps, because ODCS v3.0 had no ``timestamp`` logical type and contracts used ``date`` for both.
LOGICAL_FAMILIES: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "integer": frozenset({"integer"}),
    "number": frozenset({"integer", "float", "decimal"}),
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date", "timestamp"}),
    "timestamp": frozenset({"timestamp"}),
    "time": frozenset({"time"}),
    "object": frozenset({"struct", "map"}),
    "array": frozenset({"list"}),
}


def sql_family(physical_type: str, dialect: str) -> str | None:
    """The family of a SQL type name such as ``varchar(2)`` or ``BIGINT`` (``None`` if unparseable)."""
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        data_type = exp.DataType.build(physical_type, dialect=dialect)
    except (ParseError, ValueError):
        return None
    kind = data_type.this
    T = exp.DataType.Type
    if kind in exp.DataType.INTEGER_TYPES:
        return "integer"
    if kind in exp.DataType.REAL_TYPES:
        return "decimal" if kind in (T.DECIMAL, T.BIGDECIMAL, T.MONEY, T.SMALLMONEY) else "float"
    if kind in exp.DataType.TEXT_TYPES or kind in (T.UUID, T.JSON, T.JSONB, T.ENUM):
        return "string"
    if kind == T.BOOLEAN:
        return "boolean"
    if kind in (T.DATE, T.DATE32):
        return "date"
    if kind in exp.DataType.TEMPORAL_TYPES and kind not in (T.TIME, T.TIMETZ):
        return "timestamp"
    if kind in (T.TIME, T.TIMETZ):
        return "time"
    if kind in (T.BINARY, T.VARBINARY, T.BLOB):
        return "binary"
    if kind in (T.STRUCT, T.OBJECT):
        return "struct"
    if kind == T.MAP:
        return "map"
    if kind == T.ARRAY:
        return "list"
    return None

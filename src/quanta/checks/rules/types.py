"""Type families shared by the schema-conformance rules: Arrow types and SQL type names to families."""

from __future__ import annotations

from typing import Any

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


def arrow_family(type_: Any) -> str:
    """The family of an Arrow type (``integer``, ``float``, ``decimal``, ``string``, ``timestamp`` ...)."""
    import pyarrow as pa

    checks = (
        ("boolean", pa.types.is_boolean),
        ("integer", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("decimal", pa.types.is_decimal),
        (
            "string",
            lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t),
        ),
        (
            "binary",
            lambda t: (
                pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
            ),
        ),
        ("timestamp", pa.types.is_timestamp),
        ("date", pa.types.is_date),
        ("time", pa.types.is_time),
        ("struct", pa.types.is_struct),
        ("map", pa.types.is_map),
        (
            "list",
            lambda t: pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t),
        ),
        ("interval", lambda t: pa.types.is_duration(t) or pa.types.is_interval(t)),
        ("null", pa.types.is_null),
    )
    for family, test in checks:
        if test(type_):
            return family
    return str(type_)


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


def nested_type(top: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path`` (struct field names; arrays are stepped through) from Arrow type ``top``."""
    import pyarrow as pa

    current = top
    for name in path:
        while pa.types.is_list(current) or pa.types.is_large_list(current):
            current = current.value_type
        if not pa.types.is_struct(current):
            return None
        index = current.get_field_index(name)
        if index < 0:
            return None
        current = current.field(index).type
    return current

"""Engine-neutral column types: what the checks layer knows about a column without Arrow.

Every engine describes a table's columns as :class:`ColumnType` values: the engine's own spelling of
the type (shown in reports, e.g. ``BIGINT`` on DuckDB, ``int64`` where the type comes from Arrow), its
*family* (``integer``, ``float``, ``decimal``, ``string``, ``binary``, ``boolean``, ``date``, ``time``,
``timestamp``, ``interval``, ``struct``, ``map``, ``list``, ``null``), whether a timestamp carries a time
zone, and the fields of a struct or the element of a list. Schema conformance compares families, never
engine type names, so the same contract gives the same verdicts on every engine.

DuckDB types are read from the bound relation (:func:`from_duckdb`), which needs neither pyarrow nor
running the query; engines that exchange data as Arrow convert Arrow types (:func:`from_arrow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Families whose values are points or spans in time.
TEMPORAL_FAMILIES = frozenset({"date", "time", "timestamp", "interval"})

#: DuckDB type ids (``DuckDBPyType.id``) -> family; nested types are handled apart.
_DUCKDB_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "tinyint",
            "smallint",
            "integer",
            "bigint",
            "hugeint",
            "utinyint",
            "usmallint",
            "uinteger",
            "ubigint",
            "uhugeint",
        ),
        "integer",
    ),
    "float": "float",
    "double": "float",
    "decimal": "decimal",
    "varchar": "string",
    "uuid": "string",
    "json": "string",
    "enum": "string",
    "blob": "binary",
    "bit": "binary",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "time with time zone": "time",
    "time_ns": "time",
    "timestamp": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp",
    "timestamp with time zone": "timestamp",
    "interval": "interval",
    "null": "null",
    '"null"': "null",
}


@dataclass(frozen=True, slots=True)
class ColumnType:
    """The type of one column (or nested field), engine-neutral.

    Attributes:
        name: the engine's own spelling of the type, for reports (``BIGINT``, ``timestamp[us]``).
        family: the type family schema conformance compares (see the module docstring); an engine type
            that fits no family keeps its own name here.
        tz: for timestamps, whether values carry a time zone.
        fields: for structs, ``(field name, type)`` in order.
        element: for lists, the type of the elements.
    """

    name: str
    family: str
    tz: bool = False
    fields: tuple[tuple[str, ColumnType], ...] = ()
    element: ColumnType | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def is_text(self) -> bool:
        """Whether values are character strings (no cast needed to match patterns or lengths)."""
        return self.family == "string"

    @property
    def is_temporal(self) -> bool:
        """Whether values are dates, times, timestamps or intervals."""
        return self.family in TEMPORAL_FAMILIES

    def field(self, name: str) -> ColumnType | None:
        """The type of struct field ``name`` (stepping through lists of structs), or ``None``."""
        current: ColumnType | None = self
        while current is not None and current.family == "list":
            current = current.element
        if current is None or current.family != "struct":
            return None
        return next((kind for field, kind in current.fields if field == name), None)

    def key(self) -> str:
        """A text that changes whenever anything a compiled check depends on changes (for caches)."""
        return f"{self.name}|{self.family}|{int(self.tz)}"


def from_duckdb(type_: Any) -> ColumnType:
    """Convert a ``duckdb.DuckDBPyType`` (as found in ``relation.types``) to a :class:`ColumnType`.

    Example:
        >>> import duckdb
        >>> from_duckdb(duckdb.sql("SELECT 1::BIGINT AS n").types[0])
        ColumnType(name='BIGINT', family='integer', tz=False, fields=(), element=None)
    """
    kind = str(type_.id).lower()
    name = str(type_)
    if kind == "struct":
        return ColumnType(name, "struct", fields=tuple((n, from_duckdb(t)) for n, t in type_.children))
    if kind in ("list", "array"):
        return ColumnType(name, "list", element=from_duckdb(type_.child))
    if kind == "map":
        return ColumnType(name, "map")
    family = _DUCKDB_FAMILIES.get(kind, name)
    return ColumnType(name, family, tz=kind == "timestamp with time zone")


def from_arrow(type_: Any) -> ColumnType:
    """Convert a ``pyarrow.DataType`` to a :class:`ColumnType` (its name is Arrow's, e.g. ``int64``).

    Example:
        >>> import pyarrow as pa
        >>> from_arrow(pa.timestamp("us", tz="UTC")).family
        'timestamp'
    """
    import pyarrow as pa

    name = str(type_)
    if pa.types.is_struct(type_):
        fields = tuple(
            (type_.field(i).name, from_arrow(type_.field(i).type)) for i in range(type_.num_fields)
        )
        return ColumnType(name, "struct", fields=fields)
    if pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        return ColumnType(name, "list", element=from_arrow(type_.value_type))
    return ColumnType(name, _arrow_family(type_), tz=pa.types.is_timestamp(type_) and bool(type_.tz))


def _arrow_family(type_: Any) -> str:
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
        ("map", pa.types.is_map),
        ("interval", lambda t: pa.types.is_duration(t) or pa.types.is_interval(t)),
        ("null", pa.types.is_null),
    )
    for family, test in checks:
        if test(type_):
            return family
    return str(type_)


def column_type(value: Any) -> ColumnType:
    """``value`` as a :class:`ColumnType`: returned as is, or converted from an Arrow type."""
    return value if isinstance(value, ColumnType) else from_arrow(value)

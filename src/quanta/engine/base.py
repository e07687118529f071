"""The :class:`Engine` protocol every engine adapter implements, and the lazy engine registry.

An engine is deliberately small: its SQL ``dialect`` (a sqlglot dialect name), ``register`` a source
under a table name, ``query`` returning Arrow record batches, ``rows`` returning a small result as
Python values, ``describe`` giving a table's columns as engine-neutral
:class:`~quanta.engine.types.ColumnType` values, ``execute`` for statements without results, and
``close``. What an engine can do is declared by class constants (``CAN_REGISTER``, ``PUSHES_DOWN``),
never discovered by trial. ``rows`` and ``describe`` let the checks layer work without pyarrow on
engines that do not exchange data as Arrow (DuckDB); :func:`arrow_rows` and :func:`arrow_describe`
implement them for engines that do.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from quanta.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from sqlglot import exp

    from quanta.engine.types import ColumnType

#: Built-in engines: name -> "module:Class" (imported only when asked for).
ENGINES: dict[str, str] = {
    "duckdb": "quanta.engine.duckdb:DuckDBEngine",
    "postgresql": "quanta.engine.postgres:PostgresEngine",
    "postgres": "quanta.engine.postgres:PostgresEngine",
    "spark": "quanta.engine.spark:SparkEngine",
}

#: Entry-point group through which other packages add engines (value: "module:Class").
ENTRY_POINT_GROUP = "quanta.engines"


@runtime_checkable
class Engine(Protocol):
    """What the checks layer needs from a SQL engine.

    Attributes:
        dialect: the sqlglot dialect SQL is rendered in for this engine (``"duckdb"``, ``"postgres"``,
            ``"spark"``).
        CAN_REGISTER: whether :meth:`register` accepts files and Arrow data (False for engines that only
            see tables already stored in them, such as PostgreSQL).
        PUSHES_DOWN: whether queries run inside the remote system where the data lives.
    """

    dialect: str
    CAN_REGISTER: ClassVar[bool]
    PUSHES_DOWN: ClassVar[bool]

    def register(self, name: str, source: Any, **options: Any) -> None:
        """Make ``source`` (a path, an Arrow table/dataset/reader, a relation) queryable as ``name``."""

    def query(self, sql: str) -> pa.RecordBatchReader:
        """Run one query and stream its result as Arrow record batches."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run one query whose result is small (aggregates, samples) and return its rows as dicts."""

    def describe(self, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
        """The columns of ``table`` (named as for :func:`table_expression`), in order, with their types."""

    def execute(self, sql: str) -> None:
        """Run one statement whose result is not needed."""

    def close(self) -> None:
        """Release the connection and any temporary files."""


def get_engine(name: str, **settings: Any) -> Engine:
    """Create an engine by name.

    Args:
        name: ``duckdb``, ``postgresql`` or a name registered in the ``quanta.engines`` entry-point group.
        **settings: keyword arguments passed to the engine's constructor (e.g. ``memory_limit="2GB"``).

    Returns:
        A new engine instance.

    Raises:
        UsageError: no engine of that name is known.
    """
    target = ENGINES.get(name)
    if target is None:
        from importlib.metadata import entry_points

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if entry.name == name:
                return entry.load()(**settings)
        known = ", ".join(sorted(ENGINES))
        raise UsageError(f"unknown engine {name!r}; use one of {known} or install a plug-in for it")
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)(**settings)


def table_expression(name: str | tuple[str, ...]) -> exp.Table:
    """Return a quoted sqlglot table for ``name``.

    A string is split on dots (``"sales.orders"`` is table ``orders`` in schema ``sales``); a tuple gives
    the parts explicitly, for names that contain dots.

    Example:
        >>> table_expression("sales.orders").sql("duckdb")
        '"sales"."orders"'
    """
    from sqlglot import exp

    parts = list(name) if isinstance(name, tuple) else name.split(".")
    identifiers = [exp.to_identifier(part, quoted=True) for part in parts]
    table = identifiers[-1]
    db = identifiers[-2] if len(identifiers) > 1 else None
    catalog = identifiers[-3] if len(identifiers) > 2 else None
    return exp.Table(this=table, db=db, catalog=catalog)


def arrow_rows(engine: Any, sql: str) -> list[dict[str, Any]]:
    """:meth:`Engine.rows` for engines whose :meth:`~Engine.query` is the only way to read results."""
    return engine.query(sql).read_all().to_pylist()


def arrow_describe(engine: Any, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
    """:meth:`Engine.describe` through a zero-row Arrow query (for engines that exchange data as Arrow)."""
    from sqlglot import exp

    from quanta.engine.types import from_arrow

    select = exp.select("*").from_(table_expression(table)).limit(0)
    reader = engine.query(select.sql(engine.dialect))
    schema = reader.schema
    reader.read_all()
    return {field.name: from_arrow(field.type) for field in schema}


def engine_rows(engine: Any, sql: str) -> list[dict[str, Any]]:
    """``engine.rows(sql)``, or :func:`arrow_rows` for a plug-in engine written before ``rows`` existed."""
    rows = getattr(engine, "rows", None)
    return rows(sql) if rows is not None else arrow_rows(engine, sql)


def engine_describe(engine: Any, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
    """``engine.describe(table)``, or :func:`arrow_describe` for a plug-in engine without ``describe``."""
    describe = getattr(engine, "describe", None)
    return describe(table) if describe is not None else arrow_describe(engine, table)


#: File formats the engines read, by file-name suffix.
FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".duckdb": "duckdb",
    ".db": "duckdb",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}


def guess_format(path: str | Path) -> str:
    """Return the format of a data location: ``delta`` for a folder holding ``_delta_log``, else by suffix.

    Args:
        path: a file, a glob or a folder (local; object-store URIs are judged by suffix only).

    Raises:
        UsageError: the format cannot be told from the path.
    """
    candidate = Path(str(path).split("*")[0])
    if (candidate / "_delta_log").is_dir():
        return "delta"
    suffix = Path(str(path)).suffix.lower()
    if suffix in FORMATS_BY_SUFFIX:
        return FORMATS_BY_SUFFIX[suffix]
    raise UsageError(f"cannot tell the format of {path}; give it explicitly (csv, parquet, json, delta)")

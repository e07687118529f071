"""The sandboxed DuckDB connection that runs a consumer's SQL: the second of the two locks.

The first lock is the query guard (:mod:`quanta.access.guard`), which parses every statement and refuses
anything that is not a read of authorised ports. This module is the second: a DuckDB connection that can
read nothing but the Arrow data registered into it *before* it is sealed. Once sealed,

- ``enable_external_access = false``: no file system and no network (``read_csv``, ``COPY ... TO``,
  ``ATTACH``, ``INSTALL``, ``glob`` all fail with a permission error);
- ``autoload_known_extensions = false`` and ``autoinstall_known_extensions = false``: no extension is
  fetched or loaded behind the statement's back;
- ``python_enable_replacements = false``: a table name cannot reach a Python variable of the caller;
- ``lock_configuration = true``: no ``SET``/``RESET`` can undo any of the above;
- ``memory_limit`` and ``threads`` bound what one statement may use.

So a statement that slips past the parser still cannot read files or reach the network, and it can only
see the (already masked and filtered) port data the caller chose to register.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["SandboxError", "SandboxLimits", "SandboxSession", "SandboxedConnection"]


class SandboxError(QuantaError):
    """A statement failed inside the sandbox (refused by DuckDB's own locks, or invalid SQL)."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits of one sandboxed connection.

    Args:
        memory_limit: DuckDB ``memory_limit`` (e.g. ``"512MB"``); the sandbox never spills to disk.
        threads: DuckDB ``threads`` (worker threads for one statement).
    """

    memory_limit: str = "512MB"
    threads: int = 2


#: The settings applied when the connection is opened (they cannot be changed afterwards once sealed).
_OPEN_CONFIG: dict[str, Any] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "python_enable_replacements": False,
}


class SandboxedConnection:
    """An in-memory DuckDB connection that sees only the Arrow tables registered before :meth:`seal`.

    Typical use::

        with SandboxedConnection() as box:
            box.register("t0", arrow_table)   # data prepared (masked, filtered) by the caller
            box.seal()                         # from here on: no files, no network, config locked
            result = box.query("SELECT count(*) FROM t0")

    Args:
        limits: memory and thread limits.

    Raises:
        SandboxError: DuckDB refused the configuration (should not happen with a supported DuckDB).
    """

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        import duckdb

        self.limits = limits or SandboxLimits()
        config = dict(_OPEN_CONFIG)
        config["memory_limit"] = self.limits.memory_limit
        config["threads"] = int(self.limits.threads)
        try:
            self._connection: duckdb.DuckDBPyConnection = duckdb.connect(":memory:", config=config)
        except duckdb.Error as error:  # pragma: no cover - depends on the DuckDB build
            raise SandboxError(f"cannot open the sandboxed DuckDB connection: {error}") from error
        self._sealed = False
        self._names: list[str] = []

    @property
    def sealed(self) -> bool:
        """Whether :meth:`seal` has run (no more data can be registered)."""
        return self._sealed

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the relations registered so far, in order."""
        return tuple(self._names)

    def register(self, name: str, data: pa.Table | pa.RecordBatchReader | Any) -> None:
        """Make an Arrow table (or dataset, or record batch reader) visible under ``name``.

        Args:
            name: the relation name statements use (a plain identifier chosen by the caller).
            data: a ``pyarrow.Table``, ``pyarrow.dataset.Dataset`` or ``RecordBatchReader``; it is read
                by pyarrow in this process, never by DuckDB's file system.

        Raises:
            SandboxError: the connection is already sealed.
        """
        if self._sealed:
            raise SandboxError("the sandbox is sealed: register every relation before seal()")
        self._connection.register(name, data)
        self._names.append(name)

    def seal(self) -> None:
        """Disable every external access and lock the configuration; idempotent."""
        if self._sealed:
            return
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")
        self._sealed = True

    def setting(self, name: str) -> str:
        """Return the current value of a DuckDB setting as text (for checks and diagnostics)."""
        row = self._connection.execute("SELECT current_setting(?)", [name]).fetchone()
        return "" if row is None else str(row[0])

    def query(self, sql: str) -> pa.Table:
        """Run one statement in the sealed connection and return its result as an Arrow table.

        Args:
            sql: the statement, normally already checked and rewritten by the query guard.

        Returns:
            The result rows (an empty table for a statement that returns none).

        Raises:
            SandboxError: the connection is not sealed yet, or DuckDB refused or failed the statement
                (e.g. ``Permission Error: ... file system operations are disabled``).
        """
        import duckdb
        import pyarrow as pa

        if not self._sealed:
            raise SandboxError("seal() the sandbox before running a statement in it")
        try:
            relation = self._connection.sql(sql)
            if relation is None:
                return pa.table({})
            return relation.to_arrow_table()
        except duckdb.Error as error:
            raise SandboxError(f"the statement failed in the sandbox: {error}") from error

    def stream(self, sql: str, batch_rows: int) -> pa.RecordBatchReader:
        """Run one statement in the sealed connection and return its result as a stream of record batches.

        DuckDB produces the rows as the reader is consumed (a streaming result), so memory stays bounded
        by a few batches; the connection must stay open until the reader is exhausted or dropped.

        Args:
            sql: the statement (one query).
            batch_rows: rows per record batch.

        Raises:
            SandboxError: the connection is not sealed yet, or DuckDB refused or failed to bind the
                statement (errors while rows are produced surface from the reader).
        """
        if not self._sealed:
            raise SandboxError("seal() the sandbox before running a statement in it")
        return _stream(self._connection, sql, batch_rows)

    def session(self, relations: Mapping[str, Any]) -> SandboxSession:
        """Open a new connection to this sealed database in which only ``relations`` are visible.

        Relations registered in a session are that session's own (DuckDB keeps them per connection), so
        several sessions can run side by side, each over its own data; the database's seal (no external
        access, locked configuration, limits) applies to every session.

        Args:
            relations: relation name → Arrow table, dataset or record batch reader.

        Raises:
            SandboxError: the sandbox is not sealed yet.
        """
        if not self._sealed:
            raise SandboxError("seal() the sandbox before opening sessions on it")
        cursor = self._connection.cursor()
        for name, data in relations.items():
            cursor.register(name, data)
        return SandboxSession(cursor)

    def close(self) -> None:
        """Close the connection and drop every registered relation."""
        self._connection.close()

    def __enter__(self) -> SandboxedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SandboxSession:
    """A connection to a sealed sandbox database with its own registered relations.

    Obtained from :meth:`SandboxedConnection.session`; close it when its streams are done.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def schema(self, sql: str) -> pa.Schema:
        """Return the Arrow schema of the result of ``sql`` (bound, not run).

        Raises:
            SandboxError: the statement does not bind.
        """
        return _stream(self._connection, sql, 1, limit=0).schema

    def stream(self, sql: str, batch_rows: int) -> pa.RecordBatchReader:
        """Run ``sql`` and return its rows as a stream of record batches (see :meth:`SandboxedConnection.stream`).

        Raises:
            SandboxError: DuckDB refused or failed to bind the statement.
        """
        return _stream(self._connection, sql, batch_rows)

    def close(self) -> None:
        """Close the session (a stream still being read ends)."""
        self._connection.close()


def _stream(
    connection: duckdb.DuckDBPyConnection, sql: str, batch_rows: int, *, limit: int | None = None
) -> pa.RecordBatchReader:
    import duckdb

    try:
        relation = connection.sql(sql)
        if limit is not None:
            relation = relation.limit(limit)
        return relation.to_arrow_reader(batch_rows)
    except duckdb.Error as error:
        raise SandboxError(f"the statement failed in the sandbox: {error}") from error

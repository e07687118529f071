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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["SandboxError", "SandboxLimits", "SandboxedConnection"]


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

    def close(self) -> None:
        """Close the connection and drop every registered relation."""
        self._connection.close()

    def __enter__(self) -> SandboxedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""DuckDB for a build: one in-memory database per worker thread, one fresh connection per product.

Opening a DuckDB database costs about 0.1 s (it loads its built-in extensions); opening a connection to an
open database costs microseconds. A build therefore keeps one database per worker thread and gives each
product its own connection to it, with the product's engine (:class:`quanta.engine.DuckDBEngine`) on top.
Objects registered on a connection disappear with it; when a product ends, the views and tables it
created in the database and the databases it attached are dropped, so the next product on that thread
starts from an empty catalog. Products never share a database at the same time.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any


class EnginePool:
    """The DuckDB databases of one build.

    Args:
        temp_directory: where DuckDB spills when a product exceeds ``memory_limit``.
        memory_limit: DuckDB's memory limit per database (e.g. ``"2GB"``); DuckDB's default when ``None``.
    """

    def __init__(self, temp_directory: Path, memory_limit: str | None = None) -> None:
        self.temp_directory = temp_directory
        self.memory_limit = memory_limit
        self._local = threading.local()
        self._databases: list[Any] = []
        self._lock = threading.Lock()

    def _database(self) -> Any:
        database = getattr(self._local, "database", None)
        if database is None:
            import duckdb

            self.temp_directory.mkdir(parents=True, exist_ok=True)
            config: dict[str, Any] = {"temp_directory": str(self.temp_directory)}
            if self.memory_limit:
                config["memory_limit"] = str(self.memory_limit)
            database = duckdb.connect(":memory:", config=config)
            self._local.database = database
            with self._lock:
                self._databases.append(database)
        return database

    def acquire(self) -> Any:
        """Return a new engine on a fresh connection to this thread's database."""
        from quanta.engine import DuckDBEngine

        connection = self._database().cursor()
        connection.execute("SET enable_progress_bar = false")  # the build draws its own progress
        return DuckDBEngine(connection=connection)

    def release(self, engine: Any) -> None:
        """Drop what the product created in the database and close its connection."""
        from sqlglot import exp

        connection = engine.connection
        try:
            statements = []
            for kind, query in (
                (
                    "VIEW",
                    "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary",
                ),
                ("TABLE", "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"),
            ):
                for schema, name in connection.execute(query).fetchall():
                    table = exp.Table(
                        this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True)
                    )
                    statements.append(exp.Drop(tables=[table], kind=kind, exists=True).sql("duckdb"))
            attached = connection.execute(
                "SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> 'memory'"
            ).fetchall()
            statements += [
                f"DETACH {exp.to_identifier(name, quoted=True).sql('duckdb')}" for (name,) in attached
            ]
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()

    def close(self) -> None:
        """Close every database of the build."""
        with self._lock:
            for database in self._databases:
                database.close()
            self._databases.clear()

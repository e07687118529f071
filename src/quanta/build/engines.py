"""The engines of a build: DuckDB per worker thread, and one Spark session when a product runs on Spark.

Each product runs on the engine its descriptor, its domain or ``mesh.yaml`` chooses
(:meth:`quanta.mesh.Workspace.engine_of`); the stages speak to it through the same small set of calls
(``register_file``, ``write_parquet``, ``table``, ``drop`` and the :class:`quanta.engine.Engine`
protocol), so no stage knows which engine it drives.

Opening a DuckDB database costs about 0.1 s (it loads its built-in extensions); opening a connection to an
open database costs microseconds. A build therefore keeps one database per worker thread and gives each
product its own connection to it, with the product's engine (:class:`quanta.engine.DuckDBEngine`) on top.
Objects registered on a connection disappear with it; when a product ends, the views and tables it
created in the database and the databases it attached are dropped, so the next product on that thread
starts from an empty catalog. The engine lists what it created itself
(:meth:`quanta.engine.DuckDBEngine.created`), so the usual product is cleaned with one script; after SQL
the engine did not write (a Python transform) the catalog is scanned instead. Products never share a
database at the same time.

Spark is started only when the first product that runs on it asks for an engine: one session per build
(:class:`quanta.engine.spark.SparkEngine` with the ``spark:`` settings of ``mesh.yaml``), and an isolated
child session per product (its own temporary views, the same executors). A session that already runs in
the process (a notebook's, a test's) is reused and left running.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any


class EnginePool:
    """The engines of one build: DuckDB databases per thread, and Spark when a product needs it.

    Args:
        temp_directory: where DuckDB spills when a product exceeds ``memory_limit`` (Spark's local
            scratch space goes to its ``spark`` sub-folder).
        memory_limit: DuckDB's memory limit per database (e.g. ``"2GB"``); DuckDB's default when ``None``.
        spark: keyword arguments of :class:`quanta.engine.spark.SparkEngine` (``master``, ``remote``,
            ``conf``), from :meth:`quanta.mesh.config.SparkConfig.settings`.
    """

    def __init__(
        self, temp_directory: Path, memory_limit: str | None = None, spark: dict[str, Any] | None = None
    ) -> None:
        self.temp_directory = temp_directory
        self.memory_limit = memory_limit
        self.spark_settings = dict(spark or {})
        self._local = threading.local()
        self._databases: list[Any] = []
        self._lock = threading.Lock()
        self._spark: Any = None
        self._spark_error: Exception | None = None

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

    def acquire(self, kind: str = "duckdb") -> Any:
        """Return a new engine for one product.

        Args:
            kind: ``"duckdb"`` (a fresh connection to this thread's database) or ``"spark"`` (an isolated
                session of the build's Spark session, started on first use).

        Raises:
            ConnectionFailed: Spark is asked for but pyspark or Java is missing, or it cannot start.
        """
        if kind == "spark":
            return self._spark_session().isolated()
        from quanta.engine import DuckDBEngine

        connection = self._database().cursor()
        connection.execute("SET enable_progress_bar = false")  # the build draws its own progress
        return DuckDBEngine(connection=connection)

    def _spark_session(self) -> Any:
        """The build's Spark engine, started on first use; a failure to start is remembered, not retried."""
        with self._lock:
            if self._spark_error is not None:
                raise self._spark_error
            if self._spark is None:
                from quanta.engine.spark import SparkEngine
                from quanta.errors import QuantaError

                settings = dict(self.spark_settings)
                conf = {"spark.local.dir": str(self.temp_directory / "spark"), **(settings.pop("conf", {}))}
                try:
                    self._spark = SparkEngine(**settings, conf=conf, app_name="quanta build")
                except QuantaError as error:
                    self._spark_error = error
                    raise
            return self._spark

    def release(self, engine: Any) -> None:
        """Drop what the product created in its engine and close its connection (or child session)."""
        if engine.dialect == "spark":
            for view in engine.session.catalog.listTables():
                if view.isTemporary:
                    engine.drop(view.name)
            engine.close()  # releases a Spark Connect child session; a classic child stays with its context
            return
        from sqlglot import exp

        connection = engine.connection
        created = engine.created()
        try:
            if created is not None:  # everything the product made is known: no catalog scan (3-6 ms)
                connection.execute(";".join(_drops(created)) or "SELECT 1")
                return
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
        """Close every database of the build, and stop Spark if the build started it."""
        with self._lock:
            for database in self._databases:
                database.close()
            self._databases.clear()
            if self._spark is not None:
                self._spark.close()
                self._spark = None


def _drops(created: list[tuple[str, str]]) -> list[str]:
    """DROP and DETACH statements for tracked objects: views, then tables, then attached databases."""
    from sqlglot import exp

    from quanta.engine.base import table_expression

    order = {"VIEW": 0, "TABLE": 1, "DATABASE": 2}
    statements = []
    for kind, name in sorted(dict.fromkeys(created), key=lambda item: order[item[0]]):
        if kind == "DATABASE":
            statements.append(
                f"DETACH DATABASE IF EXISTS {exp.to_identifier(name, quoted=True).sql('duckdb')}"
            )
        else:
            statements.append(exp.Drop(tables=[table_expression(name)], kind=kind, exists=True).sql("duckdb"))
    return statements

"""The embedded DuckDB engine: bounded memory with spilling, local files, Delta tables, SQLite, Arrow.

DuckDB streams files (CSV, Parquet, JSON) and Arrow datasets without loading them into memory; with a
``memory_limit`` it spills large aggregates and hash tables to ``temp_directory``. Delta tables are read
through the ``deltalake`` package as an Arrow dataset (DuckDB extensions cannot be downloaded at run
time on every machine), SQLite tables are streamed into a DuckDB table in batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.engine.base import guess_format, table_expression
from quanta.errors import ConnectionFailed, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from quanta.engine.types import ColumnType


class DuckDBEngine:
    """DuckDB behind the :class:`quanta.engine.base.Engine` protocol.

    Args:
        database: ``":memory:"`` (default) or a DuckDB database file.
        read_only: open ``database`` read-only.
        memory_limit: DuckDB ``memory_limit`` such as ``"2GB"``; above it, operators spill to disk
            (default: ``$QUANTA_DUCKDB_MEMORY_LIMIT``, else DuckDB's 80 % of RAM).
        temp_directory: where spilled data goes (default: ``$QUANTA_DUCKDB_TEMP_DIRECTORY``, else
            DuckDB's own, next to the database or in ``.tmp``).
        threads: number of worker threads (default: ``$QUANTA_DUCKDB_THREADS``, else all cores; see
            :meth:`use_one_thread_if_small`).
        connection: an existing ``duckdb.DuckDBPyConnection`` to use instead of opening one (the engine
            does not close a connection it did not open).

    Example:
        >>> engine = DuckDBEngine(memory_limit="1GB")
        >>> engine.query("SELECT 42 AS answer").read_all().to_pylist()
        [{'answer': 42}]
        >>> engine.close()
    """

    dialect = "duckdb"
    CAN_REGISTER: ClassVar[bool] = True
    PUSHES_DOWN: ClassVar[bool] = False
    #: Local input files smaller than this together (bytes on disk) are read on one thread by
    #: :meth:`use_one_thread_if_small` (about half a million rows of flights as Parquet).
    SMALL_INPUT_BYTES: ClassVar[int] = 8 * 1024 * 1024

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
        threads: int | None = None,
        connection: Any = None,
    ) -> None:
        import duckdb

        self._owned = connection is None
        #: Bytes on disk of the local files registered so far; ``None`` once data of unknown size is.
        self._input_bytes: int | None = 0
        if connection is not None:
            self.connection = connection
            self._threads_chosen = True  # the caller's connection keeps its own settings
        else:
            import os

            memory_limit = memory_limit or os.environ.get("QUANTA_DUCKDB_MEMORY_LIMIT")
            temp_directory = temp_directory or os.environ.get("QUANTA_DUCKDB_TEMP_DIRECTORY")
            threads = threads or (
                int(os.environ["QUANTA_DUCKDB_THREADS"]) if os.environ.get("QUANTA_DUCKDB_THREADS") else None
            )
            self._threads_chosen = bool(threads)
            config: dict[str, Any] = {}
            if memory_limit:
                config["memory_limit"] = str(memory_limit)
            if temp_directory:
                config["temp_directory"] = str(temp_directory)
            if threads:
                config["threads"] = int(threads)
            try:
                self.connection = duckdb.connect(str(database), read_only=read_only, config=config)
            except duckdb.Error as error:
                raise ConnectionFailed(f"cannot open DuckDB database {database}: {error}") from error
        self._attached = 0
        # What this engine created that outlives a connection (views, tables, attached databases), so a
        # pooled database can be cleaned without scanning its catalog; None once unknown SQL ran.
        self._created: list[tuple[str, str]] | None = []

    # -- protocol -----------------------------------------------------------------------------------

    def register(self, name: str, source: Any, **options: Any) -> None:
        """Make ``source`` queryable as the view or table ``name``.

        Args:
            name: the table name queries use.
            source: a path (``str``/``Path``; the format comes from ``options["format"]`` or the suffix),
                a ``pyarrow`` Table, Dataset or RecordBatchReader, or a DuckDB relation of this engine's
                connection.
            **options: file options, see :meth:`register_file`.

        Raises:
            UsageError: the source type or format is not supported.
        """
        if isinstance(source, str | Path):
            self.register_file(name, source, **options)
            return
        self._input_bytes = None  # Arrow data or a relation: its size is not known here
        import duckdb

        if isinstance(source, duckdb.DuckDBPyRelation):
            try:
                self.connection.register(name, source)
            except duckdb.Error as error:
                raise UsageError(
                    f"cannot register relation {name!r}: {error}. Pass the engine that owns the relation "
                    "(DuckDBEngine(connection=...)) or an Arrow table instead"
                ) from error
            return
        if type(source).__module__.startswith("pyarrow"):
            self.connection.register(name, source)
            return
        raise UsageError(
            f"cannot register {type(source).__name__} as {name!r}: pass a file path, a pyarrow Table, "
            "Dataset or RecordBatchReader, or a DuckDB relation"
        )

    def query(self, sql: str) -> pa.RecordBatchReader:
        """Run ``sql`` and return its result as a stream of Arrow record batches.

        Queries run on the engine's connection itself (not a cursor), because Arrow data registered
        with :meth:`register` is visible to that connection only. Consume (or drop) one reader before
        starting the next query.
        """
        import pyarrow as pa

        relation = self.connection.sql(sql)
        if relation is None:  # a statement without a result
            return pa.RecordBatchReader.from_batches(pa.schema([]), [])
        return relation.to_arrow_reader()

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` (a small result: aggregates, a few sample rows) and return its rows as dicts.

        Values are DuckDB's own Python conversions (``fetchall``), with no Arrow round trip.
        """
        relation = self.connection.sql(sql)
        if relation is None:
            return []
        names = relation.columns
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]

    def describe(self, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
        """The columns of ``table`` (a view or table name, or its parts) and their types, in order.

        The relation is bound, not run. A plain name is passed to DuckDB's ``query_table`` as a parameter,
        so no SQL text is built for it; names with several parts go through :func:`table_expression`.
        """
        from quanta.engine.types import from_duckdb

        if isinstance(table, str) and "." not in table:
            relation = self.connection.sql("SELECT * FROM query_table($name) LIMIT 0", params={"name": table})
        else:
            from sqlglot import exp

            relation = self.connection.sql(
                exp.select("*").from_(table_expression(table)).limit(0).sql("duckdb")
            )
        return {name: from_duckdb(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}

    def execute(self, sql: str) -> None:
        """Run ``sql`` and discard its result (what it creates is no longer tracked, see :meth:`created`)."""
        self._created = None
        self.connection.execute(sql)

    def use_one_thread_if_small(self) -> bool:
        """Run the following queries on one thread when the data registered is small.

        Applies when the engine opened its own connection without a thread count (no ``threads``
        argument, no ``$QUANTA_DUCKDB_THREADS``) and everything registered so far is local CSV, Parquet
        or JSON files smaller than :attr:`SMALL_INPUT_BYTES` together. A scan that small takes about a
        tenth of a second on one core; DuckDB splits it by row group, so a second thread saves a few
        hundredths of a second of wall time at best on an idle machine and costs more CPU time than that
        (each thread builds its own hash tables for distinct counts, which are then merged), and on a
        busy machine it is slower in wall time too. ``quanta test`` calls it once the contract's objects
        are registered; the results are the same with any number of threads.

        Returns:
            Whether the thread count was set to one.
        """
        if self._threads_chosen or self._input_bytes is None or self._input_bytes >= self.SMALL_INPUT_BYTES:
            return False
        self.connection.execute("SET threads = 1")
        return True

    def _count_input(self, fmt: str, text: str) -> None:
        """Add the size of the local file(s) ``text`` to :attr:`_input_bytes` (unknown for other kinds)."""
        if self._input_bytes is None:
            return
        if fmt not in ("csv", "parquet", "json", "ndjson", "jsonl") or "://" in text:
            self._input_bytes = None
            return
        import glob

        paths = (
            [Path(p) for p in glob.glob(text, recursive=True)]
            if any(ch in text for ch in "*?[")
            else [Path(text)]
        )
        try:
            if any(path.is_dir() for path in paths):
                self._input_bytes = None
                return
            self._input_bytes += sum(path.stat().st_size for path in paths)
        except OSError:
            self._input_bytes = None

    def created(self) -> list[tuple[str, str]] | None:
        """The objects this engine created in the database, in creation order, when they are all known.

        Returns:
            ``(kind, name)`` pairs, kind ``"VIEW"``, ``"TABLE"`` or ``"DATABASE"`` (attached), or ``None``
            once SQL the engine did not write itself ran (:meth:`execute`, :meth:`lose_track`): the
            caller must then look in the catalog. Objects of :meth:`register` that live on the connection
            only (Arrow data) are not listed: they go with it.
        """
        return None if self._created is None else list(self._created)

    def lose_track(self) -> None:
        """Say that code outside this engine used its connection (a Python transform's ``connection``)."""
        self._created = None

    def _run(self, kind: str, name: str, sql: str) -> None:
        """Run a statement of this engine's own that creates ``name``, and remember it."""
        self.connection.execute(sql)
        self._note(kind, name)

    def _note(self, kind: str, name: str) -> None:
        if self._created is not None:
            self._created.append((kind, name))

    def close(self) -> None:
        """Close the connection if this engine opened it."""
        if self._owned:
            self.connection.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a build needs besides the protocol ------------------------------------------------------

    def table(self, name: str) -> Any:
        """Return the table or view ``name`` as a DuckDB relation (what Python transforms receive)."""
        return self.connection.table(name)

    def write_parquet(self, sql: str, target: str | Path) -> Path:
        """Run ``sql`` and write its result to the Parquet file ``target``, streaming.

        Returns:
            ``target`` (one file).

        Raises:
            UsageError: the query fails; the message is DuckDB's.
        """
        import duckdb

        try:
            self.connection.sql(sql).write_parquet(str(target))
        except duckdb.Error as error:
            raise UsageError(str(error)) from None
        return Path(target)

    def drop(self, name: str) -> None:
        """Drop what was registered as ``name`` (a view, or a table for streamed databases); no error if absent."""
        from sqlglot import exp

        found = self.connection.execute(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
        ).fetchall()
        self.connection.unregister(name)  # Arrow data and relations registered by register(); no-op else
        kind = "TABLE" if found else "VIEW"
        self.connection.execute(
            exp.Drop(tables=[table_expression(name)], kind=kind, exists=True).sql("duckdb")
        )

    # -- readers ------------------------------------------------------------------------------------

    def register_file(
        self,
        name: str,
        path: str | Path,
        *,
        format: str | None = None,
        null_value: str | None = None,
        delimiter: str | None = None,
        table: str | None = None,
        schema: str | None = None,
        version: int | None = None,
        storage_options: dict[str, str] | None = None,
    ) -> None:
        """Register a local file, folder or glob as ``name`` without loading it.

        Args:
            name: the table name queries use.
            path: file, glob (``data/*.parquet``) or folder (Delta tables).
            format: ``csv``, ``parquet``, ``json``, ``delta``, ``duckdb`` or ``sqlite``; default from the
                suffix (a folder holding ``_delta_log`` is Delta).
            null_value: CSV token that means null (e.g. ``"NA"``).
            delimiter: CSV field separator (default: detected).
            table: for ``duckdb``/``sqlite`` files, the table to read (default ``name``).
            schema: for ``duckdb`` files, the schema of ``table``.
            version: for ``delta`` tables, the committed version to read (default: the latest).
            storage_options: for ``delta`` tables on an object store (``s3://...``), delta-rs options.

        Raises:
            UsageError: unknown format, or the path does not exist.
        """
        import duckdb

        fmt = (format or guess_format(path)).lower()
        text = str(path)
        remote = fmt == "delta" and "://" in text and not text.startswith("file://")
        if not remote and not any(ch in text for ch in "*?[") and not Path(text).exists():
            raise UsageError(f"data file {text} does not exist; check the server path or --data")
        self._count_input(fmt, text)
        try:
            if fmt == "csv":
                kwargs: dict[str, Any] = {}
                if null_value is not None:
                    kwargs["na_values"] = null_value
                if delimiter:
                    kwargs["delimiter"] = delimiter
                self.connection.read_csv(text, **kwargs).create_view(name, replace=True)
                self._note("VIEW", name)
            elif fmt == "parquet":
                self.connection.read_parquet(text).create_view(name, replace=True)
                self._note("VIEW", name)
            elif fmt in ("json", "ndjson", "jsonl"):
                self.connection.read_json(text).create_view(name, replace=True)
                self._note("VIEW", name)
            elif fmt == "delta":
                self._register_delta(name, text, version, storage_options, remote)
            elif fmt == "duckdb":
                self._register_duckdb_file(name, text, table or name, schema)
            elif fmt == "sqlite":
                self._register_sqlite(name, text, table or name)
            else:
                raise UsageError(
                    f"unsupported format {fmt!r} for {text}; use csv, parquet, json, delta, duckdb or sqlite"
                )
        except duckdb.Error as error:
            raise UsageError(f"cannot read {text} as {fmt}: {error}") from error

    def _register_delta(
        self, name: str, uri: str, version: int | None, storage_options: dict[str, str] | None, remote: bool
    ) -> None:
        """Read one Delta version: its Parquet files with DuckDB's reader, else delta-rs's Arrow dataset.

        DuckDB's own Parquet scan of the version's files avoids importing ``pyarrow.dataset`` (which
        imports pandas when installed: 0.3-0.5 s a process) and pushes projections into the files; an
        object-store table (this engine has no network extension) or one whose files alone do not hold
        the version's rows (see :func:`quanta.engine.parquet_files.plain_delta_files`) goes through
        delta-rs.
        """
        from quanta.engine.parquet_files import NotPlainParquet, plain_delta_files

        if remote:
            from deltalake import DeltaTable

            table = DeltaTable(uri, version=version, storage_options=storage_options)
        else:
            try:
                files = plain_delta_files(uri, version, storage_options)
            except NotPlainParquet as error:
                table = error.table  # already open at that version
            else:
                self.connection.read_parquet(files).create_view(name, replace=True)
                self._note("VIEW", name)
                return
        self.connection.register(name, table.to_pyarrow_dataset())

    def _register_duckdb_file(self, name: str, path: str, table: str, schema: str | None) -> None:
        from sqlglot import exp

        self._attached += 1
        alias = f"quanta_src_{self._attached}"
        attach = exp.Attach(
            this=exp.alias_(exp.Literal.string(path), alias),
            exists=False,
            expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))],
        )
        self._run("DATABASE", alias, attach.sql("duckdb"))
        parts = (alias, schema or "main", table)
        self._create_view(name, exp.select("*").from_(table_expression(parts)))

    def _register_sqlite(self, name: str, path: str, table: str) -> None:
        """Stream a SQLite table into a DuckDB table in batches (memory bounded by the batch size)."""
        import sqlite3

        from sqlglot import exp

        uri = Path(path).resolve().as_uri() + "?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as error:
            raise ConnectionFailed(f"cannot open SQLite database {path}: {error}") from error
        try:
            select = exp.select("*").from_(table_expression(table)).sql("sqlite")
            try:
                cursor = connection.execute(select)
            except sqlite3.Error as error:
                raise UsageError(f"cannot read table {table!r} from {path}: {error}") from error
            reader = _sqlite_reader(cursor)
            staging = f"quanta_sqlite_{name}"
            self.connection.register(staging, reader)
            try:
                create = exp.Create(
                    this=table_expression(name),
                    kind="TABLE",
                    replace=True,
                    expression=exp.select("*").from_(table_expression(staging)),
                )
                self._run("TABLE", name, create.sql("duckdb"))
            finally:
                self.connection.unregister(staging)
        finally:
            connection.close()

    def _create_view(self, name: str, select: Any) -> None:
        from sqlglot import exp

        create = exp.Create(this=table_expression(name), kind="VIEW", replace=True, expression=select)
        self._run("VIEW", name, create.sql("duckdb"))


def _sqlite_reader(cursor: Any, batch_rows: int = 50_000) -> pa.RecordBatchReader:
    """Turn a SQLite cursor into an Arrow stream, typing columns from the first batch."""
    import pyarrow as pa

    names = [column[0] for column in cursor.description]
    first = cursor.fetchmany(batch_rows)
    first_batch = pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True)) for row in first])
    if first_batch.num_columns == 0:
        first_batch = pa.RecordBatch.from_arrays([pa.array([], pa.null()) for _ in names], names=names)
    schema = pa.schema(
        [
            field.with_type(pa.string()) if pa.types.is_null(field.type) else field
            for field in first_batch.schema
        ]
    )
    first_batch = first_batch.cast(schema)

    def batches():
        yield first_batch
        while rows := cursor.fetchmany(batch_rows):
            columns = list(zip(*rows, strict=True))
            yield pa.RecordBatch.from_arrays(
                [_typed(col, field.type) for col, field in zip(columns, schema, strict=True)], schema=schema
            )

    return pa.RecordBatchReader.from_batches(schema, batches())


def _typed(values: tuple[Any, ...], type_: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_string(type_):
        values = tuple(None if v is None else str(v) for v in values)
    return pa.array(values, type=type_)

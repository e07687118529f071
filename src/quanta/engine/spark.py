"""Apache Spark behind the :class:`quanta.engine.base.Engine` protocol, through pyspark.

When a domain's data outgrows one machine, the same contracts and SQL run on Spark: check plans are
rendered in the ``spark`` dialect by sqlglot, sources are read with Spark's own readers, and published
Delta tables are read through the file list that ``deltalake`` (delta-rs) gives for a committed version,
so no Spark package has to be downloaded at run time. Clusters that have ``delta-spark`` may read the
tables with it instead (see ``docs/scale-out.md``).

Settings come from ``mesh.yaml`` (``spark:`` block) or the environment:

- ``QUANTA_SPARK_MASTER`` (default ``local[2]``): a master URL such as ``local[4]``, ``yarn``,
  ``k8s://https://host:443`` or ``spark://host:7077``;
- ``QUANTA_SPARK_REMOTE`` or pyspark's ``SPARK_REMOTE``: a Spark Connect URL (``sc://host:15002``), used
  instead of ``master``;
- ``conf``: extra Spark configuration keys.

A build uses one session (:class:`SparkEngine`) and gives every product an isolated child session
(:meth:`SparkEngine.isolated`: its own temporary views and SQL settings, the same executors), so products
running in parallel never see each other's input names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.engine.base import guess_format
from quanta.errors import ConnectionFailed, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from quanta.engine.types import ColumnType

#: Spark configuration applied unless the caller overrides it: UTC session time (as DuckDB reports
#: timestamps), no web UI, loopback networking, few shuffle partitions for small meshes.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}

#: SQL settings every session of a build carries (also an isolated or a pre-existing one): what makes
#: Spark's staged Parquet read back like DuckDB's (UTC instants in microseconds, non-ANSI casts).
SESSION_CONF: dict[str, str] = {
    key: DEFAULT_CONF[key]
    for key in (
        "spark.sql.session.timeZone",
        "spark.sql.ansi.enabled",
        "spark.sql.parquet.outputTimestampType",
        "spark.sql.execution.arrow.pyspark.enabled",
    )
}


def spark_available(remote: bool = False) -> str | None:
    """Return ``None`` when Spark can be reached from this machine, else what is missing.

    Args:
        remote: ``True`` for a Spark Connect client, which needs pyspark's gRPC client packages but no
            Java; ``False`` for a session in this process, which needs a Java runtime.
    """
    import importlib.util
    import shutil

    install = "install the 'spark' extra: pip install 'quanta[spark]'"
    if importlib.util.find_spec("pyspark") is None:
        return f"pyspark ({install})"
    if remote:
        missing = [name for name in ("grpc", "google.protobuf") if importlib.util.find_spec(name) is None]
        return f"the Spark Connect client packages {', '.join(missing)} ({install})" if missing else None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "a Java 17 runtime (apt install openjdk-17-jre-headless)"
    return None


class SparkEngine:
    """A Spark session behind the engine protocol.

    Args:
        master: Spark master URL (default ``$QUANTA_SPARK_MASTER`` or ``local[2]``).
        remote: Spark Connect URL (``sc://...``; default ``$QUANTA_SPARK_REMOTE`` or ``$SPARK_REMOTE``);
            wins over ``master``.
        conf: extra Spark configuration, merged over :data:`DEFAULT_CONF`.
        session: an existing ``SparkSession`` to use (not stopped by :meth:`close`).
        app_name: the Spark application name.

    A session that already runs in the process (a notebook's, a test module's) is reused and not stopped
    by :meth:`close`; only a session this engine started is.

    Raises:
        ConnectionFailed: pyspark or Java is missing, or the session cannot start.
    """

    dialect = "spark"
    CAN_REGISTER: ClassVar[bool] = True
    PUSHES_DOWN: ClassVar[bool] = False

    def __init__(
        self,
        master: str | None = None,
        *,
        remote: str | None = None,
        conf: dict[str, Any] | None = None,
        session: Any = None,
        app_name: str = "quanta",
    ) -> None:
        self._owned = session is None
        self.remote = remote or os.environ.get("QUANTA_SPARK_REMOTE") or os.environ.get("SPARK_REMOTE")
        self._sql_conf = {k: str(v) for k, v in (conf or {}).items() if k.startswith("spark.sql.")}
        if session is not None:
            self.session = session
            return
        missing = spark_available(remote=bool(self.remote))
        if missing:
            raise ConnectionFailed(f"the Spark engine needs {missing}")
        import warnings

        from pyspark.sql import SparkSession

        # pyspark warns on every Arrow conversion that it is not yet tested with pandas 3; Quanta hands it
        # Arrow data, not pandas, so the warning says nothing about a build.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )

        builder = SparkSession.builder.appName(app_name)
        remote = self.remote
        if remote:
            builder = builder.remote(remote)
        else:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = builder.master(master or os.environ.get("QUANTA_SPARK_MASTER") or "local[2]")
            for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
                builder = builder.config(key, str(value))
            from pyspark import SparkContext

            self._owned = SparkContext._active_spark_context is None  # no public probe for a running context
        self._sigint = _sigint_handler()
        try:
            self.session = builder.getOrCreate()
        except Exception as error:  # Java gateway or Connect errors have no common base class
            raise ConnectionFailed(f"cannot start Spark: {str(error).strip().splitlines()[0]}") from error
        if not remote:  # a Connect client has no SparkContext
            self.session.sparkContext.setLogLevel("ERROR")
        self._configure(self.session)

    def _configure(self, session: Any) -> None:
        """Set :data:`SESSION_CONF` and the caller's runtime SQL settings on ``session``."""
        for key, value in {**SESSION_CONF, **self._sql_conf}.items():
            try:
                session.conf.set(key, value)
            except Exception:  # a static setting: it was given when the session started
                continue

    # -- protocol -----------------------------------------------------------------------------------

    def register(self, name: str, source: Any, **options: Any) -> None:
        """Make ``source`` queryable as the temporary view ``name``.

        Args:
            name: the view name queries use.
            source: a path (csv, parquet, json, or a Delta table folder), a pyarrow Table, Dataset or
                RecordBatchReader, or a Spark DataFrame.
            **options: ``format``, ``null_value`` and ``delimiter`` for files; ``version`` and
                ``storage_options`` (delta-rs object-store options) for Delta.

        Raises:
            UsageError: the source type or format is not supported, or the path does not exist.
        """
        if isinstance(source, str | Path):
            frame = self._read_path(str(source), **options)
        elif type(source).__module__.startswith("pyarrow"):
            frame = self.session.createDataFrame(_arrow_table(source))
        elif hasattr(source, "createOrReplaceTempView"):
            frame = source
        else:
            raise UsageError(
                f"cannot register {type(source).__name__} as {name!r} on Spark: pass a file path, a Delta "
                "table folder, a pyarrow Table/Dataset/RecordBatchReader or a Spark DataFrame"
            )
        frame.createOrReplaceTempView(name)

    def query(self, sql: str) -> pa.RecordBatchReader:
        """Run ``sql`` and return its result as Arrow record batches (collected on the driver).

        Check plans return one aggregate row per object, so collecting is cheap; transforms are written
        by :meth:`write_parquet` from the executors instead.
        """
        import pyarrow as pa

        table = self.session.sql(sql).toArrow()
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` (a small result) and return its rows as dicts, converted as :meth:`query` does."""
        from quanta.engine.base import arrow_rows

        return arrow_rows(self, sql)

    def describe(self, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
        """The columns of ``table`` and their types, read from a zero-row query's Arrow schema."""
        from quanta.engine.base import arrow_describe

        return arrow_describe(self, table)

    def execute(self, sql: str) -> None:
        """Run ``sql`` and discard its result."""
        self.session.sql(sql).collect()

    def close(self) -> None:
        """Stop the session this engine owns and leave one it was given running.

        An engine owns the session it started and a Spark Connect child made by :meth:`isolated`. Ctrl-C
        goes back to the handler pyspark replaced.
        """
        if self._owned:
            self.session.stop()
            _restore_sigint(getattr(self, "_sigint", None))

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a build needs besides the protocol ------------------------------------------------------

    @property
    def connection(self) -> Any:
        """The ``SparkSession`` (what a Python transform's ``connection`` parameter receives)."""
        return self.session

    def isolated(self) -> SparkEngine:
        """Return an engine on a child session: own temporary views and SQL settings, same executors.

        A classic session gives ``session.newSession()``, which :meth:`close` leaves alone (stopping it
        would stop the shared context). A Spark Connect client opens a new session on the same server,
        with its own gRPC channel; the child engine owns it, and its :meth:`close` releases the server
        session and the channel (left to the garbage collector, gRPC can block the interpreter's exit).
        """
        if self.remote:
            from pyspark.sql import SparkSession

            child = SparkSession.builder.remote(self.remote).create()
        else:
            child = self.session.newSession()
        self._configure(child)
        engine = SparkEngine(session=child, remote=self.remote)
        engine._owned = bool(self.remote)
        engine._sql_conf = self._sql_conf
        return engine

    def register_file(self, name: str, path: str | Path, **options: Any) -> None:
        """Register a file, folder or glob as the temporary view ``name`` (see :meth:`register`).

        Raises:
            UsageError: a ``duckdb`` or ``sqlite`` database file (read those on DuckDB), a missing path or
                an unsupported format.
        """
        fmt = str(options.get("format") or "").lower()
        if fmt in ("duckdb", "sqlite"):
            raise UsageError(
                f"the Spark engine cannot read {fmt} database files ({path}); run the product on DuckDB "
                "(quantaEngine: duckdb) or export the table to Parquet"
            )
        self.register(name, str(path), **{k: v for k, v in options.items() if k not in ("table", "schema")})

    def table(self, name: str) -> Any:
        """Return the temporary view ``name`` as a Spark DataFrame (what Python transforms receive)."""
        return self.session.table(name)

    def drop(self, name: str) -> None:
        """Drop the temporary view ``name``; no error if absent."""
        self.session.catalog.dropTempView(name)

    def write_parquet(self, sql: str, target: str | Path) -> Path:
        """Run ``sql`` on the executors and write its result as a Parquet folder at ``target``.

        This is how the build stages a transform's output on Spark: no data passes through the driver.

        Returns:
            ``target`` (a folder of ``part-*.parquet`` files).

        Raises:
            UsageError: the query fails; the message is Spark's first line.
        """
        try:
            self.session.sql(sql).write.mode("overwrite").parquet(str(target))
        except Exception as error:  # AnalysisException, Py4JJavaError, Connect errors: no common base
            raise UsageError(_first_line(error)) from error
        return Path(target)

    def _read_path(
        self,
        path: str,
        *,
        format: str | None = None,
        null_value: str | None = None,
        delimiter: str | None = None,
        version: int | None = None,
        storage_options: dict[str, str] | None = None,
        **_: Any,
    ) -> Any:
        local = not path.startswith(("s3://", "s3a://", "gs://", "abfss://", "hdfs://"))
        if local and not any(ch in path for ch in "*?[") and not Path(path).exists():
            raise UsageError(f"data file {path} does not exist; check the server path or --data")
        fmt = (format or guess_format(path)).lower()
        reader = self.session.read
        if fmt == "csv":
            reader = reader.option("header", "true").option("inferSchema", "true")
            if null_value is not None:
                reader = reader.option("nullValue", null_value)
            if delimiter:
                reader = reader.option("sep", delimiter)
            return reader.csv(path)
        if fmt == "parquet":
            return reader.parquet(path)
        if fmt in ("json", "ndjson", "jsonl"):
            return reader.json(path)
        if fmt == "delta":
            return reader.parquet(*delta_files(path, version, storage_options))
        raise UsageError(f"the Spark engine cannot read {fmt!r} ({path}); use csv, parquet, json or delta")


def delta_files(
    uri: str, version: int | None = None, storage_options: dict[str, str] | None = None
) -> list[str]:
    """Return the Parquet files of one committed version of a Delta table, as delta-rs lists them.

    Reading exactly these files is reading that version: files written by a later, uncommitted or
    failed write are not in the list.

    Args:
        uri: the table folder or object-store URI.
        version: the Delta version (default: the latest).
        storage_options: object-store options for delta-rs (endpoint, credentials from the environment).

    Raises:
        UsageError: the table uses features this reader does not support (partition columns, column
            mapping, deletion vectors), or the version has no data file.
    """
    from quanta.engine.parquet_files import NotPlainParquet, plain_delta_files

    try:
        return plain_delta_files(uri, version, storage_options)
    except NotPlainParquet as error:
        raise UsageError(
            f"{error}; the Spark engine reads plain Delta tables through delta-rs's file list "
            "(use delta-spark on clusters that have it)"
        ) from error


def _sigint_handler() -> Any:
    """The current SIGINT handler when called on the main thread (where pyspark replaces it), else None."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.getsignal(signal.SIGINT)


def _restore_sigint(handler: Any) -> None:
    """Put back the SIGINT handler pyspark replaced: its own one fails once the context is stopped."""
    import signal
    import threading

    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def _first_line(error: Exception) -> str:
    """The message of a Spark error without its JVM stack trace."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _arrow_table(source: Any) -> pa.Table:
    import pyarrow as pa
    import pyarrow.dataset as ds

    if isinstance(source, pa.Table):
        return source
    if isinstance(source, pa.RecordBatchReader):
        return source.read_all()
    if isinstance(source, ds.Dataset):
        return source.to_table()
    raise UsageError(f"cannot read {type(source).__name__} as Arrow data")

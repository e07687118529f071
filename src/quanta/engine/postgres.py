"""PostgreSQL as an engine: compiled SQL is pushed down and runs inside PostgreSQL, next to the data.

Nothing is copied out of PostgreSQL except query results (aggregates and a few sample rows). Results
come back through a server-side cursor in batches and are converted to Arrow.

Credentials come only from the environment: ``QUANTA_POSTGRES_USER`` and ``QUANTA_POSTGRES_PASSWORD``
(or libpq's own ``PGUSER``, ``PGPASSWORD``, ``PGPASSFILE``, ``PGSSLMODE`` ...). A contract names host,
port, database and schema only.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.errors import ConnectionFailed, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from quanta.engine.types import ColumnType

#: Environment variables read for credentials (in addition to libpq's PG* variables).
USER_ENV = "QUANTA_POSTGRES_USER"
PASSWORD_ENV = "QUANTA_POSTGRES_PASSWORD"

_ARROW_BY_PG_TYPE = {
    "bool": "bool_",
    "int2": "int16",
    "int4": "int32",
    "int8": "int64",
    "oid": "int64",
    "float4": "float32",
    "float8": "float64",
    "numeric": "float64",
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "name": "string",
    "uuid": "string",
    "json": "string",
    "jsonb": "string",
    "date": "date32",
    "time": "time64us",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "bytea": "binary",
    "interval": "duration",
}


class PostgresEngine:
    """PostgreSQL behind the :class:`quanta.engine.base.Engine` protocol (push-down, no copy).

    Args:
        conninfo: a libpq connection string or URL (``postgresql://host:5432/db``; a SQLAlchemy
            ``postgresql+psycopg://`` prefix is accepted). Credentials are better left to the environment.
        host, port, database: used when ``conninfo`` is not given (an ODCS ``postgresql`` server entry).
        schema: the ``search_path`` for unqualified table names.
        batch_rows: rows fetched per round trip when streaming a result.

    Raises:
        ConnectionFailed: the server cannot be reached or refuses the credentials.
    """

    dialect = "postgres"
    CAN_REGISTER: ClassVar[bool] = False
    PUSHES_DOWN: ClassVar[bool] = True

    def __init__(
        self,
        conninfo: str | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        schema: str | None = None,
        batch_rows: int = 10_000,
        connect_timeout: int = 10,
    ) -> None:
        import psycopg

        kwargs: dict[str, Any] = {"connect_timeout": connect_timeout, "autocommit": True}
        if conninfo is None:
            kwargs.update({k: v for k, v in {"host": host, "port": port, "dbname": database}.items() if v})
        else:
            conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
        if os.environ.get(USER_ENV):
            kwargs["user"] = os.environ[USER_ENV]
        if os.environ.get(PASSWORD_ENV):
            kwargs["password"] = os.environ[PASSWORD_ENV]
        if schema:
            kwargs["options"] = f"-c search_path={_search_path(schema)}"
        try:
            self.connection = psycopg.connect(conninfo or "", **kwargs)
        except psycopg.Error as error:
            where = conninfo or f"{host}:{port}/{database}"
            raise ConnectionFailed(
                f"cannot connect to PostgreSQL at {where}: {str(error).strip()}. Set {USER_ENV} and "
                f"{PASSWORD_ENV} (or PGUSER/PGPASSWORD) for the credentials"
            ) from error
        self.batch_rows = batch_rows

    def register(self, name: str, source: Any, **options: Any) -> None:
        """PostgreSQL only sees its own tables: registering outside data is refused.

        Raises:
            UsageError: always; load the data into PostgreSQL or use the DuckDB engine.
        """
        raise UsageError(
            f"the PostgreSQL engine cannot register {name!r}: it queries tables stored in PostgreSQL only"
        )

    def query(self, sql: str) -> pa.RecordBatchReader:
        """Run ``sql`` in PostgreSQL and stream the result through a server-side cursor as Arrow."""
        import psycopg
        import pyarrow as pa

        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
        except psycopg.Error:
            cursor.close()
            raise
        description = cursor.description or []
        names = [column.name for column in description]
        schema = pa.schema(
            [
                pa.field(name, self._arrow_type(column.type_code))
                for name, column in zip(names, description, strict=True)
            ]
        )

        def batches():
            try:
                while rows := cursor.fetchmany(self.batch_rows):
                    columns = list(zip(*rows, strict=True))
                    yield pa.RecordBatch.from_arrays(
                        [_array(col, field.type) for col, field in zip(columns, schema, strict=True)],
                        schema=schema,
                    )
            finally:
                cursor.close()

        return pa.RecordBatchReader.from_batches(schema, batches())

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` (a small result) and return its rows as dicts, converted as :meth:`query` does."""
        from quanta.engine.base import arrow_rows

        return arrow_rows(self, sql)

    def describe(self, table: str | tuple[str, ...]) -> dict[str, ColumnType]:
        """The columns of ``table`` and their types, read from a zero-row query's Arrow schema."""
        from quanta.engine.base import arrow_describe

        return arrow_describe(self, table)

    def execute(self, sql: str) -> None:
        """Run ``sql`` in PostgreSQL and discard its result."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> PostgresEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _arrow_type(self, oid: int) -> pa.DataType:
        import pyarrow as pa

        info = self.connection.adapters.types.get(oid)
        kind = _ARROW_BY_PG_TYPE.get(info.name if info else "", "string")
        if kind == "timestamp":
            return pa.timestamp("us")
        if kind == "timestamptz":
            return pa.timestamp("us", tz="UTC")
        if kind == "time64us":
            return pa.time64("us")
        if kind == "duration":
            return pa.duration("us")
        return getattr(pa, kind)()


def _search_path(schema: str) -> str:
    from sqlglot import exp

    return exp.to_identifier(schema, quoted=True).sql("postgres").replace(" ", "\\ ")


def _array(values: tuple[Any, ...], type_: pa.DataType) -> pa.Array:
    """Build an Arrow array, converting ``Decimal`` to float and unknown types to text."""
    import pyarrow as pa

    if pa.types.is_floating(type_):
        values = tuple(None if v is None else float(v) for v in values)
    elif pa.types.is_string(type_):
        values = tuple(v if v is None or isinstance(v, str) else str(v) for v in values)
    return pa.array(values, type=type_)

"""Masking of sensitive properties and row filters, applied before data reaches a consumer's sandbox.

For each port a statement reads, :func:`prepare_port` builds one ``SELECT`` over the published Delta
snapshot: sensitive columns are replaced by their mask unless the agreement grants PII access, and the
agreements' row filters become the ``WHERE`` clause. It runs in the masking sandbox (a sealed DuckDB
database of its own, never reachable by consumer SQL), and only its result is handed to the consumer's
sandbox, as a :class:`MaskedStream`: an Arrow stream that the consumer's sandbox reads batch by batch,
each scan running the masking ``SELECT`` again, so nothing is materialised in between. The consumer's
statement therefore never sees unmasked or filtered-out values, whatever it does.

Masks (chosen per property by the ODCS custom property ``quantaMask``):

- ``hash``: ``sha256(salt || CAST(value AS VARCHAR))``, hex text; ``NULL`` stays ``NULL``. Equal values
  give equal hashes within a mesh, so masked keys still join and group. The salt comes from the
  environment variable ``QUANTA_MASKING_SALT`` (empty when unset).
- ``null``: the value is ``NULL`` (the column keeps its type).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quanta.access.catalog import PortInfo
from quanta.access.guard import QueryRefused

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

    from quanta.engine.sandbox import SandboxedConnection

__all__ = [
    "BATCH_ROWS",
    "SALT_ENV",
    "MaskedStream",
    "PreparedPort",
    "masked_columns",
    "prepare_port",
    "projection",
    "validate_row_filter",
]

#: Environment variable holding the salt of hashed masks.
SALT_ENV = "QUANTA_MASKING_SALT"
RAW_RELATION = "__quanta_raw"
#: Rows per Arrow record batch on the streamed path.
BATCH_ROWS = 65_536

_MASKING: SandboxedConnection | None = None
_MASKING_LOCK = threading.Lock()


def _masking_sandbox() -> SandboxedConnection:
    """The process's masking sandbox: one sealed in-memory DuckDB database, opened on first use.

    Each scan gets its own connection to it (:meth:`SandboxedConnection.session`) in which only that scan's
    snapshot is registered; consumer SQL never runs here.
    """
    global _MASKING
    with _MASKING_LOCK:
        if _MASKING is None:
            from quanta.engine.sandbox import SandboxedConnection

            box = SandboxedConnection()
            box.seal()
            _MASKING = box
        return _MASKING


class MaskedStream:
    """One port's masked, filtered rows as a re-scannable Arrow stream (the Arrow PyCapsule interface).

    Registered into the consumer's sandbox like an Arrow table, it is read batch by batch: every scan (each
    ``__arrow_c_stream__`` call; a self-join scans twice) opens a session of the masking sandbox, registers
    the snapshot there and streams the masking ``SELECT``'s result, so memory stays bounded by a few record
    batches whatever the size of the port.

    When the ``SELECT`` only picks columns (nothing masked, no row filter: ``passthrough`` names them),
    a scan reads the snapshot's batches with Arrow itself instead of through DuckDB, which would decode the
    Arrow batches into its vectors and encode them back (about a quarter of the CPU of serving a port);
    the batches are cast to the schema DuckDB binds, so both ways give the same rows and types.

    Args:
        dataset: the snapshot (``pyarrow.dataset.Dataset``, ``Table`` or anything DuckDB scans as Arrow).
        sql: the masking ``SELECT`` over :data:`RAW_RELATION` (built by :func:`prepare_port`).
        batch_rows: rows per record batch.
        passthrough: the columns the ``SELECT`` picks, in order, when it does nothing else; ``None`` when
            it masks or filters.
        limit: the ``SELECT``'s ``LIMIT``, applied by a passthrough scan too.

    Raises:
        SandboxError: the masking statement does not bind over the snapshot.
    """

    def __init__(
        self,
        dataset: Any,
        sql: str,
        batch_rows: int = BATCH_ROWS,
        *,
        passthrough: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> None:
        self.sql = sql
        self.batch_rows = batch_rows
        self.passthrough = None if passthrough is None else tuple(passthrough)
        self.limit = limit
        self._dataset = dataset
        self._sessions: list[Any] = []
        self.schema: pa.Schema = self._session().schema(sql)
        if self.passthrough is not None and not _same_values(dataset.schema, self.schema):
            self.passthrough = None  # DuckDB changes a type here (e.g. a unit): keep its conversion

    def _session(self) -> Any:
        session = _masking_sandbox().session({RAW_RELATION: self._dataset})
        self._sessions.append(session)
        return session

    def reader(self) -> pa.RecordBatchReader:
        """Start one scan: the masked, filtered rows, ``batch_rows`` at a time."""
        batches = self._arrow_batches() if self.passthrough is not None else None
        if batches is None:
            return self._session().stream(self.sql, self.batch_rows)
        import pyarrow as pa

        return pa.RecordBatchReader.from_batches(self.schema, self._cast(batches))

    def _arrow_batches(self) -> Iterator[pa.RecordBatch] | None:
        """The picked columns' batches straight from the snapshot; ``None`` for a source Arrow cannot scan."""
        import pyarrow as pa

        columns = list(self.passthrough or ())
        if isinstance(self._dataset, pa.Table):
            return iter(self._dataset.select(columns).to_batches(max_chunksize=self.batch_rows))
        if hasattr(self._dataset, "scanner"):  # a pyarrow.dataset.Dataset
            # Little read-ahead: memory stays at a few batches whatever the port's size (Arrow's default
            # keeps 16 batches of 4 files in flight).
            return self._dataset.scanner(
                columns=columns, batch_size=self.batch_rows, batch_readahead=2, fragment_readahead=1
            ).to_batches()
        return None

    def _cast(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        left = self.limit
        for batch in batches:
            if left is not None:
                if left <= 0:
                    return
                batch = batch.slice(0, left)
                left -= batch.num_rows
            if batch.num_rows:
                yield batch if batch.schema.equals(self.schema) else batch.cast(self.schema)

    def read_all(self) -> pa.Table:
        """Read every row into one Arrow table (for small results: samples, tests)."""
        return self.reader().read_all()

    def __arrow_c_schema__(self) -> object:
        """The Arrow C schema of the rows (lets DuckDB bind without starting a scan)."""
        return self.schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """A new scan as an Arrow C stream capsule (the Arrow PyCapsule interface)."""
        return self.reader().__arrow_c_stream__(requested_schema)

    def close(self) -> None:
        """Close every session this stream opened (ends scans still running)."""
        sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def _same_values(source: pa.Schema, bound: pa.Schema) -> bool:
    """Whether casting the snapshot's columns to the types DuckDB binds only relabels them: the same type,
    or the same timestamp unit under another name of its zone, or another layout of text or bytes."""
    import pyarrow as pa

    def family(t: pa.DataType) -> object:
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return "text"
        if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            return "bytes"
        if pa.types.is_timestamp(t):
            zone = {"UTC": "UTC", "Etc/UTC": "UTC", "+00:00": "UTC"}.get(t.tz or "", t.tz)
            return ("timestamp", t.unit, zone)
        return t

    names = set(source.names)
    return all(
        field.name in names and family(source.field(field.name).type) == family(field.type) for field in bound
    )


@dataclass(frozen=True, slots=True)
class PreparedPort:
    """A port's data as the consumer may see it.

    Attributes:
        data: the masked, filtered rows, read lazily (``data.read_all()`` for a table).
        columns: the columns it holds.
        masked: the columns that were masked.
        row_filter: the ``WHERE`` condition applied, as DuckDB SQL, or ``None``.
    """

    data: MaskedStream
    columns: tuple[str, ...]
    masked: tuple[str, ...]
    row_filter: str | None


def masked_columns(port: PortInfo, columns: Sequence[str], *, pii: bool) -> list[str]:
    """Return which of ``columns`` are masked for a consumer with (``pii=True``) or without PII access."""
    if pii:
        return []
    return [name for name in columns if (rule := port.column(name)) is not None and rule.sensitive]


def projection(
    port: PortInfo, columns: Sequence[str], *, pii: bool, salt: str | None = None
) -> list[exp.Expression]:
    """Build the select list that exposes ``columns`` of ``port`` with masks applied.

    Args:
        port: the port and its column rules.
        columns: the table's column names to expose, in order.
        pii: whether the consumer may see sensitive values.
        salt: salt of hashed masks; ``None`` reads :data:`SALT_ENV`.

    Returns:
        sqlglot expressions, each aliased to its column name.
    """
    from sqlglot import exp

    salt = os.environ.get(SALT_ENV, "") if salt is None else salt
    masked = set(masked_columns(port, columns, pii=pii))
    items: list[exp.Expression] = []
    for name in columns:
        column = exp.column(name, quoted=True)
        if name not in masked:
            items.append(column)
            continue
        rule = port.column(name)
        if rule is not None and rule.mask == "null":
            value: exp.Expression = exp.Case(ifs=[exp.If(this=exp.false(), true=column)])
        else:
            text = exp.DPipe(this=exp.Literal.string(salt), expression=exp.cast(column, "VARCHAR"), safe=True)
            value = exp.Anonymous(this="sha256", expressions=[text])
        items.append(exp.alias_(value, name, quoted=True))
    return items


def validate_row_filter(text: str, columns: Sequence[str]) -> exp.Expression:
    """Parse an agreement's row filter and check it is a plain condition over the port's columns.

    Args:
        text: a DuckDB boolean expression, e.g. ``"origin = 'JFK' AND year = 2013"``.
        columns: the port's column names.

    Returns:
        The parsed condition.

    Raises:
        QueryRefused: the filter does not parse, contains a subquery, a table, a refused function, or a
            column the port does not have.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from quanta.access.guard import _check_nodes

    try:
        condition = sqlglot.condition(text, dialect="duckdb")
    except (ParseError, TokenError) as error:
        raise QueryRefused(
            f"the row filter {text!r} is not a valid condition: {str(error).splitlines()[0]}"
        ) from None
    if any(isinstance(node, exp.Query | exp.Table | exp.Subquery) for node in condition.walk()):
        raise QueryRefused(f"the row filter {text!r} may only compare the port's columns with values")
    _check_nodes(condition)
    known = {name.lower() for name in columns}
    for column in condition.find_all(exp.Column):
        if column.table or column.name.lower() not in known:
            raise QueryRefused(
                f"the row filter {text!r} names {column.sql()!r}, which is not a column of the port "
                f"(columns: {', '.join(columns)})"
            )
    return condition


def prepare_port(
    port: PortInfo,
    dataset: object,
    *,
    columns: Sequence[str] | None,
    pii: bool,
    row_filters: Sequence[str] | None = None,
    salt: str | None = None,
    batch_rows: int = BATCH_ROWS,
    limit: int | None = None,
) -> PreparedPort:
    """Build the masked, filtered view of one port's snapshot, read lazily in the masking sandbox.

    Args:
        port: the port and its column rules.
        dataset: the snapshot (a ``pyarrow.dataset.Dataset`` or ``Table``) read by the caller.
        columns: the columns to expose (a subset of the snapshot's); ``None`` means all.
        pii: whether the consumer may see sensitive values.
        row_filters: conditions from the agreements that grant access; rows matching any of them are
            kept (``None`` or an empty list keeps every row).
        salt: salt of hashed masks; ``None`` reads :data:`SALT_ENV`.
        batch_rows: rows per record batch when the data is streamed.
        limit: at most this many rows (``LIMIT`` of the masking ``SELECT``), for a read of the whole port.

    Returns:
        The prepared data; nothing has been read yet (close ``data`` when done).

    Raises:
        QueryRefused: a row filter is invalid.
    """
    from sqlglot import exp

    available = list(dataset.schema.names)  # type: ignore[attr-defined]
    if columns is None:
        wanted = available
    else:
        chosen = set(columns)
        # A statement that names no column (count(*)) still needs the rows: keep one (masked) column.
        wanted = [name for name in available if name in chosen] or available[:1]
    select = exp.select(*projection(port, wanted, pii=pii, salt=salt)).from_(
        exp.Table(this=exp.to_identifier(RAW_RELATION, quoted=True))
    )
    where: str | None = None
    if row_filters:
        conditions = [validate_row_filter(text, available) for text in row_filters]
        combined = (
            exp.or_(*[exp.paren(condition) for condition in conditions])
            if len(conditions) > 1
            else conditions[0]
        )
        select = select.where(combined)
        where = combined.sql(dialect="duckdb")
    if limit is not None:
        select = select.limit(int(limit))
    masked = tuple(masked_columns(port, wanted, pii=pii))
    data = MaskedStream(
        dataset,
        select.sql(dialect="duckdb"),
        batch_rows,
        passthrough=None if masked or where is not None else wanted,
        limit=None if limit is None else int(limit),
    )
    return PreparedPort(data, tuple(wanted), masked, where)

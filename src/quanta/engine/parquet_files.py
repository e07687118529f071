"""Parquet files as engines read them: the files of one Delta version, and staged Parquet output.

Engines read a committed Delta version fastest as the plain Parquet files delta-rs lists for it: DuckDB's
and Spark's own Parquet readers then scan them (projection and filter push-down included) without an
Arrow dataset in between, and nothing written by a later or failed write is in the list. That shortcut
is only exact when every row of those files belongs to the version as stored, so tables that use Delta
features changing how files map to rows (partition columns, column mapping, deletion vectors) are
refused here and read through delta-rs instead (see :func:`plain_delta_files`).

Source: Delta Lake transaction protocol, "Reader Requirements" and "Table Features"
(https://github.com/delta-io/delta/blob/master/PROTOCOL.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Reader features that do not change which rows or columns a version's Parquet files hold.
PLAIN_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"})


class NotPlainParquet(Exception):
    """A Delta version cannot be read as its bare Parquet files (the message says which feature).

    Attributes:
        table: the ``deltalake.DeltaTable`` already opened at that version, so the caller's fallback
            (delta-rs's Arrow dataset) does not read the log a second time.
    """

    def __init__(self, message: str, table: Any) -> None:
        super().__init__(message)
        self.table = table


def plain_delta_files(
    uri: str, version: int | None = None, storage_options: dict[str, str] | None = None
) -> list[str]:
    """Return the Parquet files of one committed Delta version when reading them alone is exact.

    Args:
        uri: the table folder or object-store URI.
        version: the Delta version (default: the latest).
        storage_options: object-store options for delta-rs.

    Returns:
        The version's data files as delta-rs lists them (local paths for a local table), at least one.

    Raises:
        NotPlainParquet: the table is partitioned (partition values live in the log, not in the files),
            uses column mapping (reader version 2) or a reader feature such as deletion vectors, or the
            version has no data file (an empty table whose schema only the log holds).
        deltalake.exceptions.TableNotFoundError: no table at ``uri``.
    """
    from deltalake import DeltaTable

    table = DeltaTable(uri, version=version, storage_options=storage_options)
    if table.metadata().partition_columns:
        raise NotPlainParquet(f"Delta table {uri} is partitioned", table)
    protocol = table.protocol()
    features = set(protocol.reader_features or ())
    if protocol.min_reader_version == 2 or not features <= PLAIN_READER_FEATURES:
        wanted = sorted(features - PLAIN_READER_FEATURES) or ["columnMapping"]
        raise NotPlainParquet(f"Delta table {uri} uses reader features {', '.join(wanted)}", table)
    files = list(table.file_uris())
    if not files:
        raise NotPlainParquet(f"Delta table {uri} has no data file at this version", table)
    return files


def parquet_parts(path: str | Path) -> list[Path]:
    """Return the Parquet files of a staged output: the file itself, or the data files of a folder.

    A folder is what Spark writes (``part-*.parquet`` next to ``_SUCCESS`` and ``.crc`` files); like
    Arrow's dataset discovery, names starting with ``_`` or ``.`` are not data.

    Args:
        path: a Parquet file or a folder of Parquet part files.

    Returns:
        The files, sorted by path (empty for a folder without data files).
    """
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
    )


def parquet_summary(path: str | Path) -> tuple[int, tuple[str, ...]]:
    """Count the rows and name the columns of staged Parquet output from the files' footers alone.

    Args:
        path: a Parquet file or a folder of Parquet part files (see :func:`parquet_parts`).

    Returns:
        ``(rows, column names)``; ``(0, ())`` for a folder without data files.
    """
    import pyarrow.parquet as pq

    rows, names = 0, ()
    for part in parquet_parts(path):
        metadata = pq.read_metadata(part)
        rows += metadata.num_rows
        names = names or tuple(metadata.schema.to_arrow_schema().names)
    return rows, names

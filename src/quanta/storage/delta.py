"""Atomic publication of staged data as versions of Delta Lake tables (through ``deltalake``).

Every build of an output port overwrites its table in ONE Delta commit: delta-rs writes the data files
first and then the commit file ``_delta_log/<version>.json`` with an atomic put-if-absent, so a reader sees
the previous version or the new one, never a mix, and a crash before the commit leaves the previous version
served (the data files written so far are unreferenced leftovers, removed by :func:`remove_leftovers`).

Each commit carries Quanta's metadata in the Delta ``commitInfo`` (keys in :data:`METADATA_KEYS`): the run
id, the contract id and version and the fingerprint of the build. The table log is therefore the source of
truth the registry is reconciled with (see ``docs/registry-and-storage.md``).

Source: Delta Lake transaction protocol (https://github.com/delta-io/delta/blob/master/PROTOCOL.md),
sections "Commit Provenance Information" and "Time Travel".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError
from quanta.storage.paths import is_remote, normalize_root, staging_root

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

#: Commit metadata keys Quanta writes into each Delta commit (``commitInfo``), by argument name.
METADATA_KEYS: dict[str, str] = {
    "run_id": "quanta.runId",
    "contract_id": "quanta.contractId",
    "contract_version": "quanta.contractVersion",
    "fingerprint": "quanta.fingerprint",
    "publish_id": "quanta.publishId",
}


class StorageError(QuantaError):
    """A published table cannot be read or written (missing table or version, unreadable staged data)."""


class TableNotFound(StorageError):
    """No Delta table exists at the given location."""


@dataclass(frozen=True, slots=True)
class TableVersion:
    """One committed version of a published Delta table.

    Attributes:
        table_uri: location of the table.
        version: Delta version number (0 for the first commit).
        timestamp: commit time (UTC).
        operation: Delta operation, e.g. ``"WRITE"`` or ``"CREATE TABLE"``.
        run_id: Quanta run id that made the commit, or ``None`` for a commit not made by Quanta.
        contract_id: id of the ODCS contract the data was gated on, if recorded.
        contract_version: version of that contract, if recorded.
        fingerprint: fingerprint of the build inputs, if recorded.
        rows_added: rows written by the commit (from Delta's operation metrics), when known.
        metadata: every ``quanta.*`` key of the commit, verbatim.
    """

    table_uri: str
    version: int
    timestamp: datetime
    operation: str
    run_id: str | None = None
    contract_id: str | None = None
    contract_version: str | None = None
    fingerprint: str | None = None
    rows_added: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """The result of :func:`publish`: the new version of the table and what it holds.

    Attributes:
        table_uri: location of the table.
        version: the Delta version this publication committed.
        row_count: number of rows in the new version.
        schema: the Arrow schema of the data, as JSON-compatible data (see :func:`schema_to_json`).
        committed_at: commit time (UTC).
        run_id: the run id written into the commit.
    """

    table_uri: str
    version: int
    row_count: int
    schema: list[dict[str, Any]]
    committed_at: datetime
    run_id: str


def schema_to_json(schema: pa.Schema) -> list[dict[str, Any]]:
    """Describe an Arrow schema as JSON-compatible data.

    Args:
        schema: an Arrow schema.

    Returns:
        One ``{"name", "type", "nullable"}`` entry per field, ``type`` being Arrow's type string
        (e.g. ``"int64"``, ``"timestamp[us, tz=UTC]"``, ``"struct<a: int32>"``).
    """
    return [{"name": f.name, "type": str(f.type), "nullable": bool(f.nullable)} for f in schema]


def _as_reader(data: Any) -> pa.RecordBatchReader:
    """Turn staged data into a record batch stream without materialising it."""
    import pyarrow as pa

    if isinstance(data, str | os.PathLike):
        return _parquet_reader(Path(data))
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return data.to_reader()
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatchReader.from_batches(data.schema, [data])
    pads = sys.modules.get("pyarrow.dataset")  # a Dataset exists only once its module is imported
    if pads is not None and isinstance(data, pads.Dataset):
        return data.scanner().to_reader()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    raise StorageError(
        f"cannot publish an object of type {type(data).__name__}: give a Parquet file or folder, an Arrow "
        "table, a RecordBatchReader or an object that exports an Arrow stream."
    )


def _parquet_reader(path: Path) -> pa.RecordBatchReader:
    """Stream a staged Parquet file, or a folder of part files, batch by batch (one file open at a time).

    ``pyarrow.parquet`` rather than an Arrow dataset: ``pyarrow.dataset`` imports pandas when it is
    installed (0.3-0.5 s of every build process), and a staged output needs no discovery or filtering.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from quanta.engine.parquet_files import parquet_parts

    if not path.exists():
        raise StorageError(f"staged data {path} does not exist: run the transform before publishing.")
    parts = parquet_parts(path)
    if not parts:
        raise StorageError(f"staged data {path} holds no Parquet file: run the transform before publishing.")
    schema = pq.read_schema(parts[0])

    def batches() -> Iterator[pa.RecordBatch]:
        for part in parts:
            with pq.ParquetFile(part) as file:
                yield from file.iter_batches(batch_size=131_072)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _delta_type(t: pa.DataType, column: str) -> pa.DataType:
    """The type Delta Lake stores for an Arrow type: unsigned integers are widened (Delta has none)."""
    import pyarrow as pa

    widen = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64()}
    if t in widen:
        return widen[t]
    if pa.types.is_uint64(t):
        return pa.decimal128(20, 0)
    if pa.types.is_time(t) or pa.types.is_interval(t) or pa.types.is_duration(t):
        raise StorageError(
            f"column {column!r} has type {t}, which Delta Lake cannot store: cast it in the transform "
            "(e.g. a TIME to VARCHAR, an INTERVAL to a number of seconds)."
        )
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        item = t.value_field.with_type(_delta_type(t.value_type, column))
        return pa.list_(item) if pa.types.is_list(t) else pa.large_list(item)
    if pa.types.is_struct(t):
        return pa.struct(
            [t.field(i).with_type(_delta_type(t.field(i).type, column)) for i in range(t.num_fields)]
        )
    if pa.types.is_map(t):
        return pa.map_(_delta_type(t.key_type, column), _delta_type(t.item_type, column))
    return t


def _for_delta(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """Cast, batch by batch, the columns whose type Delta Lake lacks to the nearest type it has."""
    import pyarrow as pa

    schema = reader.schema
    target = pa.schema([f.with_type(_delta_type(f.type, f.name)) for f in schema], metadata=schema.metadata)
    if target.equals(schema):
        return reader
    return pa.RecordBatchReader.from_batches(target, (batch.cast(target) for batch in reader))


def _counting(reader: pa.RecordBatchReader) -> tuple[pa.RecordBatchReader, list[int]]:
    import pyarrow as pa

    counter = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            counter[0] += batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches()), counter


def _from_history(table_uri: str, entry: Mapping[str, Any]) -> TableVersion:
    metrics = entry.get("operationMetrics") or {}
    meta = {k: str(v) for k, v in entry.items() if isinstance(k, str) and k.startswith("quanta.")}
    stamp = entry.get("timestamp")
    when = datetime.fromtimestamp((stamp or 0) / 1000, tz=UTC)
    rows = metrics.get("num_added_rows")
    return TableVersion(
        table_uri=table_uri,
        version=int(entry["version"]),
        timestamp=when,
        operation=str(entry.get("operation", "")),
        run_id=meta.get(METADATA_KEYS["run_id"]),
        contract_id=meta.get(METADATA_KEYS["contract_id"]),
        contract_version=meta.get(METADATA_KEYS["contract_version"]),
        fingerprint=meta.get(METADATA_KEYS["fingerprint"]),
        rows_added=int(rows) if rows is not None else None,
        metadata=meta,
    )


def _options(table_uri: str, given: dict[str, str] | None) -> dict[str, str] | None:
    """The object-store options to use: those given, else the environment's for a remote table."""
    if given is not None or not is_remote(table_uri):
        return given
    from quanta.storage.objectstore import storage_options

    return storage_options(table_uri)


def table_exists(table_uri: str, *, storage_options: dict[str, str] | None = None) -> bool:
    """Tell whether a Delta table (a ``_delta_log`` with at least one commit) exists at ``table_uri``.

    Every function of this module takes ``storage_options`` (see :func:`quanta.storage.options`); for an
    object-store location they default to the ``AWS_*`` environment variables.
    """
    from deltalake import DeltaTable

    return bool(DeltaTable.is_deltatable(table_uri, storage_options=_options(table_uri, storage_options)))


def _open(table_uri: str, version: int | None = None, storage_options: dict[str, str] | None = None):
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(table_uri, version=version, storage_options=_options(table_uri, storage_options))
    except TableNotFoundError as exc:
        raise TableNotFound(
            f"no published table at {table_uri}: build the product first (quanta build)."
        ) from exc
    except Exception as exc:  # delta-rs raises a generic error for a version that does not exist
        if version is not None and "version" in str(exc).lower():
            raise StorageError(
                f"table {table_uri} has no version {version}: list its versions with quanta.storage."
                "list_versions."
            ) from exc
        raise


def publish(
    data: Any,
    table_uri: str,
    *,
    run_id: str,
    contract_id: str | None = None,
    contract_version: str | None = None,
    fingerprint: str | None = None,
    storage_options: dict[str, str] | None = None,
) -> PublishedVersion:
    """Commit staged data as ONE new version of the Delta table at ``table_uri`` (overwrite).

    The data is streamed batch by batch into delta-rs (never collected into pandas); the table's schema is
    replaced by the data's schema, so a contract that changes the schema publishes cleanly. Unsigned
    integers, which Delta Lake lacks, are widened (``uint32`` to ``int64``, ``uint64`` to
    ``decimal(20, 0)``). Readers see the previous version until the commit file is written, then the new
    one.

    Args:
        data: the staged data: a path to a Parquet file or folder, a ``pyarrow.Table``,
            ``RecordBatch``, ``RecordBatchReader``, ``pyarrow.dataset.Dataset`` or any object exporting an
            Arrow C stream (``__arrow_c_stream__``, e.g. a DuckDB relation or a Polars frame).
        table_uri: the table location, normally from :func:`quanta.storage.table_uri`.
        run_id: the product run id; written into the commit metadata.
        contract_id: the ODCS contract ``id`` the data was gated on.
        contract_version: that contract's ``version``.
        fingerprint: the fingerprint of the build inputs (transform, descriptor, contracts, inputs).
        storage_options: object-store options for delta-rs (endpoint, region, credentials; see
            :func:`quanta.storage.options`); the ``AWS_*`` environment variables when ``None``.

    Returns:
        The committed version, with its row count and schema.

    Raises:
        StorageError: the staged data is missing or of an unsupported type, or a column has a type Delta
            Lake cannot store (TIME, INTERVAL, DURATION).
    """
    from deltalake import CommitProperties, write_deltalake

    reader, counter = _counting(_for_delta(_as_reader(data)))
    schema = reader.schema
    publish_id = uuid.uuid4().hex
    values = {
        "run_id": run_id,
        "contract_id": contract_id,
        "contract_version": contract_version,
        "fingerprint": fingerprint,
        "publish_id": publish_id,
    }
    metadata = {METADATA_KEYS[k]: str(v) for k, v in values.items() if v is not None}
    if not is_remote(table_uri):
        Path(table_uri).mkdir(parents=True, exist_ok=True)
    write_deltalake(
        table_uri,
        reader,
        mode="overwrite",
        schema_mode="overwrite",
        storage_options=_options(table_uri, storage_options),
        commit_properties=CommitProperties(custom_metadata=metadata),
    )
    committed = next(
        (
            v
            for v in list_versions(table_uri, limit=20, storage_options=storage_options)
            if v.metadata.get(METADATA_KEYS["publish_id"]) == publish_id
        ),
        None,
    )
    if committed is None:  # pragma: no cover - would mean delta-rs lost our commit
        raise StorageError(f"the commit to {table_uri} was not found in its log after writing it.")
    return PublishedVersion(
        table_uri=table_uri,
        version=committed.version,
        row_count=counter[0],
        schema=schema_to_json(schema),
        committed_at=committed.timestamp,
        run_id=run_id,
    )


def list_versions(
    table_uri: str, *, limit: int | None = None, storage_options: dict[str, str] | None = None
) -> list[TableVersion]:
    """List the committed versions of a table, newest first.

    Args:
        table_uri: the table location.
        limit: at most this many versions (the newest); all when ``None``.
        storage_options: object-store options for delta-rs.

    Returns:
        The versions, newest first; an empty list when no table exists there.
    """
    if not table_exists(table_uri, storage_options=storage_options):
        return []
    table = _open(table_uri, storage_options=storage_options)
    return [_from_history(table_uri, entry) for entry in table.history(limit)]


def latest_version(table_uri: str, *, storage_options: dict[str, str] | None = None) -> int | None:
    """Return the newest committed version of a table, or ``None`` when there is no table."""
    if not table_exists(table_uri, storage_options=storage_options):
        return None
    return int(_open(table_uri, storage_options=storage_options).version())


def read_version(
    table_uri: str, version: int | None = None, *, storage_options: dict[str, str] | None = None
) -> pads.Dataset:
    """Open one version of a published table (time travel) as an Arrow dataset.

    Args:
        table_uri: the table location.
        version: the Delta version to read; the latest when ``None``.
        storage_options: object-store options for delta-rs.

    Returns:
        A ``pyarrow.dataset.Dataset`` over exactly the files of that version (scan it lazily).

    Raises:
        TableNotFound: no table at ``table_uri``.
        StorageError: the table has no such version.
    """
    if not table_exists(table_uri, storage_options=storage_options):
        raise TableNotFound(f"no published table at {table_uri}: build the product first (quanta build).")
    return _open(table_uri, version, storage_options).to_pyarrow_dataset()


def version_files(
    table_uri: str, version: int | None = None, *, storage_options: dict[str, str] | None = None
) -> list[str]:
    """Return the URIs of the data files that make up one version (for engines that read Parquet)."""
    return list(_open(table_uri, version, storage_options).file_uris())


def find_tables(storage_root: str | Path) -> list[str]:
    """Find the published tables (``<domain>/<product>/<port>`` with a ``_delta_log``) under a local root.

    Args:
        storage_root: the mesh's storage root.

    Returns:
        Table locations, sorted; empty for an object-store root (list those from the registry instead).
    """
    root = normalize_root(storage_root)
    if is_remote(root) or not Path(root).is_dir():
        return []
    return sorted(str(p.parent) for p in Path(root).glob("*/*/*/_delta_log") if p.parts[-4] != "_staging")


def remove_table_leftovers(table_uri: str, *, storage_options: dict[str, str] | None = None) -> list[str]:
    """Delete the data files in a table's folder that no committed version references.

    Such files are left by a writer that stopped before its commit. Files of every committed version are
    kept (time travel stays intact) and no commit is written. Call it only while no writer publishes to
    this table (hold the mesh lock, and the product lock on a shared registry).

    Args:
        table_uri: the table location.
        storage_options: object-store options for delta-rs.

    Returns:
        The removed files, relative to the table location.
    """
    if not table_exists(table_uri, storage_options=storage_options):
        return []
    table = _open(table_uri, storage_options=storage_options)
    orphans = table.vacuum(
        retention_hours=0,
        dry_run=True,
        enforce_retention_duration=False,
        full=True,
        keep_versions=list(range(int(table.version()) + 1)),
    )
    # an object store may hold "folder" marker objects (empty name or trailing "/"): not data files
    orphans = [name for name in orphans if name and not name.endswith("/")]
    if not orphans:
        return []
    if is_remote(table_uri):
        from quanta.storage.objectstore import arrow_filesystem

        filesystem, base = arrow_filesystem(table_uri, storage_options)
        for name in orphans:
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: the goal is reached
                filesystem.delete_file(f"{base}/{name}")
    else:
        for name in orphans:
            Path(table_uri, name).unlink(missing_ok=True)
    return sorted(orphans)


def remove_leftovers(
    storage_root: str | Path,
    *,
    keep_runs: Iterable[str] = (),
    tables: Iterable[str] | None = None,
    storage_options: dict[str, str] | None = None,
) -> list[str]:
    """Remove what interrupted runs left behind: staging folders and uncommitted data files.

    Args:
        storage_root: the mesh's storage root.
        keep_runs: run ids whose staging folders must stay (runs still in progress).
        tables: table locations to clean; every table found under a local root when ``None``.
        storage_options: object-store options for delta-rs.

    Returns:
        The removed paths (staging folders, and data files as ``<table>/<file>``).
    """
    removed: list[str] = []
    keep = set(keep_runs)
    staging = staging_root(storage_root)
    if staging.is_dir():
        for run_dir in sorted(staging.iterdir()):
            if run_dir.name not in keep:
                shutil.rmtree(run_dir, ignore_errors=True)
                removed.append(str(run_dir))
    for uri in find_tables(storage_root) if tables is None else tables:
        removed.extend(
            f"{uri}/{name}" for name in remove_table_leftovers(uri, storage_options=storage_options)
        )
    return removed

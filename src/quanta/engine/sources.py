"""Where a contract's data lives: ODCS ``servers`` entries turned into engines and registered tables.

Supported server types:

- ``local`` (``path``, ``format`` csv|parquet|json|delta; ``path`` may hold a glob or a ``{model}`` /
  ``{object}`` placeholder replaced by the schema object's name, and is relative to the mesh root);
- ``duckdb`` (``database`` file, optional ``schema``; objects are tables by ``physicalName``);
- ``sqlite`` (``database`` or ``path``; streamed into DuckDB);
- ``postgresql`` / ``postgres`` (``host``, ``port``, ``database``, ``schema``): queries are pushed down to
  PostgreSQL; credentials come from ``QUANTA_POSTGRES_USER`` / ``QUANTA_POSTGRES_PASSWORD`` (or libpq's
  ``PGUSER`` / ``PGPASSWORD``);
- ``s3`` (``location`` ``s3://bucket/key``, a prefix or a glob, with the same placeholders; ``format``
  parquet|csv|json|delta): streamed into DuckDB as an Arrow dataset through ``pyarrow``'s S3 filesystem
  (:mod:`quanta.engine.objectstore`); endpoint and credentials come from the ``AWS_*`` environment
  variables (or ``mesh.yaml``'s ``storage_options``), never from the contract.

CSV options are Quanta extensions in the server's ``customProperties``: ``quantaNullValue`` (the null
token, e.g. ``NA``); the ODCS ``delimiter`` field sets the separator.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from quanta.engine.objectstore import OBJECT_STORE_TYPES
from quanta.errors import ConnectionFailed, QuantaError, UsageError

LOCAL_TYPES = frozenset({"local", "duckdb", "sqlite"})
POSTGRES_TYPES = frozenset({"postgresql", "postgres"})


def find_base_dir(contract_path: Path | None) -> Path:
    """The folder relative server paths start from: the mesh root (the nearest ancestor holding
    ``mesh.yaml``), else the contract's folder, else the working directory."""
    if contract_path is None:
        return Path.cwd()
    folder = contract_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "mesh.yaml").is_file():
            return candidate
    return folder


def custom_property(entry: dict[str, Any], name: str) -> Any:
    """The ``value`` of ``customProperties[property == name]`` in an ODCS entry, or ``None``."""
    for item in entry.get("customProperties") or []:
        if isinstance(item, dict) and item.get("property") == name:
            return item.get("value")
    return None


def local_path(server: dict[str, Any], base_dir: Path | None, object_name: str | None) -> str:
    """The absolute path (or glob) of ``object_name``'s data on a local-type server."""
    raw = server.get("path") or server.get("database") or server.get("location")
    if not raw:
        raise UsageError(f"server {server.get('server')!r} has no path; add path: to the servers entry")
    text = str(raw)
    if object_name:
        for placeholder in ("{model}", "{object}", "{table}"):
            text = text.replace(placeholder, object_name)
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return str(path)


def open_engine(server: dict[str, Any] | None, *, settings: dict[str, Any] | None = None) -> Any:
    """Create the engine that reads ``server``'s data (DuckDB for local types and no server).

    Args:
        server: an ODCS ``servers`` entry, or ``None`` for data passed directly.
        settings: DuckDB settings (``memory_limit``, ``temp_directory``, ``threads``).

    Raises:
        ConnectionFailed: a PostgreSQL server cannot be reached.
        UsageError: the server type is not supported.
    """
    kind = str((server or {}).get("type", "local")).lower()
    if kind in POSTGRES_TYPES:
        from quanta.engine.postgres import PostgresEngine

        assert server is not None
        return PostgresEngine(
            host=server.get("host"),
            port=server.get("port"),
            database=server.get("database"),
            schema=server.get("schema"),
        )
    if kind in LOCAL_TYPES or kind in OBJECT_STORE_TYPES or server is None:
        from quanta.engine.duckdb import DuckDBEngine

        return DuckDBEngine(**(settings or {}))
    raise UsageError(
        f"server type {kind!r} is not supported by quanta test; use local, duckdb, sqlite, postgresql or "
        "s3, or pass --data"
    )


def register_object(
    engine: Any,
    server: dict[str, Any],
    object_name: str,
    physical_name: str | None,
    base_dir: Path | None,
    storage_config: dict[str, Any] | None = None,
) -> str | tuple[str, ...]:
    """Make schema object ``object_name`` of ``server`` queryable on ``engine``.

    Args:
        engine: the engine that will query the object.
        server: the ODCS ``servers[]`` entry.
        object_name: the schema object's name (the table name queries use).
        physical_name: its ODCS ``physicalName``, when it differs.
        base_dir: the folder relative paths start from (the mesh root).
        storage_config: ``mesh.yaml``'s ``storage_options`` (non-secret object-store settings), for
            ``s3`` servers.

    Returns:
        The table name queries use (a dotted string or a tuple of parts).

    Raises:
        UsageError: the data cannot be found or read.
    """
    kind = str(server.get("type", "local")).lower()
    physical = physical_name or object_name
    if kind in POSTGRES_TYPES:
        return (server["schema"], physical) if server.get("schema") else physical
    if kind == "local":
        engine.register_file(
            object_name,
            local_path(server, base_dir, object_name),
            format=server.get("format"),
            null_value=custom_property(server, "quantaNullValue"),
            delimiter=server.get("delimiter"),
        )
        return object_name
    if kind in ("duckdb", "sqlite"):
        engine.register_file(
            object_name,
            local_path(server, base_dir, None),
            format=kind,
            table=physical,
            schema=server.get("schema"),
        )
        return object_name
    if kind in OBJECT_STORE_TYPES:
        engine.register(object_name, object_source(server, object_name, storage_config))
        return object_name
    raise UsageError(f"server type {kind!r} is not supported by quanta test")


def object_source(
    server: dict[str, Any], object_name: str | None, storage_config: dict[str, Any] | None = None
) -> Any:
    """Open schema object ``object_name`` of an ``s3`` server as a lazily scanned Arrow dataset.

    Args:
        server: the ODCS ``servers[]`` entry (``location``, ``format``, ``delimiter``; the
            ``quantaNullValue`` custom property for CSV).
        object_name: the schema object's name (fills ``{model}`` in ``location``).
        storage_config: ``mesh.yaml``'s ``storage_options``.

    Raises:
        UsageError: no location, no object matches it, or the format is not supported.
    """
    from quanta.engine import objectstore

    location = objectstore.server_location(server, object_name)
    return objectstore.object_dataset(
        location,
        server.get("format"),
        objectstore.storage_options(location, storage_config),
        null_value=custom_property(server, "quantaNullValue"),
        delimiter=server.get("delimiter"),
    )


def probe(
    server: dict[str, Any], base_dir: Path | str | None, storage_config: dict[str, Any] | None = None
) -> tuple[bool | None, str]:
    """Check that a server answers: local data exists, a database opens, PostgreSQL accepts a connection,
    an object store lists the source's objects.

    Args:
        server: the ODCS ``servers[]`` entry.
        base_dir: the folder relative paths start from.
        storage_config: ``mesh.yaml``'s ``storage_options``, for ``s3`` servers.

    Returns:
        ``(True, what)`` reachable, ``(False, why)`` unreachable, ``(None, why)`` cannot be probed.
    """
    kind = str(server.get("type", "")).lower()
    name = server.get("server") or kind
    base = Path(base_dir) if base_dir else None
    if kind in LOCAL_TYPES:
        try:
            path = local_path(server, base, None)
        except UsageError as error:
            return False, error.message
        pattern = path.replace("{model}", "*").replace("{object}", "*").replace("{table}", "*")
        if glob.glob(pattern):
            return True, f"server {name}: {path} is readable"
        return False, f"server {name}: {path} does not exist"
    if kind in OBJECT_STORE_TYPES:
        from quanta.engine import objectstore

        try:
            location = objectstore.server_location(server)
            found = objectstore.list_objects(location, objectstore.storage_options(location, storage_config))
        except QuantaError as error:
            return False, f"server {name}: {error.message}"
        except OSError as error:  # the store did not answer, or refused the credentials
            return False, f"server {name}: {location} cannot be listed: {error}"
        if found or str(server.get("format", "")).lower() == "delta":
            return True, f"server {name}: {location} is readable"
        return False, f"server {name}: no object matches {location}"
    if kind in POSTGRES_TYPES:
        try:
            engine = open_engine(server)
        except ConnectionFailed as error:
            return False, error.message
        try:
            engine.query("SELECT 1").read_all()
        finally:
            engine.close()
        return True, f"server {name}: PostgreSQL at {server.get('host')}:{server.get('port')} answers"
    return None, f"server {name}: availability of type {kind!r} servers cannot be probed"

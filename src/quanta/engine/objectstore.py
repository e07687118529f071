"""Object storage: settings for S3-compatible stores, and sources read from them as Arrow datasets.

Credentials never come from a contract or ``mesh.yaml``: they are read from the standard environment
variables every S3 client understands, so the same mesh runs against AWS S3, MinIO or any S3-compatible
server by changing the environment only.

| variable | meaning |
|---|---|
| ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` | credentials |
| ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``) | region |
| ``AWS_ENDPOINT_URL`` | endpoint of an S3-compatible server (MinIO, moto, Ceph ...) |
| ``AWS_ALLOW_HTTP`` | ``true`` to allow a plain-HTTP endpoint (local servers) |

``mesh.yaml`` may set the non-secret ones under ``storage_options`` (``endpoint``, ``region``,
``allow_http``) and HTTP client tuning (``timeout``, ``connect_timeout``, ``pool_max_idle_per_host``);
a secret there is refused.

Sources on S3 (an ODCS ``servers`` entry of ``type: s3`` with ``location: s3://bucket/key`` and
``format``) are read through ``pyarrow.fs.S3FileSystem`` as a ``pyarrow.dataset.Dataset`` that the
engine scans lazily, batch by batch (:func:`object_dataset`); Delta sources through ``deltalake``. No
DuckDB extension is needed. Source: ODCS v3.1.0, "Infrastructure and Servers", server type ``s3``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quanta.errors import ConfigError, UsageError

#: ``mesh.yaml`` ``storage_options`` keys and the delta-rs option each sets.
CONFIG_KEYS: dict[str, str] = {
    "endpoint": "AWS_ENDPOINT_URL",
    "region": "AWS_REGION",
    "allow_http": "AWS_ALLOW_HTTP",
    # HTTP client tuning of delta-rs' object_store (values such as "30s" or "0").
    "timeout": "timeout",
    "connect_timeout": "connect_timeout",
    "pool_max_idle_per_host": "pool_max_idle_per_host",
}

#: Environment variables passed to delta-rs as they are.
ENV_KEYS: tuple[str, ...] = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
)

#: ODCS server types read from object storage.
OBJECT_STORE_TYPES = frozenset({"s3"})

_SECRET_WORDS = ("secret", "password", "token", "key")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[]")
_FORMATS = ("parquet", "csv", "json", "delta")


def is_remote(uri: str | Path) -> bool:
    """Tell whether ``uri`` names an object store (``s3://``, ``gs://``, ...) rather than a local path.

    Args:
        uri: a local path or a URI.

    Returns:
        ``True`` for a URI with a scheme other than ``file://``.
    """
    text = str(uri)
    return bool(_SCHEME.match(text)) and not text.startswith("file://")


def storage_options(uri: str, config: Mapping[str, Any] | None = None) -> dict[str, str] | None:
    """Return the delta-rs ``storage_options`` for ``uri``, or ``None`` for a local path.

    Args:
        uri: a table or source location (``s3://bucket/prefix/...`` or a local path).
        config: the ``storage_options`` mapping of ``mesh.yaml`` (non-secret keys of :data:`CONFIG_KEYS`).

    Returns:
        Options for ``deltalake`` (``AWS_*`` keys), environment first, then ``config`` for what the
        environment leaves unset; ``None`` when ``uri`` is local.

    Raises:
        ConfigError: ``config`` holds a secret or an unknown key.
    """
    if not is_remote(uri):
        return None
    options = {key: os.environ[key] for key in ENV_KEYS if os.environ.get(key)}
    if "AWS_REGION" not in options and os.environ.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    for key, value in (config or {}).items():
        if any(word in key.lower() for word in _SECRET_WORDS) and key not in CONFIG_KEYS:
            raise ConfigError(
                f"storage_options.{key} looks like a credential; credentials come only from the environment "
                "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)"
            )
        if key not in CONFIG_KEYS:
            known = ", ".join(CONFIG_KEYS)
            raise ConfigError(f"unknown storage_options key {key!r} in mesh.yaml; use {known}")
        options.setdefault(CONFIG_KEYS[key], str(value).lower() if isinstance(value, bool) else str(value))
    # delta-rs commits to S3 safely from one writer at a time without an external lock; the mesh lock
    # serialises builders, so unsafe renames are allowed explicitly rather than failing the commit.
    options.setdefault("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    return options


def arrow_filesystem(uri: str, options: Mapping[str, str] | None = None) -> tuple[Any, str]:
    """Return a ``pyarrow.fs`` filesystem and the path inside it for reading data at ``uri``.

    Args:
        uri: ``s3://bucket/key`` (or a local path, returned with a local filesystem).
        options: what :func:`storage_options` returned for ``uri`` (the environment's when ``None``).

    Returns:
        ``(filesystem, path)`` usable with ``pyarrow.dataset.dataset(path, filesystem=...)``.

    Raises:
        ConfigError: the URI names an object store other than S3.
    """
    from pyarrow import fs

    if not is_remote(uri):
        return fs.LocalFileSystem(), uri
    if not uri.startswith(("s3://", "s3a://")):
        raise ConfigError(f"unsupported object store in {uri}; Quanta reads s3:// locations")
    opts = dict(options or storage_options(uri) or {})
    endpoint = opts.get("AWS_ENDPOINT_URL")
    scheme = None
    if endpoint:
        scheme, _, endpoint = endpoint.partition("://")
    filesystem = fs.S3FileSystem(
        access_key=opts.get("AWS_ACCESS_KEY_ID"),
        secret_key=opts.get("AWS_SECRET_ACCESS_KEY"),
        session_token=opts.get("AWS_SESSION_TOKEN"),
        region=opts.get("AWS_REGION"),
        endpoint_override=endpoint or None,
        scheme=scheme or "https",
    )
    return filesystem, uri.split("://", 1)[1]


def server_location(server: Mapping[str, Any], object_name: str | None = None) -> str:
    """Return the ``s3://`` location of an object-store server entry, placeholders filled in.

    Args:
        server: an ODCS ``servers[]`` entry of type ``s3`` (``location`` required).
        object_name: the schema object's name, replacing ``{model}``, ``{object}`` or ``{table}``.

    Raises:
        UsageError: the entry has no ``location`` or it is not an ``s3://`` URI.
    """
    location = str(server.get("location") or "")
    if not location.startswith(("s3://", "s3a://")):
        raise UsageError(
            f"server {server.get('server')!r} of type s3 needs location: s3://bucket/key (got "
            f"{location or 'nothing'}); endpoint and credentials come from the environment"
        )
    for placeholder in ("{model}", "{object}", "{table}"):
        location = location.replace(placeholder, object_name or "*")
    return location


def list_objects(location: str, options: Mapping[str, str] | None = None) -> list[Any]:
    """List the objects a source location covers: one object, every object under a prefix, or a glob.

    Names starting with ``_`` or ``.`` (such as ``_SUCCESS`` markers) are left out of a prefix listing,
    as Spark and pyarrow do.

    Args:
        location: ``s3://bucket/key``, ``s3://bucket/prefix/`` or ``s3://bucket/prefix/*.parquet``.
        options: object-store options (see :func:`storage_options`).

    Returns:
        ``pyarrow.fs.FileInfo`` of each object (path, size, modification time), sorted by path.
    """
    from pyarrow import fs

    filesystem, path = arrow_filesystem(location, options)
    match = _GLOB.search(path)
    if match is None:
        info = filesystem.get_file_info(path)
        if info.type == fs.FileType.File:
            return [info]
        if info.type == fs.FileType.NotFound:
            return []
        base, pattern = path.rstrip("/"), None
    else:
        base, pattern = path[: match.start()].rsplit("/", 1)[0], path
    selector = fs.FileSelector(base, recursive=True, allow_not_found=True)
    found = []
    for info in filesystem.get_file_info(selector):
        if info.type != fs.FileType.File:
            continue
        if pattern is not None and not fnmatch.fnmatchcase(info.path, pattern):
            continue
        if pattern is None and any(part[:1] in "_." for part in info.path[len(base) + 1 :].split("/")):
            continue
        found.append(info)
    return sorted(found, key=lambda info: info.path)


def object_identity(location: str, options: Mapping[str, str] | None = None) -> str:
    """Return the identity of the data at an object-store location: its objects' keys, sizes and times.

    Two calls give the same identity exactly when no object was added, removed, resized or rewritten,
    which is what decides that a product reading this source is unchanged.

    Args:
        location: the source location (object, prefix or glob).
        options: object-store options.

    Returns:
        A 32-character hex digest, or ``"missing"`` when no object matches.
    """
    objects = list_objects(location, options)
    if not objects:
        return "missing"
    digest = hashlib.sha256()
    for info in objects:
        stamp = info.mtime_ns if info.mtime_ns is not None else ""
        digest.update(f"{info.path}\0{info.size}\0{stamp}\0".encode())
    return digest.hexdigest()[:32]


def object_dataset(
    location: str,
    format: str | None = None,
    options: Mapping[str, str] | None = None,
    *,
    null_value: str | None = None,
    delimiter: str | None = None,
) -> Any:
    """Open the data at an object-store location as a lazily scanned ``pyarrow.dataset.Dataset``.

    Args:
        location: an object, a prefix or a glob (``s3://lake/raw/flights/*.parquet``); for ``delta``, the
            table folder.
        format: ``parquet``, ``csv``, ``json`` (newline-delimited) or ``delta``; default from the suffix.
        options: object-store options (see :func:`storage_options`).
        null_value: for CSV, the token that means null (e.g. ``"NA"``); empty fields are null too.
        delimiter: for CSV, the field separator (one character). For JSON, ODCS' ``new_line`` (the
            only layout read) or ``array`` (refused).

    Returns:
        The dataset; nothing is read until it is scanned.

    Raises:
        UsageError: no object matches, or the format is unknown or unsupported.
    """
    import pyarrow.dataset as pads

    fmt = (format or _suffix_format(location)).lower()
    if fmt not in _FORMATS:
        raise UsageError(f"unsupported format {fmt!r} for {location}; use {', '.join(_FORMATS)}")
    if fmt == "delta":
        from deltalake import DeltaTable

        if not DeltaTable.is_deltatable(location, storage_options=dict(options or {})):
            raise UsageError(f"no Delta table at {location}; check the server location")
        return DeltaTable(location, storage_options=dict(options or {})).to_pyarrow_dataset()
    objects = list_objects(location, options)
    if not objects:
        raise UsageError(f"no object matches {location}; check the server location and the bucket")
    filesystem, _ = arrow_filesystem(location, options)
    return pads.dataset(
        [info.path for info in objects],
        filesystem=filesystem,
        format=_file_format(fmt, null_value, delimiter),
    )


def _suffix_format(location: str) -> str:
    suffix = Path(location.split("?")[0]).suffix.lower().lstrip(".")
    aliases = {"ndjson": "json", "jsonl": "json", "txt": "csv", "tsv": "csv"}
    fmt = aliases.get(suffix, suffix)
    if fmt not in _FORMATS:
        raise UsageError(f"cannot tell the format of {location}; add format: (parquet, csv, json, delta)")
    return fmt


def _file_format(fmt: str, null_value: str | None, delimiter: str | None) -> Any:
    import pyarrow.csv as pacsv
    import pyarrow.dataset as pads

    if fmt == "parquet":
        return pads.ParquetFileFormat()
    if fmt == "json":
        if delimiter not in (None, "", "new_line"):
            raise UsageError(
                f"JSON delimiter {delimiter!r} is not supported on object storage; store one JSON "
                "document per line (delimiter: new_line)"
            )
        return pads.JsonFileFormat()
    # like DuckDB's CSV reader: an empty field is null, and so is the declared null token
    convert = pacsv.ConvertOptions(null_values=[null_value or "", ""], strings_can_be_null=True)
    parse = pacsv.ParseOptions(delimiter=delimiter) if delimiter and len(delimiter) == 1 else None
    return pads.CsvFileFormat(parse_options=parse, convert_options=convert)

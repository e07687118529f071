"""Where published tables and staged data live under a mesh's storage root.

A published output port is the Delta table at ``<storage>/<domain>/<product>/<port>``; staged output of a
run waits in ``<storage>/_staging/<run id>/<domain>/<product>/<port>`` until it is committed. The storage
root is a local folder or an object-store URI (``s3://bucket/prefix``); local paths are made absolute so
that the URI recorded in the registry stays valid from any working directory.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from quanta.engine.objectstore import is_remote

#: Name of the folder under the storage root that holds staged, uncommitted data (never a domain name).
STAGING_DIR = "_staging"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@functools.lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    if text.startswith("file://"):
        text = text[len("file://") :]
    if is_remote(text):
        return text.rstrip("/")
    return str(Path(text).expanduser().resolve())


def normalize_root(storage_root: str | Path) -> str:
    """Return the storage root as an absolute local path or an unchanged object-store URI.

    Args:
        storage_root: the ``storage`` setting of ``mesh.yaml`` resolved against the mesh root, or a URI.

    Returns:
        The root without a trailing slash.
    """
    return _normalize(str(storage_root))


def _check_name(kind: str, value: str) -> str:
    if not _NAME.match(value) or ".." in value:
        from quanta.errors import ConfigError

        raise ConfigError(
            f"{kind} name {value!r} cannot be used in a table location: use letters, digits, '_', '-' "
            "and '.', starting with a letter or digit."
        )
    return value


def table_uri(storage_root: str | Path, domain: str, product: str, port: str) -> str:
    """Return the location of the Delta table that publishes one output port.

    Args:
        storage_root: the mesh's storage root (local path or object-store URI).
        domain: domain name, e.g. ``"operations"``.
        product: product name, e.g. ``"flights"``.
        port: output port name, e.g. ``"flights"``.

    Returns:
        ``<storage>/<domain>/<product>/<port>`` as a string.

    Raises:
        ConfigError: a name holds a character that cannot appear in a path.
    """
    parts = [_check_name("domain", domain), _check_name("product", product), _check_name("port", port)]
    return "/".join([normalize_root(storage_root), *parts])


def staging_path(storage_root: str | Path, run_id: str, domain: str, product: str, port: str) -> Path:
    """Return a local folder where a run may stage the output of one port before it is published.

    The folder is not created. Staging always happens on the local file system (under the storage root
    when it is local, under the system temporary folder otherwise) and is removed by
    :func:`quanta.storage.remove_leftovers` once no build runs.

    Args:
        storage_root: the mesh's storage root.
        run_id: the product run id (any string safe in a path).
        domain: domain name.
        product: product name.
        port: output port name.

    Returns:
        ``<storage>/_staging/<run_id>/<domain>/<product>/<port>``.
    """
    return staging_root(storage_root) / _check_name("run", run_id) / domain / product / port


def staging_root(storage_root: str | Path) -> Path:
    """Return the local folder that holds every run's staged data (see :func:`staging_path`)."""
    root = normalize_root(storage_root)
    if is_remote(root):
        import hashlib
        import tempfile

        digest = hashlib.sha256(root.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "quanta-staging" / digest
    return Path(root) / STAGING_DIR

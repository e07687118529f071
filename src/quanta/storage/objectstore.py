"""Object-store settings for published tables and sources on S3-compatible storage.

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
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from quanta.errors import ConfigError
from quanta.storage.paths import is_remote

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

_SECRET_WORDS = ("secret", "password", "token", "key")


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
            raise ConfigError(f"unknown storage_options key {key!r}; use {known}")
        options.setdefault(CONFIG_KEYS[key], str(value).lower() if isinstance(value, bool) else str(value))
    # delta-rs commits to S3 safely from one writer at a time without an external lock; the mesh lock
    # serialises builders, so unsafe renames are allowed explicitly rather than failing the commit.
    options.setdefault("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    return options


def arrow_filesystem(uri: str, options: Mapping[str, str] | None = None) -> tuple[Any, str]:
    """Return a ``pyarrow.fs`` filesystem and the path inside it for reading sources at ``uri``.

    Args:
        uri: ``s3://bucket/key`` (or a local path, returned with a local filesystem).
        options: what :func:`storage_options` returned for ``uri``.

    Returns:
        ``(filesystem, path)`` usable with ``pyarrow.dataset.dataset(path, filesystem=...)``.
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

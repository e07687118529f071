"""Publishing: staged data committed atomically as versions of Delta Lake tables.

``deltalake`` and ``pyarrow`` are imported inside the functions, so importing this package is cheap.
``options(uri, config)`` gives the object-store options of an ``s3://`` location (credentials from the
environment, endpoint and region from the environment or ``mesh.yaml``'s ``storage_options``).
See ``docs/registry-and-storage.md``.
"""

from quanta.storage.delta import (
    METADATA_KEYS,
    PublishedVersion,
    StorageError,
    TableNotFound,
    TableVersion,
    find_tables,
    latest_version,
    list_versions,
    publish,
    read_version,
    remove_leftovers,
    remove_table_leftovers,
    schema_to_json,
    table_exists,
    version_files,
)
from quanta.storage.objectstore import storage_options as options
from quanta.storage.paths import is_remote, normalize_root, staging_path, staging_root, table_uri

__all__ = [
    "METADATA_KEYS",
    "PublishedVersion",
    "StorageError",
    "TableNotFound",
    "TableVersion",
    "find_tables",
    "is_remote",
    "latest_version",
    "list_versions",
    "normalize_root",
    "options",
    "publish",
    "read_version",
    "remove_leftovers",
    "remove_table_leftovers",
    "schema_to_json",
    "staging_path",
    "staging_root",
    "table_exists",
    "table_uri",
    "version_files",
]

"""Publishing: staged data committed atomically as versions of Delta Lake tables.

``deltalake`` and ``pyarrow`` are imported inside the functions, so importing this package is cheap.
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

"""Object-store settings of published tables: re-exported from :mod:`quanta.engine.objectstore`.

The engine layer owns them because it reads sources on object storage too; the storage layer uses the
same settings for the Delta tables it publishes (see ``docs/scale-out.md``).
"""

from quanta.engine.objectstore import CONFIG_KEYS, ENV_KEYS, arrow_filesystem, is_remote, storage_options

__all__ = ["CONFIG_KEYS", "ENV_KEYS", "arrow_filesystem", "is_remote", "storage_options"]

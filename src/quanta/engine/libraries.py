"""The third-party libraries a thread of work needs, imported before the threads start using them.

A build's product threads and the server's request threads all reach for DuckDB, pyarrow, delta-rs and
sqlglot. sqlglot's and pyarrow's modules import each other, so their first import must not happen in
two threads at once (see :func:`quanta.lazy.serial_importer`); each thread calls
:func:`import_engine_libraries` before its work. It costs about 0.4 s once per process, which the first
product or request would have paid anyway, and nothing after.
"""

from __future__ import annotations

from quanta.lazy import serial_importer

ENGINE_LIBRARIES = (
    "pyarrow",
    "pyarrow.parquet",
    "duckdb",
    "deltalake",
    "sqlglot",
    "sqlglot.dialects.duckdb",
)
"""Imported in this order; other sqlglot dialects load safely once sqlglot itself is whole."""

import_engine_libraries = serial_importer(*ENGINE_LIBRARIES)
"""Import :data:`ENGINE_LIBRARIES` once, one thread at a time (returns at once afterwards)."""

"""Engines behind one small protocol: DuckDB (embedded default), PostgreSQL (push-down) and plug-ins.

An engine is found by name through a lazy ``name -> "module:Class"`` map (:data:`ENGINES`) plus the
entry-point group ``quanta.engines``, so that importing :mod:`quanta.engine` loads neither DuckDB nor
psycopg. See :mod:`quanta.engine.base` for the protocol and ``docs/contract-tests.md`` for settings.
"""

from __future__ import annotations

from typing import Any

from quanta.engine.base import ENGINES, Engine, get_engine, table_expression

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "PostgresEngine", "get_engine", "table_expression"]


def __getattr__(name: str) -> Any:
    """Import the engine classes on first use (PEP 562), keeping ``import quanta.engine`` cheap."""
    if name == "DuckDBEngine":
        from quanta.engine.duckdb import DuckDBEngine

        return DuckDBEngine
    if name == "PostgresEngine":
        from quanta.engine.postgres import PostgresEngine

        return PostgresEngine
    raise AttributeError(f"module 'quanta.engine' has no attribute {name!r}")

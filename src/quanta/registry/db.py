"""Registry URLs and SQLAlchemy engines for SQLite and PostgreSQL.

The URL comes from ``QUANTA_REGISTRY_URL`` when set, else from ``mesh.yaml``'s ``registry``, else
:data:`DEFAULT_URL`; a relative SQLite path is relative to the mesh root. ``postgresql://`` and
``postgres://`` URLs use the psycopg 3 driver.

SQLite runs in WAL mode (readers never wait for the builder), with foreign keys on and a 30 s busy
timeout; write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue instead of failing
with "database is locked" when one upgrades its read lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

#: Environment variable whose value, when set, is the registry URL (it wins over ``mesh.yaml``).
ENV_URL = "QUANTA_REGISTRY_URL"
#: The registry of a mesh that configures none: a SQLite file inside the mesh.
DEFAULT_URL = "sqlite:///.quanta/registry.db"
#: Seconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_S = 30


def resolve_url(configured: str | None = None, base_dir: str | Path | None = None) -> str:
    """Return the registry URL to use.

    Args:
        configured: the URL from ``mesh.yaml`` (``registry``), if any.
        base_dir: folder a relative SQLite path is relative to (the mesh root); the working directory
            when ``None``.

    Returns:
        A SQLAlchemy URL: ``QUANTA_REGISTRY_URL`` if set, else ``configured``, else :data:`DEFAULT_URL`,
        with a relative SQLite path made absolute and ``postgresql://`` given the psycopg driver.

    Raises:
        ConfigError: the URL cannot be parsed or names an unsupported database.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = os.environ.get(ENV_URL) or configured or DEFAULT_URL
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(
            f"registry URL {raw!r} is not a database URL: use sqlite:///path/registry.db or "
            "postgresql+psycopg://user@host:5432/db (set in mesh.yaml 'registry' or QUANTA_REGISTRY_URL)."
        ) from exc
    backend = url.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not path.is_absolute():
                path = Path(base_dir or Path.cwd()) / path
            url = url.set(database=str(path.resolve()))
    else:
        raise ConfigError(
            f"registry URL {raw!r} names the {backend!r} database, which Quanta does not support: use "
            "sqlite:///... or postgresql+psycopg://..."
        )
    return url.render_as_string(hide_password=False)


def sqlite_path(url: str | URL) -> Path | None:
    """Return the database file of a SQLite URL, or ``None`` (in-memory, or not SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine of a registry (SQLite file or PostgreSQL server).

    Args:
        url: a URL from :func:`resolve_url`.

    Returns:
        The engine; for SQLite the database folder is created.
    """
    import sqlalchemy as sa
    from sqlalchemy import event

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses no commit
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection) -> None:
            write = connection.get_execution_options().get("quanta_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if url.startswith("sqlite"):
        from sqlalchemy.pool import StaticPool

        return sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    # a builder holds one connection per build lock and per product lock besides its sessions
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def conflict_insert(dialect: str) -> Any:
    """The SQLAlchemy ``insert`` construct with ``ON CONFLICT`` clauses for the registry's dialect.

    Both registry backends support ``INSERT ... ON CONFLICT DO NOTHING / DO UPDATE``, through dialect
    constructs of their own (``on_conflict_do_nothing``, ``on_conflict_do_update``).

    Args:
        dialect: the engine's ``dialect.name``: ``"postgresql"`` or ``"sqlite"``.

    Source: SQLAlchemy 2, "INSERT…ON CONFLICT (Upsert)" (PostgreSQL and SQLite dialects).
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert

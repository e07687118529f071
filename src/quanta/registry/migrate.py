"""Alembic migrations of the registry, run programmatically (no ``alembic.ini`` needed).

The migration scripts ship inside the package (``quanta/registry/migrations/versions``); one history serves
SQLite and PostgreSQL. :func:`upgrade` is called by :func:`quanta.registry.open_registry` every time a
registry is opened; it does nothing when the database is already at the head revision.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from quanta.errors import QuantaError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class RegistryVersionError(QuantaError):
    """The registry database was migrated by a newer Quanta than the one running."""

    exit_code = 2


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration pointing at the packaged migrations.

    Args:
        connection: an open connection the migrations run on (stored in ``config.attributes``).

    Returns:
        The configuration, usable with ``alembic.command`` functions.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision the installed Quanta knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


#: The newest migration. Opening a registry that is already there needs no Alembic (importing it costs
#: about 0.25 s of every command); ``tests/registry/test_migrations.py`` checks this against Alembic's
#: script directory, so a new revision that does not update it fails the suite.
HEAD_REVISION = "0004_accounts"


def _at_head(engine: Engine) -> bool:
    """Tell, with plain SQL, whether the database is exactly at :data:`HEAD_REVISION`."""
    with engine.connect() as conn:
        return _connection_at_head(conn)


def _connection_at_head(conn: Connection) -> bool:
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return False
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    return [row[0] for row in rows] == [HEAD_REVISION]


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    """Let one process at a time migrate the registry.

    On SQLite Alembic commits after each revision (SQLite DDL is not "transactional DDL" for Alembic), so
    ``BEGIN IMMEDIATE`` alone would let a second process slip in between two revisions of the first and
    apply one again ("table ... already exists"). An ``flock`` on a file beside the database is held for
    the whole upgrade; the revision is read again once it is held.
    """
    from quanta.registry.db import sqlite_path

    path = sqlite_path(conn.engine.url) if conn.dialect.name == "sqlite" else None
    if path is not None:
        from quanta.registry.locks import MeshLock

        lock = MeshLock(path.with_name(path.name + ".migrate.lock"), timeout=None)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
    elif conn.dialect.name == "postgresql":
        from sqlalchemy import text

        from quanta.registry.locks import advisory_key

        key = advisory_key("migrations")
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
    else:
        yield


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (the newest by default).

    Concurrent callers on PostgreSQL are serialised with an advisory lock; on SQLite the migration runs
    in one ``BEGIN IMMEDIATE`` transaction, which serialises writers of the file.

    Args:
        engine: the registry's engine.
        revision: an Alembic revision id, or ``"head"``.

    Raises:
        RegistryVersionError: the database is at a revision this Quanta does not know (it was migrated by
            a newer version).
    """
    if revision == "head" and _at_head(engine):
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise RegistryVersionError(
            f"the registry database is at migration {current!r}, which this Quanta does not know: it was "
            "created by a newer Quanta. Upgrade Quanta (or point QUANTA_REGISTRY_URL at another registry)."
        )
    if revision == "head" and current == script.get_current_head():
        return
    with engine.connect().execution_options(quanta_write=True) as conn, _migration_lock(conn):
        if revision == "head" and _connection_at_head(conn):  # another process migrated it meanwhile
            return
        command.upgrade(alembic_config(conn), revision)
        conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database schema back to ``revision`` (``"base"`` drops every registry table).

    Args:
        engine: the registry's engine.
        revision: an Alembic revision id, ``"base"``, or a relative step such as ``"-1"``.
    """
    from alembic import command

    with engine.connect().execution_options(quanta_write=True) as conn, _migration_lock(conn):
        command.downgrade(alembic_config(conn), revision)
        conn.commit()

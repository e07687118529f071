"""Opening a registry: resolve the URL, connect, migrate the schema to the newest revision."""

from __future__ import annotations

from pathlib import Path

from quanta.errors import ConnectionFailed
from quanta.registry.reader import RegistryReader
from quanta.registry.writer import Registry


def open_registry(
    url: str | None = None, *, base_dir: str | Path | None = None, migrate: bool = True
) -> Registry:
    """Open (and create or migrate) the registry at ``url``.

    Args:
        url: a SQLAlchemy URL (``sqlite:///.quanta/registry.db``, ``postgresql+psycopg://user@host/db``);
            ``QUANTA_REGISTRY_URL`` wins when set; :data:`quanta.registry.db.DEFAULT_URL` when both are
            missing.
        base_dir: folder a relative SQLite path is relative to (the mesh root).
        migrate: run the Alembic migrations up to the newest revision (the default).

    Returns:
        A :class:`Registry` (reader and writer). Close it, or use it as a context manager.

    Raises:
        ConfigError: the URL is not a supported database URL.
        ConnectionFailed: the database server cannot be reached.
        RegistryVersionError: the database was migrated by a newer Quanta.
    """
    from sqlalchemy.exc import OperationalError

    from quanta.registry import db
    from quanta.registry import migrate as migrations

    resolved = db.resolve_url(url, base_dir)
    engine = db.create_engine(resolved)
    try:
        if migrate:
            migrations.upgrade(engine)
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        engine.dispose()
        from sqlalchemy.engine import make_url

        shown = make_url(resolved).render_as_string(hide_password=True)
        raise ConnectionFailed(
            f"cannot open the registry at {shown}: {str(exc.orig).strip().splitlines()[0]}. Check the "
            f"'registry' URL in mesh.yaml or {db.ENV_URL}, and that the database server is running."
        ) from exc
    return Registry(engine, resolved)


def open_reader(url: str | None = None, *, base_dir: str | Path | None = None) -> RegistryReader:
    """Open the registry for reading only (what the API needs); migrations run as in :func:`open_registry`."""
    registry = open_registry(url, base_dir=base_dir)
    return RegistryReader(registry.engine, registry.url)

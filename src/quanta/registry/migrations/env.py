"""Alembic environment of the registry: runs migrations on the connection Quanta hands over.

Quanta runs migrations programmatically (:func:`quanta.registry.migrate.upgrade`), passing an open
connection in ``config.attributes["connection"]``; the ``alembic`` command line works too with
``-x url=...`` (see ``docs/registry-and-storage.md``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from quanta.registry.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - command-line use
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()

"""The PostgreSQL test server starts, accepts SQL and gives each test its own database."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres


def test_fresh_database_answers_sql(postgres_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 40 + 2")).scalar_one() == 42
        tables = sa.text("select count(*) from pg_tables where schemaname = 'public'")
        assert conn.execute(tables).scalar_one() == 0
    engine.dispose()

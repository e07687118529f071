"""Alembic migrations: upgrade, downgrade and upgrade again on both backends; models equal migrations;
an old registry file kept in the tests upgrades and keeps its data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from quanta.registry import RegistryVersionError, open_registry
from quanta.registry.db import create_engine, resolve_url
from quanta.registry.migrate import current_revision, downgrade, head_revision, upgrade
from quanta.registry.models import Base

OLD_DATABASE = Path(__file__).with_name("data") / "registry-0001_core.db"


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_is_clean(registry_url: str) -> None:
    engine = create_engine(resolve_url(registry_url))
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == set(Base.metadata.tables)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert _tables(engine) == set()
        upgrade(engine)
        assert _tables(engine) == set(Base.metadata.tables)
        upgrade(engine)  # at head already: nothing to do
    finally:
        engine.dispose()


def test_models_and_migrations_describe_the_same_schema(registry_url: str) -> None:
    """Fails when a model changes without an Alembic revision (see docs/registry-and-storage.md)."""
    engine = create_engine(resolve_url(registry_url))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_an_old_registry_file_upgrades_and_keeps_its_data(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, copy)
    engine = create_engine(f"sqlite:///{copy}")
    assert current_revision(engine) == "0001_core"
    engine.dispose()
    with open_registry(f"sqlite:///{copy}") as registry:
        assert current_revision(registry.engine) == head_revision()
        [product] = registry.products()
        assert (product.key, product.owner_team) == ("reference.airports", "reference-team")
        snapshot = registry.latest_snapshot("reference", "airports", "airports")
        assert snapshot is not None and snapshot.row_count == 1458
        [run] = registry.last_runs()
        assert run.status == "passed" and run.steps == {"transform": 0.5}
        assert registry.check_results(run.id)[0].rule_name == "faa unique"
        assert registry.certifications("reference", "airports")[0].status == "OK"
        assert [e.type for e in registry.events()][-1] == "certification.recorded"


def test_a_registry_from_a_newer_quanta_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_registry(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(RegistryVersionError, match="created by a newer Quanta"):
        open_registry(url)


def test_registry_url_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quanta.errors import ConfigError

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    assert resolve_url(None, tmp_path) == f"sqlite:///{tmp_path.resolve() / '.quanta' / 'registry.db'}"
    assert resolve_url("postgresql://u@h:5432/db").startswith("postgresql+psycopg://u@h:5432/db")
    monkeypatch.setenv("QUANTA_REGISTRY_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert resolve_url("sqlite:///ignored.db", tmp_path).endswith("env.db")
    monkeypatch.setenv("QUANTA_REGISTRY_URL", "mysql://u@h/db")
    with pytest.raises(ConfigError, match="does not support"):
        resolve_url()
    monkeypatch.setenv("QUANTA_REGISTRY_URL", "not a url")
    with pytest.raises(ConfigError, match="is not a database URL"):
        resolve_url()


def test_an_unreachable_postgresql_server_is_a_connection_error() -> None:
    from quanta.errors import ConnectionFailed

    with pytest.raises(ConnectionFailed, match="cannot open the registry"):
        open_registry("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_the_fast_path_knows_the_newest_migration() -> None:
    """``HEAD_REVISION`` (which lets an up-to-date registry open without Alembic) is Alembic's head."""
    from quanta.registry.migrate import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_an_up_to_date_registry_opens_again_and_an_older_one_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_registry(url).close()
    engine = create_engine(url)
    assert current_revision(engine) == head_revision()
    downgrade(engine, "0003_marketplace")
    assert current_revision(engine) == "0003_marketplace"
    engine.dispose()
    open_registry(url).close()  # not at head any more: the fast path must not skip the upgrade
    engine = create_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_process_waiting_to_migrate_a_sqlite_registry_finds_it_migrated(tmp_path: Path) -> None:
    """Alembic commits after each revision on SQLite, so migrating processes take turns under a file
    lock for the whole upgrade, and one that waited reads the revision again instead of re-applying it
    ("table ... already exists")."""
    import subprocess
    import sys
    import time

    from alembic import command

    from quanta.registry.locks import MeshLock
    from quanta.registry.migrate import alembic_config

    database = tmp_path / "registry.db"
    url = f"sqlite:///{database}"
    lock = MeshLock(tmp_path / "registry.db.migrate.lock", timeout=0)
    lock.acquire()
    try:
        waiting = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from quanta.registry import open_registry\nopen_registry({url!r}).close()",
            ],
            stderr=subprocess.PIPE,
        )
        time.sleep(2.0)
        assert waiting.poll() is None, "the second process must wait for the migration lock"
        engine = create_engine(url)  # this process, holding the lock, migrates meanwhile
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), "head")
            conn.commit()
        engine.dispose()
    finally:
        lock.release()
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err.decode()
    with open_registry(url) as registry:
        assert registry.products() == []

"""Shared test fixtures and the rule for optional components.

A test that needs a component a developer's machine may lack (a PostgreSQL server, Chromium, Java)
calls :func:`require` and is skipped with a message naming what is missing. In CI
(``QUANTA_REQUIRE_ALL_COMPONENTS=1``, set by ``.ci/run``) a missing component fails the test instead,
so CI can never go green by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def require(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) the calling test when a component is missing.

    Args:
        available: whether the component was found.
        what: what is missing and how to get it, e.g. ``"PostgreSQL server (apt install postgresql)"``.
    """
    if available:
        return
    if os.environ.get("QUANTA_REQUIRE_ALL_COMPONENTS") == "1":
        pytest.fail(f"missing component in CI: {what}")
    pytest.skip(f"missing component: {what}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole test session (see ``tests/support/postgres.py``)."""
    from tests.support.postgres import find_pg_bin, start_postgres

    require(find_pg_bin() is not None, "PostgreSQL server binaries (apt install postgresql)")
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark_connect():
    """A real Spark Connect server for the session of this worker (see ``tests/support/spark_connect.py``)."""
    from quanta.engine.spark import spark_available
    from tests.support.spark_connect import start_spark_connect

    missing = spark_available()
    require(missing is None, missing or "")
    server = start_spark_connect()
    yield server
    server.stop()


@pytest.fixture()
def postgres_url(postgres_server, request) -> str:
    """SQLAlchemy URL of a fresh, empty database on the session's PostgreSQL server."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    return postgres_server.create_database(name)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto in server mode) for the session (see ``tests/support/s3.py``)."""
    import importlib.util

    require(importlib.util.find_spec("moto") is not None, "moto[server] (make sync installs it)")
    from tests.support.s3 import start_s3

    server = start_s3()
    yield server
    server.stop()


@pytest.fixture()
def s3_env(s3_server, monkeypatch):
    """Point Quanta's object-store settings at the test S3 server through the ``AWS_*`` variables."""
    for key, value in s3_server.environment().items():
        monkeypatch.setenv(key, value)
    return s3_server

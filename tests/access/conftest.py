"""Fixtures of the access tests: a real mesh folder with published Delta tables and a real registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.access.meshes import write_mesh


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    """A fresh copy of the access test mesh, every port published once."""
    return write_mesh(tmp_path / "mesh")


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request, mesh: Path) -> str:
    """The registry URL: a SQLite file in the mesh, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{mesh / '.quanta' / 'registry.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture()
def service(mesh: Path, registry_url: str):
    """The access service of the test mesh on a migrated registry."""
    from quanta.access.service import AccessService
    from quanta.registry import open_registry

    registry = open_registry(registry_url)
    yield AccessService(registry, mesh)
    registry.close()


@pytest.fixture()
def sqlite_service(mesh: Path):
    """The access service on the mesh's SQLite registry only (for the larger tests)."""
    from quanta.access.service import AccessService
    from quanta.registry import open_registry

    registry = open_registry(f"sqlite:///{mesh / '.quanta' / 'registry.db'}")
    yield AccessService(registry, mesh)
    registry.close()

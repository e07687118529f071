"""Fixtures of the API tests: the test mesh served by a real uvicorn server."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.api.server import MESH, running


@pytest.fixture()
def mesh(tmp_path):
    """A private copy of the test mesh (three products in two domains)."""
    target = tmp_path / "mesh"
    shutil.copytree(MESH, target)
    return target


@pytest.fixture()
def app(mesh):
    """The marketplace app over the test mesh, anonymous discovery on."""
    from quanta.api import ServeSettings, create_app

    return create_app(ServeSettings(mesh_root=mesh, anonymous_discovery=True, webhook_backoff_seconds=0.05))


@pytest.fixture()
def base_url(app):
    """Base URL of a real uvicorn server serving ``app``."""
    with running(app) as url:
        yield url


@pytest.fixture()
def client(base_url):
    """An httpx client bound to the server."""
    with httpx.Client(base_url=base_url, timeout=120) as http:
        yield http

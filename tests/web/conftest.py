"""Fixtures of the browser tests: the full app (UI + API) on a real server, and headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api.server import MESH, running
from tests.conftest import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture()
def site(tmp_path):
    """Base URL of the marketplace (UI, API, gateway) over a copy of the test mesh."""
    from quanta.api import ServeSettings
    from quanta.web import create_app

    mesh = tmp_path / "mesh"
    shutil.copytree(MESH, mesh)
    app = create_app(ServeSettings(mesh_root=mesh, anonymous_discovery=True))
    with running(app) as url:
        yield url


@pytest.fixture()
def page():
    """A Playwright page in Debian's headless Chromium (never a downloaded browser)."""
    require(CHROMIUM.exists(), "Chromium (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 800})
        context.set_default_timeout(120_000)  # a busy CI machine: the first sample read imports DuckDB
        yield context.new_page()
        context.close()
        browser.close()


#: The password of the local account the ``account`` fixture gives ``olga``.
PASSWORD = "correct horse battery staple"


def sign_in(page, site: str, username: str = "olga", password: str = PASSWORD) -> None:
    """Sign in on the login page with a local account, in the browser; waits for the home page."""
    page.goto(site + "/ui/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in with password").click()
    page.wait_for_url(site + "/")


@pytest.fixture()
def account(site, tmp_path: Path, monkeypatch) -> str:
    """Give team member ``olga`` of the served mesh a local account; returns the site's base URL."""
    from quanta.access import accounts
    from quanta.access.session import open_service

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    service = open_service(tmp_path / "mesh")
    accounts.set_password(service, "olga", PASSWORD)
    service.store.engine.dispose()
    return site

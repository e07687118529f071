"""The whole marketplace journey in headless Chromium: search, open a product, request access, approve as
the owner, then see sample rows with personal data masked."""

from __future__ import annotations

import pytest

from tests.api.built import build_mesh
from tests.api.server import running

pytestmark = pytest.mark.browser


@pytest.fixture()
def built_site(tmp_path):
    from quanta.api import ServeSettings
    from quanta.web import create_app

    built = build_mesh(tmp_path / "mesh")
    with running(create_app(ServeSettings(mesh_root=built.root))) as url:
        yield url, built.tokens


def _sign_in(page, site: str, token: str) -> None:
    page.goto(site + "/ui/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(site + "/")


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_search_request_approve_and_query_sample(built_site, page):
    site, tokens = built_site
    page.goto(site + "/")
    assert "/ui/login" in page.url, "anonymous browsing is off by default"

    _sign_in(page, site, tokens["carl"])
    assert page.locator("#whoami").inner_text() == "carl"
    page.get_by_label("Search products").fill("crew")
    page.wait_for_selector("#result-count:has-text('1 product')")
    page.get_by_role("link", name="operations.flights").click()
    page.wait_for_url("**/ui/products/operations/flights")
    page.wait_for_selector("#sample-flights:has-text('access')")
    page.get_by_label("Purpose (required)").fill("Study departure delays per airport")
    page.get_by_role("button", name="Request access").click()
    page.wait_for_url("**/ui/access")
    assert page.locator("tbody tr td .badge").first.inner_text() == "requested"
    _sign_out(page)

    _sign_in(page, site, tokens["olga"])
    page.goto(site + "/ui/dashboard")
    row = page.locator("tr", has_text="Study departure delays per airport")
    assert row.locator("td").first.inner_text() == "carl"
    row.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/ui/dashboard")
    assert page.get_by_text("No request is waiting for you.").is_visible()
    _sign_out(page)

    _sign_in(page, site, tokens["carl"])
    page.goto(site + "/ui/access")
    assert page.locator("tbody tr td .badge").first.inner_text() == "active"
    page.goto(site + "/ui/products/operations/flights")
    sample = page.locator("#sample-flights table")
    sample.wait_for()
    headers = sample.locator("th").all_inner_texts()
    assert headers == ["flight_id", "origin", "dep_delay", "crew_email"]
    cells = sample.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[1] in {"JFK", "LGA", "EWR"}
    assert "@" not in cells[3], "the crew e-mail is masked for this agreement"


def test_forms_without_the_csrf_token_are_refused(built_site, page):
    site, tokens = built_site
    _sign_in(page, site, tokens["carl"])
    response = page.request.post(
        site + "/ui/products/operations/flights/request",
        form={"port": "flights", "purpose": "no token"},
    )
    assert response.status == 403

"""The marketplace in a real browser: search as you type, facets, a product page, lineage click-through."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_search_as_you_type_then_open_a_product(site, page):
    page.goto(site + "/")
    assert page.locator(".tile").count() == 3
    page.get_by_label("Search products").fill("delay")
    page.wait_for_selector("#result-count:has-text('2 products')")
    titles = page.locator(".tile h3").all_inner_texts()
    assert set(titles) == {"operations.flights", "operations.route_performance"}
    assert "q=delay" in page.url, "the search is kept in the address bar"
    page.get_by_role("link", name="operations.flights").click()
    page.wait_for_url("**/ui/products/operations/flights")
    assert page.get_by_role("heading", level=1).inner_text().startswith("operations.flights")
    pii_rows = page.locator("tr:has(.badge.pii) code").all_inner_texts()
    assert pii_rows == ["crew_email"]


def test_facets_narrow_the_results(site, page):
    page.goto(site + "/")
    page.get_by_role("group", name="Domain").get_by_label("reference").check()
    page.wait_for_selector("#result-count:has-text('1 product')")
    assert page.locator(".tile h3").all_inner_texts() == ["reference.airports"]


def test_lineage_graph_is_drawn_and_clickable(site, page):
    page.goto(site + "/ui/products/operations/flights")
    graph = page.locator("svg.lineage")
    assert graph.get_attribute("role") == "img"
    assert graph.locator("path.edge").count() >= 3, "edges are drawn, not listed"
    page.locator("svg.lineage a[aria-label='product reference.airports']").click()
    page.wait_for_url("**/ui/products/reference/airports")
    assert page.locator("svg.lineage .node.current text").text_content() == "reference.airports"

"""The product page's SLA status, the runs page's check results and agreements in the lineage graph.

Over HTTP against a real uvicorn server serving the full app (UI and API) on a built copy of the test mesh:
the values on the pages are the ones the build recorded, as the API serves them.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.api.built import build_mesh
from tests.api.server import bearer_client, running

#: An SLA objective the build can measure, and the server it probes, added to the airports contract.
AVAILABILITY = """  - property: availability
    value: 99.9
    unit: percent
servers:
  - server: published
    type: local
    path: sources/airports.csv
    format: csv
"""


def _probe_airports(root):
    contract = root / "domains/reference/airports/contracts/airports.odcs.yaml"
    contract.write_text(contract.read_text(encoding="utf-8") + AVAILABILITY, encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The test mesh, airports with an ``availability`` SLA, built, with tokens for carl (analyst), olga
    (operations) and rita (reference)."""
    return build_mesh(tmp_path_factory.mktemp("built") / "mesh", _probe_airports)


@pytest.fixture(scope="module")
def site(built):
    """Base URL of the full app over the built mesh, anonymous discovery on."""
    from quanta.api import ServeSettings
    from quanta.web import create_app

    with running(create_app(ServeSettings(mesh_root=built.root, anonymous_discovery=True))) as url:
        yield url


class _Rows(HTMLParser):
    """The text of each cell of each ``<tr>`` inside the element whose ``id`` is ``within``."""

    def __init__(self, within: str) -> None:
        super().__init__()
        self.within, self.depth, self.rows = within, 0, []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.within:
            self.depth = 1
        if not self.depth:
            return
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None
        self.depth -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows(page: str, element_id: str) -> list[list[str]]:
    """Cell texts of the table rows inside the element ``element_id`` of ``page``."""
    parser = _Rows(element_id)
    parser.feed(page)
    return parser.rows


def _cells(row: str) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in row.split("</td>")][:6]


def test_product_page_shows_the_latest_sla_status_the_api_serves(built, site):
    with httpx.Client(base_url=site, timeout=120) as http:
        latency, availability = http.get("/api/v1/products/reference.airports/ports/airports/sla").json()[
            "slaProperties"
        ]
        (last_run,) = http.get("/api/v1/products/reference.airports/ports/airports/checks?limit=1").json()
        page = http.get("/ui/products/reference/airports")
    recorded = {r["ruleId"]: r for r in last_run["results"]}
    assert latency["objective"] == {"value": 1, "unit": "d"}
    assert latency["status"] == recorded["sla.latency"]["status"] == "not_evaluated"
    assert latency["measured"] is None and latency["reason"] == recorded["sla.latency"]["message"]
    assert "names no element" in latency["reason"], "the build's reason, not a placeholder"
    probe = recorded["sla.availability.published"]
    assert availability["objective"] == {"value": 99.9, "unit": "percent"}
    assert (
        (availability["status"], availability["measured"])
        == ("passed", 1.0)
        == (
            probe["status"],
            probe["metricValue"],
        )
    )
    assert availability["reason"] == probe["message"]
    assert availability["reason"] == f"server published: {built.root / 'sources/airports.csv'} is readable"

    assert page.status_code == 200
    (latency_row,) = re.findall(r'<tr data-sla="latency">(.*?)</tr>', page.text, re.S)
    assert _cells(latency_row) == ["latency", "1 d", "", "not evaluated", "—", latency["reason"]]
    (availability_row,) = re.findall(r'<tr data-sla="availability">(.*?)</tr>', page.text, re.S)
    assert _cells(availability_row) == [
        "availability",
        "99.9 percent",
        "",
        "passed",
        "1.0",
        availability["reason"],
    ]


def test_runs_page_lists_every_check_result_of_each_run(built, site):
    from quanta.registry import open_registry

    with httpx.Client(base_url=site, timeout=120) as http:
        history = http.get("/api/v1/products/reference.airports/ports/airports/checks?limit=1").json()
        page = http.get("/ui/runs").text
    (run,) = history
    with open_registry(None, base_dir=built.root) as registry:
        (snapshot,) = registry.snapshots("reference", "airports")
    assert snapshot.run_id == run["run"] and snapshot.row_count
    (summary,) = rows(page, f"run-row-{run['run']}")
    assert summary[0] == "reference.airports" and summary[3] == f"{snapshot.row_count:,}"
    assert run["results"], "the build recorded checks of the port"
    shown = [r for r in rows(page, f"run-{run['run']}") if r[1] == "airports"]

    def cell(value):
        return "—" if value is None else str(value)

    expected = [
        [
            r["ruleName"] or r["ruleId"],
            r["port"],
            r["element"] or "",
            r["status"].replace("_", " "),
            f"{cell(r['metricValue'])} {r['unit'] or ''}".strip(),
            f"{r['operator'] or ''} {r['threshold']}".strip() if r["threshold"] is not None else "—",
            r["severity"] or "",
            r["message"] or "",
        ]
        for r in run["results"]
    ]
    assert shown == expected
    unique = next(r for r in shown if r[0] == "airports primary key (faa) unique")
    assert unique[3:6] == ["passed", "0.0 rows", "mustBe 0"], "0 duplicate rows measured, 0 allowed"


def _agreement_edges(graph: dict) -> list[dict]:
    return [e for e in graph["edges"] if e["kind"] == "agreement"]


def test_lineage_shows_active_agreements_to_those_allowed_only(built, site):
    carl, olga, rita = (bearer_client(site, built.tokens[name]) for name in ("carl", "olga", "rita"))
    anonymous = httpx.Client(base_url=site, timeout=120)
    focus = {"product": "operations.flights"}
    requested = carl.post(
        "/api/v1/agreements", json={"port": "operations.flights.flights", "purpose": "delay study"}
    ).json()
    assert _agreement_edges(carl.get("/api/v1/lineage", params=focus).json()) == [], "requested only"
    olga.post(f"/api/v1/agreements/{requested['id']}/approve", json={"reason": "fine"}).raise_for_status()

    expected = {
        "source": "port:operations.flights.flights",
        "target": "consumer:carl",
        "kind": "agreement",
        "agreement": requested["id"],
        "consumer": "carl",
        "purpose": "delay study",
        "state": "active",
    }
    for viewer in (carl, olga):  # the consumer and the owner team
        graph = viewer.get("/api/v1/lineage", params=focus).json()
        assert _agreement_edges(graph) == [expected]
        consumer = next(n for n in graph["nodes"] if n["id"] == "consumer:carl")
        assert (consumer["kind"], consumer["label"], consumer["consumerKind"]) == ("consumer", "carl", "user")
    assert _agreement_edges(carl.get("/api/v1/lineage").json()) == [expected], "whole mesh too"
    for viewer in (rita, anonymous):  # neither party nor owner; anonymous discovery
        graph = viewer.get("/api/v1/lineage", params=focus).json()
        assert _agreement_edges(graph) == [] and not [n for n in graph["nodes"] if n["kind"] == "consumer"]

    drawn = carl.get("/ui/products/operations/flights").text
    assert '<g class="node consumer">' in drawn and ">carl</text>" in drawn
    assert f"agreement {requested['id']} of carl: delay study" in html.unescape(drawn)
    assert '<path class="edge agreement"' in drawn
    hidden = anonymous.get("/ui/products/operations/flights").text
    assert "node consumer" not in hidden and requested["id"] not in hidden
    for client in (carl, olga, rita, anonymous):
        client.close()


def test_check_results_open_with_the_keyboard_in_a_browser(site, page):
    with httpx.Client(base_url=site, timeout=120) as http:
        (run,) = http.get("/api/v1/products/reference.airports/ports/airports/checks?limit=1").json()
    unique = next(r for r in run["results"] if r["ruleId"] == "airports.primaryKey.duplicateValues")
    page.goto(site + "/ui/runs")
    details = page.locator(f"#run-{run['run']}")
    row = details.locator(f"tr[data-rule='{unique['ruleId']}']")
    assert not row.is_visible(), "closed until asked"
    details.locator("summary").focus()
    page.keyboard.press("Enter")
    assert row.is_visible()
    assert row.locator("td").nth(4).inner_text().strip() == f"{unique['metricValue']} {unique['unit']}"

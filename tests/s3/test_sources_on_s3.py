"""Sources on a real S3-compatible server (moto): ODCS ``servers`` entries of ``type: s3``.

Each format is written to the bucket, read back through :mod:`quanta.engine.sources` into DuckDB and
queried; the identity that decides "unchanged" follows the objects; a missing object is reported as
unavailable, and ``quanta test`` checks a contract whose data lives in the bucket.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quanta.engine import objectstore, sources
from quanta.engine.duckdb import DuckDBEngine

pytestmark = pytest.mark.s3

ROWS = pa.table({"carrier": ["AA", "UA", "B6"], "flights": [10, 20, None]})


def _put(server, bucket: str, key: str, body: bytes) -> None:
    server.client().put_object(Bucket=bucket, Key=key, Body=body)


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _read(server: dict, name: str = "carriers") -> list[dict]:
    with DuckDBEngine() as engine:
        table = sources.register_object(engine, server, name, None, None)
        return engine.query(f'SELECT * FROM "{table}" ORDER BY carrier').read_all().to_pylist()


@pytest.fixture()
def bucket(s3_env) -> str:
    import uuid

    return s3_env.create_bucket(f"sources-{uuid.uuid4().hex[:8]}")[len("s3://") :]


def test_parquet_objects_under_a_glob_are_read_as_one_table(s3_env, bucket) -> None:
    _put(s3_env, bucket, "raw/carriers/part-0.parquet", _parquet(ROWS.slice(0, 2)))
    _put(s3_env, bucket, "raw/carriers/part-1.parquet", _parquet(ROWS.slice(2)))
    _put(s3_env, bucket, "raw/carriers/_SUCCESS", b"")
    glob = {"server": "lake", "type": "s3", "location": f"s3://{bucket}/raw/{{model}}/*.parquet"}
    prefix = {"server": "lake", "type": "s3", "location": f"s3://{bucket}/raw/carriers/", "format": "parquet"}
    expected = sorted(ROWS.to_pylist(), key=lambda row: row["carrier"])
    assert _read(glob) == expected
    assert _read(prefix) == expected, "a prefix lists every data object, markers left out"


def test_csv_with_a_null_token_and_json_lines(s3_env, bucket) -> None:
    _put(s3_env, bucket, "raw/carriers.csv", b"carrier,flights\nAA,10\nUA,20\nB6,NA\n")
    csv = {
        "server": "lake",
        "type": "s3",
        "location": f"s3://{bucket}/raw/carriers.csv",
        "format": "csv",
        "customProperties": [{"property": "quantaNullValue", "value": "NA"}],
    }
    assert _read(csv) == [
        {"carrier": "AA", "flights": 10},
        {"carrier": "B6", "flights": None},
        {"carrier": "UA", "flights": 20},
    ]
    lines = "\n".join(json.dumps(row) for row in ROWS.to_pylist()).encode()
    _put(s3_env, bucket, "raw/carriers.json", lines)
    records = _read({"type": "s3", "location": f"s3://{bucket}/raw/carriers.json", "format": "json"})
    assert [row["carrier"] for row in records] == ["AA", "B6", "UA"]


def test_a_delta_table_in_the_bucket(s3_env, bucket) -> None:
    from quanta import storage

    uri = f"s3://{bucket}/tables/carriers"
    storage.publish(ROWS, uri, run_id="r1")
    server = {"server": "lake", "type": "s3", "location": uri, "format": "delta"}
    assert len(_read(server)) == 3
    assert sources.probe(server, None)[0] is True


def test_the_identity_changes_when_an_object_is_rewritten(s3_env, bucket) -> None:
    location = f"s3://{bucket}/raw/carriers.parquet"
    options = objectstore.storage_options(location)
    assert objectstore.object_identity(location, options) == "missing"
    _put(s3_env, bucket, "raw/carriers.parquet", _parquet(ROWS))
    first = objectstore.object_identity(location, options)
    assert first == objectstore.object_identity(location, options), "stable while nothing changes"
    _put(s3_env, bucket, "raw/carriers.parquet", _parquet(ROWS.slice(0, 1)))
    assert objectstore.object_identity(location, options) not in (first, "missing")


def test_a_missing_object_is_reported_unavailable(s3_env, bucket) -> None:
    server = {"server": "lake", "type": "s3", "location": f"s3://{bucket}/raw/nothing.csv"}
    ok, why = sources.probe(server, None)
    assert ok is False and f"s3://{bucket}/raw/nothing.csv" in why
    with pytest.raises(Exception, match="no object matches"):
        _read(server)
    ok, why = sources.probe({"server": "lake", "type": "s3", "location": "/not/a/uri"}, None)
    assert ok is False and "s3://bucket/key" in why


def test_quanta_test_checks_a_contract_whose_data_is_in_the_bucket(s3_env, bucket, tmp_path) -> None:
    import subprocess
    import sys

    _put(s3_env, bucket, "raw/carriers.parquet", _parquet(ROWS))
    contract = tmp_path / "carriers.odcs.yaml"
    contract.write_text(
        f"""apiVersion: v3.1.0
kind: DataContract
id: source.carriers
version: 1.0.0
status: active
servers:
  - server: lake
    type: s3
    location: s3://{bucket}/raw/{{model}}.parquet
    format: parquet
schema:
  - name: carriers
    properties:
      - name: carrier
        logicalType: string
        required: true
      - name: flights
        logicalType: integer
        required: true
""",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "test", str(contract), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert [r["element"] for r in failed] == ["carriers.flights"], done.stdout
    assert done.returncode == 1, "a blocking check failed on the data in the bucket"


def test_a_build_reruns_a_product_only_when_its_source_in_the_bucket_changes(
    s3_env, bucket, tmp_path, monkeypatch
) -> None:
    import shutil
    import subprocess
    import sys

    from quanta.spec.loader import dump_yaml, load_yaml
    from tests.api.server import MESH

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    root = tmp_path / "mesh"
    shutil.copytree(MESH, root)
    source = (root / "sources" / "airports.csv").read_bytes()
    _put(s3_env, bucket, "raw/airports.csv", source)
    path = root / "domains" / "reference" / "airports" / "contracts" / "source.odcs.yaml"
    contract = load_yaml(path).data
    contract["servers"] = [
        {"server": "lake", "type": "s3", "location": f"s3://{bucket}/raw/airports.csv", "format": "csv"}
    ]
    path.write_text(dump_yaml(contract), encoding="utf-8")

    def build() -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "quanta.cli.app", "build", "--format", "json", "--mesh", str(root)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.stdout, done.stderr
        return {p["product"]: p["status"] for p in json.loads(done.stdout)["products"]}

    assert build()["reference.airports"] == "published"
    assert set(build().values()) == {"skipped"}, "nothing changed in the bucket"
    _put(s3_env, bucket, "raw/airports.csv", source + b"SFO,San Francisco Intl,13\n")
    assert build()["reference.airports"] == "published", "the object was rewritten"

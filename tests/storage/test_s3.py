"""Published tables and sources on a real S3-compatible server (moto in server mode)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from quanta.errors import ConfigError
from quanta.storage import delta
from quanta.storage.objectstore import arrow_filesystem, storage_options

pytestmark = pytest.mark.s3

#: Fail fast rather than wait out the client's default retries when something is wrong.
CLIENT = {"timeout": "20s"}


def test_publish_list_and_time_travel_on_s3(s3_env) -> None:
    bucket = s3_env.create_bucket("mesh-publish")
    uri = f"{bucket}/tables/operations/flights/flights"
    options = storage_options(uri, CLIENT)
    first = delta.publish(pa.table({"id": [1, 2]}), uri, run_id="r1", storage_options=options)
    second = delta.publish(pa.table({"id": [1, 2, 3]}), uri, run_id="r2", storage_options=options)
    assert (first.version, second.version) == (0, 1)
    assert delta.latest_version(uri, storage_options=options) == 1
    assert delta.read_version(uri, 0, storage_options=options).to_table().num_rows == 2
    assert delta.read_version(uri, storage_options=options).to_table().num_rows == 3
    assert {v.run_id for v in delta.list_versions(uri, storage_options=options)} >= {"r1", "r2"}


def test_sources_are_read_through_pyarrow_s3(s3_env) -> None:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    bucket = s3_env.create_bucket("mesh-sources")
    uri = f"{bucket}/raw/airlines.parquet"
    filesystem, path = arrow_filesystem(uri, storage_options(uri))
    pq.write_table(pa.table({"carrier": ["AA", "UA"]}), path, filesystem=filesystem)
    table = ds.dataset(path, filesystem=filesystem, format="parquet").to_table()
    assert table.column("carrier").to_pylist() == ["AA", "UA"]


def test_credentials_never_come_from_configuration() -> None:
    with pytest.raises(ConfigError, match="credentials come only from the environment"):
        storage_options("s3://bucket/x", {"secret_access_key": "abc"})
    with pytest.raises(ConfigError, match="unknown storage_options key"):
        storage_options("s3://bucket/x", {"colour": "blue"})
    assert storage_options("/local/path") is None


def test_configuration_fills_what_the_environment_leaves_unset(monkeypatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ALLOW_HTTP"):
        monkeypatch.delenv(key, raising=False)
    options = storage_options("s3://b/x", {"endpoint": "http://127.0.0.1:9000", "allow_http": True})
    assert options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert options["AWS_ALLOW_HTTP"] == "true"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9999")
    assert storage_options("s3://b/x", {"endpoint": "http://127.0.0.1:9000"})["AWS_ENDPOINT_URL"].endswith(
        "9999"
    )

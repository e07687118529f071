"""Uncommitted leftovers are removed from a table on a real S3-compatible server (moto in server mode)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from quanta import storage
from quanta.storage.objectstore import arrow_filesystem, storage_options

pytestmark = pytest.mark.s3


def test_remove_table_leftovers_on_s3_keeps_every_version(s3_env) -> None:
    bucket = s3_env.create_bucket("mesh-leftovers")
    uri = f"{bucket}/tables/operations/flights/flights"
    options = storage_options(uri, {"timeout": "20s"})
    storage.publish(pa.table({"id": [1, 2]}), uri, run_id="r1", storage_options=options)
    storage.publish(pa.table({"id": [1, 2, 3]}), uri, run_id="r2", storage_options=options)
    filesystem, base = arrow_filesystem(uri, options)
    with filesystem.open_output_stream(f"{base}/part-00000-orphan.snappy.parquet") as out:
        out.write(b"data a killed writer left before its commit")

    removed = storage.remove_table_leftovers(uri, storage_options=options)

    assert removed == ["part-00000-orphan.snappy.parquet"]
    assert storage.read_version(uri, 0, storage_options=options).count_rows() == 2
    assert storage.read_version(uri, 1, storage_options=options).count_rows() == 3
    assert storage.remove_table_leftovers(uri, storage_options=options) == []

"""Publishing to real Delta tables on disk, read back independently with deltalake and DuckDB."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from quanta import storage
from quanta.errors import ConfigError


def _table(n: int, tag: str = "v") -> pa.Table:
    return pa.table({"id": pa.array(range(n), pa.int64()), "tag": pa.array([tag] * n)})


@pytest.fixture()
def uri(tmp_path: Path) -> str:
    return storage.table_uri(tmp_path / "tables", "operations", "flights", "flights")


def test_table_uri_is_storage_domain_product_port(tmp_path: Path) -> None:
    assert storage.table_uri(tmp_path, "reference", "airports", "airports") == str(
        tmp_path.resolve() / "reference" / "airports" / "airports"
    )
    assert storage.table_uri("s3://bucket/mesh/", "a", "b", "c") == "s3://bucket/mesh/a/b/c"
    with pytest.raises(ConfigError, match="cannot be used in a table location"):
        storage.table_uri(tmp_path, "..", "b", "c")


def test_publish_commits_one_version_with_quanta_metadata(uri: str) -> None:
    published = storage.publish(
        _table(5),
        uri,
        run_id="run-1",
        contract_id="operations.flights.flights",
        contract_version="1.2.0",
        fingerprint="abc",
    )
    assert (published.version, published.row_count) == (0, 5)
    assert [f["name"] for f in published.schema] == ["id", "tag"]
    table = DeltaTable(uri)  # independent reader
    assert table.version() == 0
    commit = table.history(1)[0]
    assert commit["quanta.runId"] == "run-1"
    assert commit["quanta.contractId"] == "operations.flights.flights"
    assert commit["quanta.contractVersion"] == "1.2.0"
    assert commit["quanta.fingerprint"] == "abc"
    [version] = storage.list_versions(uri)
    assert (version.run_id, version.contract_version, version.rows_added) == ("run-1", "1.2.0", 5)


def test_each_publish_overwrites_as_a_new_version_and_time_travel_reads_old_ones(uri: str) -> None:
    for i in range(3):
        assert storage.publish(_table(i + 1, f"v{i}"), uri, run_id=f"r{i}").version == i
    assert storage.latest_version(uri) == 2
    assert [v.version for v in storage.list_versions(uri)] == [2, 1, 0]
    for i in range(3):
        data = storage.read_version(uri, i).to_table()
        assert data.num_rows == i + 1
        assert set(data.column("tag").to_pylist()) == {f"v{i}"}
    files = DeltaTable(uri).file_uris()  # DuckDB reads the latest version's files (no extension download)
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone() == (3,)


def test_publish_streams_parquet_files_folders_readers_datasets_and_duckdb(uri: str, tmp_path: Path) -> None:
    file = tmp_path / "staged.parquet"
    pq.write_table(_table(7), file)
    assert storage.publish(file, uri, run_id="file").row_count == 7
    folder = tmp_path / "staged"
    folder.mkdir()
    pq.write_table(_table(3), folder / "part-0.parquet")
    pq.write_table(_table(4), folder / "part-1.parquet")
    assert storage.publish(folder, uri, run_id="dir").row_count == 7
    reader = pa.RecordBatchReader.from_batches(_table(1).schema, _table(10).to_batches(max_chunksize=3))
    assert storage.publish(reader, uri, run_id="reader").row_count == 10
    assert storage.publish(pads.dataset(folder), uri, run_id="dataset").row_count == 7
    relation = duckdb.connect().sql("SELECT range AS id, 'x' AS tag FROM range(11)")
    assert storage.publish(relation, uri, run_id="duckdb").row_count == 11
    assert storage.read_version(uri).count_rows() == 11
    assert [v.run_id for v in storage.list_versions(uri)] == ["duckdb", "dataset", "reader", "dir", "file"]


def test_schema_may_change_between_versions_and_empty_data_publishes(uri: str) -> None:
    storage.publish(_table(2), uri, run_id="a")
    storage.publish(pa.table({"other": pa.array([], pa.float64())}), uri, run_id="b")
    assert storage.read_version(uri).schema.names == ["other"]
    assert storage.read_version(uri).count_rows() == 0
    assert storage.read_version(uri, 0).schema.names == ["id", "tag"]


def test_missing_table_version_or_staged_data_are_clear_errors(uri: str, tmp_path: Path) -> None:
    with pytest.raises(storage.TableNotFound, match="build the product first"):
        storage.read_version(uri)
    assert storage.list_versions(uri) == [] and storage.latest_version(uri) is None
    storage.publish(_table(1), uri, run_id="a")
    with pytest.raises(storage.StorageError, match="has no version 5"):
        storage.read_version(uri, 5)
    with pytest.raises(storage.StorageError, match="does not exist"):
        storage.publish(tmp_path / "nope.parquet", uri, run_id="b")
    with pytest.raises(storage.StorageError, match="cannot publish an object of type int"):
        storage.publish(42, uri, run_id="c")


def test_remove_leftovers_deletes_unreferenced_files_and_staging_but_keeps_time_travel(
    uri: str, tmp_path: Path
) -> None:
    root = tmp_path / "tables"
    storage.publish(_table(3), uri, run_id="a")
    storage.publish(_table(4), uri, run_id="b")
    # what a writer killed before its commit leaves: a data file no version references
    orphan = Path(uri) / "part-00000-orphan.snappy.parquet"
    shutil.copy(next(Path(uri).glob("part-*.parquet")), orphan)
    staged = storage.staging_path(root, "dead-run", "operations", "flights", "flights")
    staged.mkdir(parents=True)
    pq.write_table(_table(1), staged / "data.parquet")
    live = storage.staging_path(root, "live-run", "operations", "flights", "flights")
    live.mkdir(parents=True)

    removed = storage.remove_leftovers(root, keep_runs=["live-run"])

    assert f"{uri}/{orphan.name}" in removed
    assert not orphan.exists()
    assert not staged.exists() and live.exists()
    assert storage.read_version(uri, 0).count_rows() == 3
    assert storage.read_version(uri, 1).count_rows() == 4
    assert storage.latest_version(uri) == 1  # cleaning writes no commit
    assert storage.find_tables(root) == [uri]


def test_readers_see_the_old_or_the_new_version_never_a_mix(uri: str) -> None:
    """Each version holds N rows all tagged with its number: a mix would show two tags or a wrong count."""
    storage.publish(_table(2000, "0"), uri, run_id="0")
    seen: list[tuple[int, set[str]]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            data = DeltaTable(uri).to_pyarrow_table()
            seen.append((data.num_rows, set(data.column("tag").to_pylist())))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 8):
            batches = _table(2000, str(i)).to_batches(max_chunksize=250)  # several files per version
            storage.publish(pa.RecordBatchReader.from_batches(batches[0].schema, batches), uri, run_id=str(i))
    finally:
        stop.set()
        reader.join()
    assert seen
    for rows, tags in seen:
        assert rows == 2000 and len(tags) == 1


def test_types_delta_lacks_are_widened_or_refused_clearly(uri: str) -> None:
    import datetime

    data = pa.table(
        {
            "u8": pa.array([200], pa.uint8()),
            "u32": pa.array([4_000_000_000], pa.uint32()),
            "u64": pa.array([2**63 + 5], pa.uint64()),
            "nested": pa.array([[250]], pa.list_(pa.uint8())),
        }
    )
    published = storage.publish(data, uri, run_id="a")
    back = DeltaTable(uri).to_pyarrow_table()
    assert back.column("u8").to_pylist() == [200] and back.column("u32").to_pylist() == [4_000_000_000]
    assert int(back.column("u64")[0].as_py()) == 2**63 + 5
    assert back.column("nested").to_pylist() == [[250]]
    assert [f["type"] for f in published.schema][:3] == ["int16", "int64", "decimal128(20, 0)"]
    times = pa.table({"dep_time": pa.array([datetime.time(5, 17)], pa.time64("us"))})
    with pytest.raises(storage.StorageError, match="column 'dep_time' has type time64"):
        storage.publish(times, uri, run_id="b")
    assert storage.latest_version(uri) == 0

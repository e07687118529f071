"""Builder processes for the concurrency and crash tests: ``python -m tests.registry.workers CMD ...``.

Each command does what a real build does with the public storage and registry API, in its own process,
so that the tests exercise real locks (flock, PostgreSQL advisory locks) and real ``kill -9``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyarrow as pa

from quanta import storage
from quanta.registry import MeshLock, SnapshotRecord, open_registry
from tests.registry.conftest import product_record


def count(url: str, iterations: str) -> None:
    """Read-modify-write a counter in the product's configuration, under the product lock."""
    with open_registry(url) as registry:
        for _ in range(int(iterations)):
            with registry.product_lock("operations", "counter"):
                value = registry.product_state("operations", "counter").configuration.get("n", 0)
                time.sleep(0.003)  # widen the window a lost update would need
                registry.set_configuration("operations", "counter", {"n": value + 1})


def publish(url: str, root: str, iterations: str, name: str) -> None:
    """Build one product repeatedly: register, publish a Delta version, record it, under the product lock."""
    with open_registry(url) as registry:
        registry.register_product(product_record("operations", "flights", root))
        uri = storage.table_uri(root, "operations", "flights", "flights")
        build = registry.start_build(trigger=name)
        for i in range(int(iterations)):
            run = registry.start_run(build, "operations", "flights", fingerprint=f"{name}-{i}")
            with registry.product_lock("operations", "flights"):
                data = pa.table({"writer": [name] * 10, "i": [i] * 10})
                published = storage.publish(data, uri, run_id=run, contract_version="1.0.0")
                registry.finish_run(
                    run, "passed", snapshots=[SnapshotRecord.from_published("flights", published)]
                )
        registry.finish_build(build, "succeeded")


def hold_mesh_lock(lock_path: str, ready: str) -> None:
    """Take the mesh lock, say so, and wait to be killed."""
    with MeshLock(lock_path, build_id="holder"):
        Path(ready).write_text("ready")
        time.sleep(600)


def _staged_stream(ready: Path) -> pa.RecordBatchReader:
    schema = pa.schema([("id", pa.int64()), ("tag", pa.string())])

    def batches():
        for i in range(20):
            yield pa.record_batch(
                [pa.array(range(i * 1000, (i + 1) * 1000)), pa.array(["new"] * 1000)], schema
            )
        ready.write_text("staged")
        time.sleep(600)  # killed here: data handed to delta-rs, no commit yet
        yield pa.record_batch([pa.array([0]), pa.array(["never"])], schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def crash(url: str, root: str, where: str, ready: str) -> None:
    """Run a build of ``operations.flights`` and wait to be killed at ``where``.

    ``before-commit``: while delta-rs is writing the new version (data staged, not committed);
    ``after-commit``: after the Delta commit, before the registry records it.
    """
    registry = open_registry(url)
    uri = storage.table_uri(root, "operations", "flights", "flights")
    build = registry.start_build(trigger="crash-test")
    run = registry.start_run(build, "operations", "flights", fingerprint="crashing")
    staged = storage.staging_path(root, run, "operations", "flights", "flights")
    staged.mkdir(parents=True)
    (staged / "part-0.parquet").write_bytes(b"staged data of the interrupted run")
    with registry.product_lock("operations", "flights"):
        if where == "before-commit":
            storage.publish(_staged_stream(Path(ready)), uri, run_id=run, contract_version="1.0.0")
        else:
            data = pa.table({"id": pa.array(range(7), pa.int64()), "tag": ["new"] * 7})
            storage.publish(
                data, uri, run_id=run, contract_id="operations.flights.flights", fingerprint="crashing"
            )
            Path(ready).write_text("committed")
            time.sleep(600)  # killed here: committed, not recorded


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])

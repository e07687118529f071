"""Crash safety: a builder killed with SIGKILL between staging and commit, and between commit and record;
after ``reconcile`` the table is at its last committed version and the registry agrees with it."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from quanta import storage
from quanta.registry import Registry, SnapshotRecord, open_registry, reconcile
from quanta.registry.reconcile import INTERRUPTED
from tests.conftest import REPO_ROOT
from tests.registry.conftest import product_record

PORT = ("operations", "flights", "flights")


def _first_build(registry: Registry, root: str) -> str:
    """A successful build: version 0 of the table, recorded."""
    registry.register_product(product_record("operations", "flights", root))
    build = registry.start_build()
    run = registry.start_run(build, "operations", "flights", fingerprint="first")
    data = pa.table({"id": pa.array(range(5), pa.int64()), "tag": ["old"] * 5})
    published = storage.publish(data, storage.table_uri(root, *PORT), run_id=run, contract_version="1.0.0")
    registry.finish_run(run, "passed", snapshots=[SnapshotRecord.from_published("flights", published)])
    registry.finish_build(build, "succeeded")
    return run


def _crash(url: str, root: str, where: str, tmp_path: Path) -> None:
    ready = tmp_path / f"ready-{where}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.registry.workers", "crash", url, root, where, str(ready)],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"the crashing builder ended early: {proc.stderr.read().decode()}")
        assert time.monotonic() < deadline, "the crashing builder never got ready"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


def test_kill_9_between_staging_and_commit(registry_url: str, tmp_path: Path) -> None:
    root = str(tmp_path / "tables")
    uri = storage.table_uri(root, *PORT)
    with open_registry(registry_url) as registry:
        _first_build(registry, root)
    _crash(registry_url, root, "before-commit", tmp_path)

    assert DeltaTable(uri).version() == 0  # readers still get the previous version
    assert set(DeltaTable(uri).to_pyarrow_table().column("tag").to_pylist()) == {"old"}
    with open_registry(registry_url) as registry:
        [running] = registry.runs(status="running")
        report = reconcile(registry, root)
        assert report.failed_runs == [running.id] and len(report.failed_builds) == 1
        assert report.adopted_versions == [] and report.invalidated_snapshots == []
        assert registry.run(running.id).status == "failed" and registry.run(running.id).error == INTERRUPTED
        assert registry.runs(status="running") == [] and registry.builds(status="running") == []
        assert registry.latest_snapshot(*PORT).delta_version == 0
        assert not storage.staging_root(root).joinpath(running.id).exists()
        referenced = {Path(f).name for f in DeltaTable(uri).file_uris()}
        assert {p.name for p in Path(uri).glob("*.parquet")} == referenced  # no uncommitted file left
        assert not reconcile(registry, root, full=True).changed  # idempotent


def test_kill_9_between_commit_and_record(registry_url: str, tmp_path: Path) -> None:
    root = str(tmp_path / "tables")
    uri = storage.table_uri(root, *PORT)
    with open_registry(registry_url) as registry:
        _first_build(registry, root)
    _crash(registry_url, root, "after-commit", tmp_path)

    assert DeltaTable(uri).version() == 1
    with open_registry(registry_url) as registry:
        assert registry.latest_snapshot(*PORT).delta_version == 0  # not recorded yet
        [running] = registry.runs(status="running")
        report = reconcile(registry, root)
        assert report.adopted_versions == [(uri, 1)]
        assert report.failed_runs == [running.id]
        snapshot = registry.latest_snapshot(*PORT)
        assert (snapshot.delta_version, snapshot.run_id, snapshot.row_count) == (1, running.id, 7)
        assert snapshot.contract_id == "operations.flights.flights" and snapshot.fingerprint == "crashing"
        assert [f["name"] for f in snapshot.schema] == ["id", "tag"]
        run = registry.run(running.id)
        assert run.status == "failed" and "adopted by reconciliation" in run.error
        assert registry.last_fingerprint("operations", "flights") == "first"  # so the next build rebuilds
        assert not reconcile(registry, root, full=True).changed


def test_a_recorded_version_missing_from_the_table_is_invalidated(registry_url: str, tmp_path: Path) -> None:
    root = str(tmp_path / "tables")
    uri = storage.table_uri(root, *PORT)
    with open_registry(registry_url) as registry:
        _first_build(registry, root)
        shutil.rmtree(uri)  # the table was deleted by hand
        assert not reconcile(registry, root).changed  # no crash: tables are not opened
        report = reconcile(registry, root, full=True)
        assert report.invalidated_snapshots == [(uri, 0)]
        assert registry.latest_snapshot(*PORT) is None
        assert "not in the table log" in registry.snapshots(*PORT, include_invalid=True)[0].invalid_reason


def test_a_live_build_is_left_alone(registry_url: str, tmp_path: Path) -> None:
    root = str(tmp_path / "tables")
    with open_registry(registry_url) as builder, open_registry(registry_url) as other:
        builder.register_product(product_record("operations", "flights", root))
        build = builder.start_build()
        run = builder.start_run(build, "operations", "flights")
        staged = storage.staging_path(root, run, *PORT)
        staged.mkdir(parents=True)
        report = reconcile(other, root)  # another process's view: the build holds its lock
        assert not report.failed_runs and staged.exists()
        assert other.run(run).status == "running"
        builder.finish_run(run, "passed")
        builder.finish_build(build, "succeeded")


def test_table_locations_are_compared_normalised(registry_url: str, tmp_path: Path) -> None:
    """A snapshot recorded under another spelling of the same path is neither adopted again nor lost."""
    root = str(tmp_path / "tables")
    with open_registry(registry_url) as registry:
        registry.register_product(product_record("operations", "flights", root))
        build = registry.start_build()
        run = registry.start_run(build, "operations", "flights")
        uri = storage.table_uri(root, *PORT)
        published = storage.publish(pa.table({"id": [1]}), uri, run_id=run)
        spelled = SnapshotRecord.from_published("flights", published)
        spelled = dataclasses.replace(spelled, table_uri=f"{tmp_path}/./tables/operations/flights/flights/")
        registry.finish_run(run, "passed", snapshots=[spelled])
        registry.finish_build(build, "succeeded")
        assert not reconcile(registry, root, full=True).changed
        assert len(registry.snapshots(*PORT, include_invalid=True)) == 1

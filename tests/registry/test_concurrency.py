"""Concurrent builders on one registry: real processes, real locks, no lost updates.

The product lock is a PostgreSQL advisory lock on a PostgreSQL registry and an ``flock`` beside a SQLite
registry; both backends run the same tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

from quanta import storage
from quanta.registry import LockHeld, MeshLock, open_registry
from tests.conftest import REPO_ROOT
from tests.registry.conftest import product_record


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.registry.workers", *args],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
    )


def _wait_all(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()


def test_two_processes_never_lose_an_update_under_the_product_lock(registry_url: str) -> None:
    with open_registry(registry_url) as registry:
        registry.register_product(product_record("operations", "counter"))
    _wait_all(_spawn("count", registry_url, "25"), _spawn("count", registry_url, "25"))
    with open_registry(registry_url) as registry:
        state = registry.product_state("operations", "counter")
        assert state.configuration == {"n": 50}
        assert state.row_version == 50


def test_two_builders_of_one_product_keep_table_and_registry_consistent(
    registry_url: str, tmp_path: Path
) -> None:
    root = str(tmp_path / "tables")
    _wait_all(
        _spawn("publish", registry_url, root, "6", "a"), _spawn("publish", registry_url, root, "6", "b")
    )
    uri = storage.table_uri(root, "operations", "flights", "flights")
    history = {v.version: v.run_id for v in storage.list_versions(uri)}
    assert sorted(history) == list(range(12))
    with open_registry(registry_url) as registry:
        snapshots = registry.snapshots("operations", "flights", "flights")
        assert sorted(s.delta_version for s in snapshots) == list(range(12))
        assert {s.delta_version: s.run_id for s in snapshots} == history  # each version recorded by its run
        assert [p.key for p in registry.products()] == ["operations.flights"]
        assert {r.status for r in registry.runs(limit=None)} == {"passed"}
        assert len(registry.builds(status="succeeded")) == 2
        latest = registry.latest_snapshot("operations", "flights", "flights")
    assert latest.delta_version == DeltaTable(uri).version() == 11


def test_the_mesh_lock_names_its_holder_and_is_freed_by_kill_9(tmp_path: Path) -> None:
    lock_path = tmp_path / ".quanta" / "build.lock"
    ready = tmp_path / "ready"
    holder = _spawn("hold_mesh_lock", str(lock_path), str(ready))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.05)
        with pytest.raises(LockHeld, match=rf"another build of this mesh is running: process {holder.pid}"):
            MeshLock(lock_path).acquire()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with MeshLock(lock_path, timeout=5) as lock:
        assert lock.held and lock.holder()["pid"] == os.getpid()


def test_a_product_lock_times_out_with_a_clear_message(registry_url: str) -> None:
    with open_registry(registry_url) as first, open_registry(registry_url) as second:
        with (
            first.product_lock("operations", "flights"),
            pytest.raises(LockHeld, match=r"operations\.flights"),
            second.product_lock("operations", "flights", timeout=0.2),
        ):
            pass
        with second.product_lock("operations", "flights", timeout=1):
            pass


def test_parallel_build_threads_share_one_registry(registry_url: str) -> None:
    """``quanta build --jobs N`` records products from several threads through one Registry object."""
    from concurrent.futures import ThreadPoolExecutor

    with open_registry(registry_url) as registry:
        names = [f"p{i}" for i in range(8)]
        for name in names:
            registry.register_product(product_record("operations", name))
        build = registry.start_build()

        def run(name: str) -> str:
            run_id = registry.start_run(build, "operations", name)
            with registry.product_lock("operations", name):
                registry.finish_run(run_id, "passed", checks=[{"status": "passed", "rule_name": name}])
            return run_id

        with ThreadPoolExecutor(max_workers=4) as pool:
            run_ids = list(pool.map(run, names))
        registry.finish_build(build, "succeeded")
        assert sorted(r.product for r in registry.last_runs()) == sorted(names)
        assert all(registry.check_results(r)[0].status == "passed" for r in run_ids)
        finished = registry.events(types=["run.finished"], limit=100)
        assert len(finished) == 8 and len({e.id for e in finished}) == 8


def test_event_ids_become_visible_in_order(registry_url: str) -> None:
    """A reader polling ``events(after=last_id)`` never skips an event committed late."""
    import threading

    with open_registry(registry_url) as first, open_registry(registry_url) as second:
        done = threading.Event()
        with first._write() as session:
            first._event(session, "test.first", None, {})  # this transaction holds the events lock
            worker = threading.Thread(target=lambda: (second.add_event("test.second"), done.set()))
            worker.start()
            assert not done.wait(0.5)  # the second writer waits for the first to commit
            assert second.events() == []
        worker.join(timeout=30)
        events = second.events()
        assert [e.type for e in events] == ["test.first", "test.second"]
        assert events[0].id < events[1].id

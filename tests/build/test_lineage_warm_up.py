"""The OpenLineage client is imported by one background thread while the first products run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.mesh.factory import five_product_mesh

# Runs a build in a fresh process and reports which threads imported openlineage modules.
SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys, threading

    importers = {}

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] == "openlineage":
                importers.setdefault(threading.current_thread().name, set()).add(name)
            return None

    sys.meta_path.insert(0, Watch())
    from quanta.build import build
    from quanta.mesh import load_workspace

    result = build(load_workspace(sys.argv[1]), jobs=2)
    print(json.dumps({
        "statuses": sorted({p.status for p in result.products}),
        "importers": {thread: len(names) for thread, names in importers.items()},
    }))
    """
)


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    return five_product_mesh(tmp_path / "m")


def run_build(root: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_only_the_warm_up_thread_imports_the_client_and_every_event_is_written(mesh: Path) -> None:
    report = run_build(mesh)
    assert report["statuses"] == ["published"]
    assert list(report["importers"]) == ["quanta-lineage-warm-up"]  # never a product's thread
    events = [json.loads(line) for line in (mesh / ".quanta" / "lineage.jsonl").read_text().splitlines()]
    by_job: dict[str, list[str]] = {}
    for event in events:
        by_job.setdefault(event["job"]["name"], []).append(event["eventType"])
    assert by_job == {key: ["START", "COMPLETE"] for key in ("one.a", "one.b", "two.c", "two.d", "three.e")}


def test_a_mesh_without_lineage_never_imports_the_client(mesh: Path) -> None:
    config = mesh / "mesh.yaml"
    text = config.read_text()
    config.write_text(
        text.replace("transport: file", "transport: none").replace("  path: .quanta/lineage.jsonl\n", "")
    )
    report = run_build(mesh)
    assert report["statuses"] == ["published"]
    assert report["importers"] == {}
    assert not (mesh / ".quanta" / "lineage.jsonl").exists()

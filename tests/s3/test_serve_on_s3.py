"""A mesh whose tables live on a real S3-compatible server (moto): served over HTTP, reconciled at start-up.

The API test mesh (three products) is built with ``storage: s3://...``; a real uvicorn server then serves
a port's rows, read from the bucket, to its owner. A build interrupted before its commit leaves a data
file in a table's folder in the bucket: the next build's start-up reconciliation deletes it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.server import MESH, running

pytestmark = pytest.mark.s3


def _build(root: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "build", "--format", "json", "--mesh", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture()
def s3_mesh(s3_env, tmp_path, monkeypatch) -> tuple[Path, str]:
    """The API test mesh with its storage in a fresh bucket, built once."""
    import uuid

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    bucket = s3_env.create_bucket(f"serve-{uuid.uuid4().hex[:8]}")
    root = tmp_path / "mesh"
    shutil.copytree(MESH, root)
    with (root / "mesh.yaml").open("a", encoding="utf-8") as mesh_yaml:
        mesh_yaml.write(f"storage: {bucket}/mesh\n")
    _build(root)
    return root, bucket


def test_the_gateway_serves_rows_read_from_the_bucket(s3_mesh) -> None:
    import pyarrow as pa

    from quanta.access.session import open_service
    from quanta.api import ServeSettings, create_app

    root, _ = s3_mesh
    service = open_service(root)
    token = service.create_token("rita").token
    getattr(service.store, "engine", None) and service.store.engine.dispose()
    app = create_app(ServeSettings(mesh_root=root))
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        response = client.get(
            "/api/v1/products/reference.airports/ports/airports/data",
            params={"format": "arrow"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    table = pa.ipc.open_stream(response.content).read_all()
    source = (root / "sources" / "airports.csv").read_text(encoding="utf-8").splitlines()
    assert table.num_rows == len(source) - 1


def test_start_up_reconciliation_removes_uncommitted_files_from_the_bucket(s3_mesh, s3_env) -> None:
    from quanta import storage
    from quanta.registry import open_registry

    root, bucket = s3_mesh
    table = f"{bucket}/mesh/reference/airports/airports"
    name = bucket[len("s3://") :]
    client = s3_env.client()
    leftover = "mesh/reference/airports/airports/part-00000-interrupted.parquet"
    client.put_object(Bucket=name, Key=leftover, Body=b"PAR1 written by a builder killed before its commit")
    with open_registry(f"sqlite:///{root / '.quanta' / 'registry.db'}") as registry:
        registry.start_build(trigger="cli")  # its builder is gone: the build stays "running"
    (root / ".quanta" / "build.running").write_text("a build that never finished", encoding="utf-8")
    versions = storage.list_versions(table)

    document = _build(root)

    assert any("part-00000-interrupted.parquet" in line for line in document["reconciled"]), document[
        "reconciled"
    ]
    assert client.list_objects_v2(Bucket=name, Prefix=leftover).get("KeyCount", 0) == 0
    assert [v.version for v in storage.list_versions(table)][: len(versions)] == [
        v.version for v in versions
    ], "no committed version was touched"


def test_a_credential_in_mesh_yaml_is_refused(tmp_path) -> None:
    root = tmp_path / "mesh"
    shutil.copytree(MESH, root)
    with (root / "mesh.yaml").open("a", encoding="utf-8") as mesh_yaml:
        mesh_yaml.write("storage: s3://lake/mesh\nstorage_options: {secret_access_key: abc}\n")
    done = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "build", "--mesh", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "credentials come only from the environment" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr

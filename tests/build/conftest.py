"""Fixtures of the build tests: a built copy of the example mesh, shared by the end-to-end tests."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def quanta(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real ``quanta`` CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@dataclass
class BuiltMesh:
    """The example mesh after ``quanta build --format json``.

    Attributes:
        root: the mesh folder.
        process: the finished build process (exit code, output).
        document: the parsed JSON document it printed.
    """

    root: Path
    process: subprocess.CompletedProcess[str]
    document: dict[str, Any]

    def product(self, key: str) -> dict[str, Any]:
        """The JSON entry of one product."""
        return next(p for p in self.document["products"] if p["product"] == key)

    def require_published(self) -> None:
        """Fail at once, naming the blocking checks, when ``operations.flights`` was not published.

        Most tests read what the build published downstream of flights; this says why they cannot. The
        example marks its violated relationships (tail numbers, destinations) ``quantaSeverity: warning``,
        so a blocked flights product is always a regression.
        """
        flights = self.product("operations.flights")
        blocking = [c for port in flights["ports"] for c in port["checks"] if c["blocking"]]
        assert flights["status"] == "published", (
            f"operations.flights is {flights['status']}: {flights['reason']}; blocking checks: {blocking}"
        )


def fresh_example(folder: Path) -> Path:
    """Materialise the nycflights example mesh (files and source CSVs) into ``folder``."""
    from quanta.mesh.examples import materialize_example

    return materialize_example("nycflights", folder)


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> BuiltMesh:
    """The example mesh materialised and built once for the session, through the real CLI."""
    root = fresh_example(tmp_path_factory.mktemp("example") / "nycflights")
    process = quanta("build", "--format", "json", "--jobs", "2", cwd=root)
    assert process.stdout, process.stderr
    return BuiltMesh(root, process, json.loads(process.stdout))


@pytest.fixture(scope="session")
def spark_engine():
    """One real Spark session (``local[2]``) for the Spark build tests of this worker.

    Builds started while it runs reuse it (a running session is never stopped by a build), so the JVM
    starts once. Skipped when pyspark or Java is missing (``tests.conftest.require``).
    """
    from quanta.engine.spark import SparkEngine, spark_available
    from tests.conftest import require

    missing = spark_available()
    require(missing is None, missing or "")
    engine = SparkEngine("local[2]")
    yield engine
    engine.close()

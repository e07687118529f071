"""Fixtures of the example-mesh tests: one materialised copy of the nycflights mesh per test session."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from quanta.mesh.examples import materialize_example
from tests.example.support import ExampleMesh, load_mesh, run_transforms


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the example tests on one xdist worker (``--dist loadgroup``): they share one materialised mesh."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("example"))


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ``quanta init --example nycflights`` folder (mesh files plus extracted sources)."""
    return materialize_example("nycflights", tmp_path_factory.mktemp("example") / "nycflights")


@pytest.fixture(scope="session")
def mesh(example_dir: Path) -> ExampleMesh:
    """The materialised mesh's products and contracts, loaded as plain data."""
    return load_mesh(example_dir)


@pytest.fixture(scope="session")
def outputs(mesh: ExampleMesh) -> dict[str, pa.Table]:
    """Every output port computed by its SQL transform in plain DuckDB, and every source, by contract id."""
    return run_transforms(mesh)

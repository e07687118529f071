"""A whole build recorded in a PostgreSQL registry (``QUANTA_REGISTRY_URL``), through the real CLI.

The registry conformance suite (``tests/registry/``) runs the registry's own API on both backends; this
runs the commands a team runs: ``quanta build`` records in PostgreSQL, ``quanta status`` and ``quanta
runs`` read it back, a second build finds every product unchanged from the record, and the rows are read
independently with SQLAlchemy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.build.conftest import quanta
from tests.mesh.factory import five_product_mesh

pytestmark = pytest.mark.postgres

PRODUCTS = {"one.a", "one.b", "two.c", "two.d", "three.e"}


def test_a_build_is_recorded_in_postgresql_and_read_back_by_the_cli(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy

    root = five_product_mesh(tmp_path / "m")
    monkeypatch.setenv("QUANTA_REGISTRY_URL", postgres_url)
    first = quanta("build", "--format", "json", cwd=root)
    assert first.returncode == 0, first.stderr
    built = json.loads(first.stdout)
    assert {p["product"]: p["status"] for p in built["products"]} == dict.fromkeys(PRODUCTS, "published")
    assert not (root / ".quanta" / "registry.db").exists()  # nothing went to the SQLite default

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as connection:

        def count(table: str) -> int:
            return connection.execute(sqlalchemy.text(f"SELECT count(*) FROM {table}")).scalar_one()

        assert count("builds") == 1
        assert count("product_runs") == len(PRODUCTS)
        assert count("snapshots") == len(PRODUCTS)
        checks = sum(sum(p["checks"].values()) for p in built["products"])
        assert checks > 0 and count("check_results") >= checks
        assert count("lineage_edges") >= 5  # c reads a and b, d reads c, e reads b, plus the sources
        rows = dict(
            connection.execute(
                sqlalchemy.text(
                    "SELECT p.domain || '.' || p.name, s.row_count FROM snapshots s "
                    "JOIN products p ON p.id = s.product_id"
                )
            ).all()
        )
    engine.dispose()
    assert rows == {p["product"]: p["ports"][0]["rows"] for p in built["products"]}

    status = quanta("status", "--format", "json", cwd=root)
    assert status.returncode == 0, status.stderr
    assert {entry["product"]: entry["ports"][0]["deltaVersion"] for entry in json.loads(status.stdout)} == (
        dict.fromkeys(PRODUCTS, 0)
    )
    runs = quanta("runs", "--format", "json", cwd=root)
    assert runs.returncode == 0, runs.stderr
    assert {run["product"]: run["status"] for run in json.loads(runs.stdout)} == dict.fromkeys(
        PRODUCTS, "passed"
    )

    again = quanta("build", "--format", "json", cwd=root)
    assert {p["status"] for p in json.loads(again.stdout)["products"]} == {"skipped"}

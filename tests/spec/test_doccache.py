"""The per-user cache of parsed documents: a hit is the parse (data and positions), without ruamel.yaml;
a changed file, a lenient repair, a NaN or an error is never served from it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quanta.errors import SpecError
from quanta.spec import load_contract
from quanta.spec.doccache import FOLDER, FORMAT, load_yaml_cached
from quanta.spec.loader import load_yaml

ROOT = Path(__file__).resolve().parents[2]
#: A real contract with block scalars (``description: |``), quality rules and servers.
FLIGHTS = (
    ROOT
    / "examples"
    / "nycflights"
    / "domains"
    / "operations"
    / "flights"
    / "contracts"
    / "flights.odcs.yaml"
)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUANTA_CACHE_DIR", str(folder))
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / FOLDER).glob("*.json"))


def _copy(tmp_path: Path, text: str | None = None) -> Path:
    target = tmp_path / "flights.odcs.yaml"
    target.write_text(FLIGHTS.read_text() if text is None else text)
    return target


def test_a_hit_gives_the_parse_back(cache, tmp_path):
    path = _copy(tmp_path)
    parsed = load_yaml(path)
    miss = load_yaml_cached(path)
    assert len(_entries(cache)) == 1
    hit = load_yaml_cached(path)
    assert hit.data == parsed.data and miss.data == parsed.data
    assert json.dumps(hit.data) == json.dumps(parsed.data)  # same keys in the same order, same values
    assert hit.positions == parsed.positions
    assert hit.file == str(path) and not hit.warnings
    assert hit.position(("schema", 0, "properties", 3)) == parsed.position(("schema", 0, "properties", 3))
    block = parsed.data["description"]["purpose"]
    assert type(block) is not str and isinstance(hit.data["description"]["purpose"], str)  # style not kept


def test_load_contract_with_the_cache_is_load_contract(cache, tmp_path):
    path = _copy(tmp_path)
    for _ in range(2):  # a miss, then a hit
        cached = load_contract(path, cache=True)
        plain = load_contract(path)
        assert cached.data == plain.data and cached.source.positions == plain.source.positions
        assert (cached.id, cached.version, cached.path) == (plain.id, plain.version, plain.path)
    assert len(_entries(cache)) == 1


def test_any_change_of_the_bytes_misses(cache, tmp_path):
    path = _copy(tmp_path)
    first = load_yaml_cached(path)
    path.write_text(path.read_text() + "# a comment\n")
    load_yaml_cached(path)
    path.write_text(path.read_text().replace("version: 1.0.0", "version: 1.0.1", 1))
    changed = load_yaml_cached(path)
    assert len(_entries(cache)) == 3
    assert first.data["version"] == "1.0.0" and changed.data["version"] == "1.0.1"
    assert load_yaml_cached(path).data == load_yaml(path).data


def test_errors_warnings_and_nan_are_never_cached(cache, tmp_path):
    broken = _copy(tmp_path, "apiVersion: v3.1.0\nkind: [unclosed\n")
    for _ in range(2):
        with pytest.raises(SpecError) as cached_error:
            load_yaml_cached(broken)
        with pytest.raises(SpecError) as plain_error:
            load_yaml(broken)
        assert cached_error.value.diagnostics == plain_error.value.diagnostics
    nbsp = _copy(tmp_path, "apiVersion: v3.1.0\nschema:\n\u00a0 - name: t\n")
    repaired = load_yaml_cached(nbsp, lenient=True)
    assert repaired.warnings and repaired.data == load_yaml(nbsp, lenient=True).data
    nan = _copy(tmp_path, "apiVersion: v3.1.0\nthreshold: .nan\n")
    assert load_yaml_cached(nan).data["threshold"] != load_yaml_cached(nan).data["threshold"]  # NaN, parsed
    assert not _entries(cache)


def test_a_damaged_entry_is_a_miss_and_is_written_again(cache, tmp_path):
    path = _copy(tmp_path)
    parsed = load_yaml(path)
    load_yaml_cached(path)
    (entry,) = _entries(cache)
    damages = (
        "{not json",
        "",
        json.dumps({"format": FORMAT, "key": entry.stem, "value": {"data": [1], "positions": []}}),
        json.dumps({"format": FORMAT, "key": entry.stem, "value": {"data": {}, "positions": [[1]]}}),
        json.dumps({"format": FORMAT + 1, "key": entry.stem, "value": {"data": {}, "positions": []}}),
    )
    for damage in damages:
        entry.write_text(damage)
        again = load_yaml_cached(path)
        assert again.data == parsed.data and again.positions == parsed.positions
        assert json.loads(entry.read_text())["key"] == entry.stem  # written again, whole


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTA_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = _copy(tmp_path)
    assert load_yaml_cached(path).data == load_yaml(path).data
    assert not any(tmp_path.rglob("*.json"))


def test_a_warm_load_does_not_import_ruamel_yaml(cache, tmp_path):
    path = _copy(tmp_path)
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from quanta.spec import load_contract
        contract = load_contract(Path({str(path)!r}), cache=True)
        print(json.dumps(["ruamel.yaml" in sys.modules, contract.id, len(contract.schema)]))
        """
    )
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(2)
    ]
    assert runs[0][0] is True and runs[1][0] is False
    assert runs[0][1:] == runs[1][1:] == ["operations.flights.flights", 1]

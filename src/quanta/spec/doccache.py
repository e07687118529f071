"""Parsed YAML documents cached per user, so that a command run again on an unchanged file does not
import or run the YAML parser.

``quanta test`` loads one contract per run; parsing it with positions and importing ruamel.yaml cost
about 25 ms of CPU, a tenth of what DuckDB needs to check 300,000 rows. The parse depends only on the
file's bytes and on the code that parses, so the result (the data and the position of every node) is
kept as a JSON file in ``documents/`` of the per-user cache folder (:func:`quanta.usercache.cache_dir`),
named after the SHA-256 of:

- the file's bytes (any change of the file, even of a comment or an indent, misses);
- whether the load was lenient;
- the parsing code: the size and modification time of :mod:`quanta.spec.loader` and
  :mod:`quanta.spec.yaml_events`, and of the installed ruamel.yaml and its libyaml extension.

Only documents JSON keeps exactly are stored: a load with warnings (lenient repairs), or whose data
holds a value JSON would change (a NaN, a non-text key), is never cached. One difference is accepted and
documented: a block scalar (``description: |``) comes back as a plain ``str`` with the same text, not as
ruamel.yaml's ``LiteralScalarString``, so the YAML *style* is lost; callers that write the document back
as YAML must load it without the cache. Errors are never cached: a file that does not load is parsed
(and reported) every time. ``QUANTA_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from quanta.spec.loader import DEFAULT_MAX_BYTES, LoadedYaml, load_yaml
from quanta.usercache import cache_dir, read_entry, source_fingerprint, write_entry

#: Bumped when the stored form changes.
FORMAT = 1
#: Sub-folder of the per-user cache folder.
FOLDER = "documents"


def load_yaml_cached(path: Path, *, lenient: bool = False) -> LoadedYaml:
    """:func:`quanta.spec.loader.load_yaml` of the file ``path``, through the per-user cache.

    Args:
        path: the YAML (or JSON) file.
        lenient: as for :func:`~quanta.spec.loader.load_yaml` (part of the key).

    Returns:
        The loaded document: the same data (block scalars as plain ``str``) and positions as a parse,
        with ``file`` set to ``path``.

    Raises:
        SpecError: the file cannot be read or is not one loadable YAML mapping (exactly the error
            :func:`~quanta.spec.loader.load_yaml` raises: errors are never cached).
    """
    folder = cache_dir()
    if folder is None:
        return load_yaml(path, lenient=lenient)
    try:
        raw = path.read_bytes()
    except OSError:
        return load_yaml(path, lenient=lenient)  # raises the loader's own error for an unreadable file
    if len(raw) > DEFAULT_MAX_BYTES:
        return load_yaml(path, lenient=lenient)
    folder = folder / FOLDER
    key = document_key(raw, lenient=lenient)
    stored = read_entry(folder, key, FORMAT)
    if stored is not None:
        found = from_stored(stored, path)
        if found is not None:
            return found
    loaded = load_yaml(raw, filename=str(path), lenient=lenient)
    entry = stored_form(loaded)
    if entry is not None:
        write_entry(folder, key, FORMAT, entry)
    return loaded


def stored_form(loaded: LoadedYaml) -> dict[str, Any] | None:
    """The JSON-compatible form of a parsed document (data and positions), or ``None`` when it must not
    be cached: a load with warnings (lenient repairs), or data JSON would not give back equal.

    Shared by this cache and the mesh's document cache (:mod:`quanta.mesh.cache`).
    """
    if loaded.warnings or not _json_exact(loaded.data):
        return None
    positions = [[list(where), line, column] for where, (line, column) in loaded.positions.items()]
    return {"data": loaded.data, "positions": positions}


def from_stored(stored: Any, path: Path | str) -> LoadedYaml | None:
    """The document :func:`stored_form` stored, as loaded from ``path``; ``None`` for a damaged entry."""
    try:
        data = stored["data"]
        if not isinstance(data, dict):
            return None
        positions = {tuple(where): (int(line), int(column)) for where, line, column in stored["positions"]}
    except (KeyError, TypeError, ValueError):
        return None
    return LoadedYaml(data=data, file=str(path), positions=positions)


def document_key(raw: bytes, *, lenient: bool = False) -> str:
    """The SHA-256 (hex) of the file's bytes, the lenient flag and the parsing code's fingerprint."""
    digest = hashlib.sha256(f"{FORMAT}|{int(lenient)}|{_code_fingerprint()}\0".encode())
    digest.update(raw)
    return digest.hexdigest()


_FINGERPRINT: list[str] = []


def _code_fingerprint() -> str:
    """Size and modification time of the parsing modules, ruamel.yaml and its libyaml extension."""
    if not _FINGERPRINT:
        import importlib.util

        here = Path(__file__).resolve().parent
        files = [here / "loader.py", here / "yaml_events.py"]
        for name in ("ruamel.yaml", "_ruamel_yaml_clibz", "_ruamel_yaml"):
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is not None and spec.origin:
                files.append(Path(spec.origin))
        _FINGERPRINT.append(source_fingerprint(files))
    return _FINGERPRINT[0]


def _json_exact(value: Any) -> bool:
    """Whether JSON gives ``value`` back equal: dicts with text keys, lists, text, finite numbers,
    booleans and null (a block scalar's ``str`` subclass counts as text)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False)) == value
    except (TypeError, ValueError):
        return False

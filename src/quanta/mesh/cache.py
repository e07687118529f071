"""A cache of parsed mesh documents, so that commands on an unchanged mesh do not re-parse its YAML.

Parsing YAML with positions is the slowest part of loading a mesh (a large contract takes tens of
milliseconds). The cache keeps each parsed document (plain data and positions, as JSON) under the
SHA-256 of the file's bytes and its path: a file whose bytes changed is parsed again, so the cache can
never serve stale content. It lives in ``<mesh>/.quanta/cache/documents.json`` and holds only the
documents of the last load; it is written only once the mesh has a ``.quanta`` folder (after its first
build), so reading a mesh in a source checkout leaves no file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from quanta.spec.doccache import from_stored, stored_form
from quanta.spec.loader import LoadedYaml, load_yaml

CACHE_FILE = ".quanta/cache/documents.json"
#: Bumped when the cached form changes.
CACHE_FORMAT = 1


class DocumentCache:
    """Parsed documents by (path, content hash).

    Args:
        mesh_root: the mesh folder (the cache file is under its ``.quanta``).
    """

    def __init__(self, mesh_root: Path) -> None:
        self.path = mesh_root / CACHE_FILE
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._dirty = False
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            if stored.get("format") == CACHE_FORMAT:
                self._old = stored["documents"]
        except (OSError, ValueError, KeyError, AttributeError):
            self._old = {}

    def load(self, file: Path) -> LoadedYaml:
        """Return the parsed document of ``file`` (from the cache when its bytes are unchanged).

        Raises:
            SpecError: the file is not one loadable YAML mapping (see :func:`quanta.spec.loader.load_yaml`).
        """
        raw = file.read_bytes()
        key = f"{file}\0{hashlib.sha256(raw).hexdigest()}"
        entry = self._old.get(key)
        found = None if entry is None else from_stored(entry, file)
        if found is not None:
            self._new[key] = entry
            return found
        loaded = load_yaml(raw, filename=str(file))
        self._dirty = True
        entry = stored_form(loaded)
        if entry is not None:
            self._new[key] = entry
        return loaded

    def save(self) -> None:
        """Write the documents loaded this time (atomically); nothing when every one came from the cache."""
        if not self._dirty and len(self._new) == len(self._old):
            return
        if not self.path.parent.parent.is_dir():  # no .quanta yet (a source checkout): leave it clean
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"format": CACHE_FORMAT, "documents": self._new}), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:  # a read-only mesh still loads, only slower
            pass

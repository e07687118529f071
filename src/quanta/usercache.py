"""The per-user cache folder Quanta keeps derived artefacts in (parsers, parsed contracts, check plans).

``$QUANTA_CACHE_DIR``, else ``$XDG_CACHE_HOME/quanta``, else ``~/.cache/quanta``. Setting
``QUANTA_CACHE_DIR=off`` (also ``0``, ``false``, ``no``, ``none``) turns every per-user cache off: each
process then builds what it needs from scratch. Nothing in this folder is needed for correctness; any
file in it may be deleted at any time.

Each cache keeps JSON entries in a sub-folder, one file per key (:func:`read_entry`, :func:`write_entry`):
written atomically, ignored when damaged, pruned to the most recent :data:`MAX_ENTRIES`.

This module sits below every layer (it imports nothing of Quanta) so that each layer can use it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

#: Values of ``QUANTA_CACHE_DIR`` that turn the per-user caches off.
OFF_VALUES = frozenset({"off", "0", "false", "no", "none"})


def cache_dir() -> Path | None:
    """The folder of Quanta's per-user caches (created on first write, not here); ``None`` when off."""
    explicit = os.environ.get("QUANTA_CACHE_DIR")
    if explicit:
        return None if explicit.strip().lower() in OFF_VALUES else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "quanta"


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename, creating the folder.

    Readers see the old file or the new one, never half of one. Returns False (and leaves nothing
    behind) when the folder cannot be written: a cache that cannot be saved is only slower.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False


#: Entries kept per cache folder; the oldest beyond this are removed when a new one is written.
MAX_ENTRIES = 512


def read_entry(folder: Path, key: str, form: int) -> Any:
    """The value stored under ``key`` in ``folder`` by :func:`write_entry`, or ``None``.

    Args:
        folder: the cache's folder (e.g. ``cache_dir() / "check-plans"``).
        key: the entry's key (a hex digest; also the file's name, ``<key>.json``).
        form: the stored form's version; an entry written in another form is a miss.

    Returns:
        The value (JSON data), or ``None`` when there is no entry, or it cannot be read, is not JSON, or
        names another form or key. A bad entry is simply a miss: it is written again.
    """
    import json

    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        if data.get("format") != form or data.get("key") != key:
            return None
        return data["value"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_entry(folder: Path, key: str, form: int, value: Any, *, max_entries: int = MAX_ENTRIES) -> bool:
    """Store ``value`` (JSON data) under ``key`` in ``folder``, atomically, then prune the folder.

    Args:
        folder: the cache's folder (created when missing).
        key: the entry's key (a hex digest; the file is ``<key>.json``).
        form: the stored form's version (see :func:`read_entry`).
        value: what to store; it must be JSON-serialisable.
        max_entries: the most recent entries kept; older ones are removed.

    Returns:
        Whether the entry was written (False when the folder cannot be written: the cache is then only
        slower).

    Raises:
        TypeError, ValueError: ``value`` is not JSON-serialisable.
    """
    import json

    text = json.dumps({"format": form, "key": key, "value": value})
    if not write_atomic(folder / f"{key}.json", text):
        return False
    _prune(folder, max_entries)
    return True


def _prune(folder: Path, max_entries: int) -> None:
    """Remove the oldest entries of ``folder`` beyond ``max_entries``."""
    try:
        entries = [(entry.stat().st_mtime_ns, entry) for entry in folder.glob("*.json")]
    except OSError:
        return
    if len(entries) <= max_entries:
        return
    for _, entry in sorted(entries)[: len(entries) - max_entries]:
        with contextlib.suppress(OSError):
            entry.unlink()


def source_fingerprint(files: list[Path]) -> str:
    """``path:size:mtime`` of each of ``files`` (missing ones skipped), joined: what a cache key holds of
    the code that derives an entry, so that a changed or upgraded module misses."""
    stats = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue
        stats.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return "|".join(stats)

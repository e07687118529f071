"""The per-user cache folder Quanta keeps derived artefacts in (parsers, compiled check plans).

``$QUANTA_CACHE_DIR``, else ``$XDG_CACHE_HOME/quanta``, else ``~/.cache/quanta``. Setting
``QUANTA_CACHE_DIR=off`` (also ``0``, ``false``, ``no``, ``none``) turns every per-user cache off: each
process then builds what it needs from scratch. Nothing in this folder is needed for correctness; any
file in it may be deleted at any time.

This module sits below every layer (it imports nothing of Quanta) so that each layer can use it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

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

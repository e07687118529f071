"""celpy's Lark parser for CEL, built once per machine instead of once per process.

``cel-python`` builds one LALR parser for the CEL grammar per process (``celpy.celparser.CELParser``
keeps it in the class attribute ``CEL_PARSER``). Analysing the grammar takes about 0.15 s of CPU, paid
by every ``quanta build``, ``quanta lint`` and ``quanta policy`` run that compiles a policy. Lark can
save the analysed parser and load it again in under 20 ms (its ``cache`` option, LALR only):
:func:`install` builds the parser with exactly celpy's options plus that cache, and hands it to celpy
before celpy builds its own.

The file name holds the SHA-256 of what the parser depends on (the grammar, the options, the Lark and
Python versions), so another celpy grammar or another Lark uses another file; Lark checks the same hash
inside the file. A file that cannot be read whole (half written by a concurrent process, or damaged) is
removed and written again: the parser is never built from it. It lives in the user's cache folder
(:func:`quanta.usercache.cache_dir`: ``$QUANTA_CACHE_DIR``, else ``$XDG_CACHE_HOME/quanta``, else
``~/.cache/quanta``). When the folder cannot be written, or ``QUANTA_CACHE_DIR=off``, the parser is
built as celpy would, without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
import sys
import threading
from pathlib import Path

from quanta.usercache import cache_dir

_LOCK = threading.Lock()


def install() -> None:
    """Give celpy a CEL parser loaded from (or saved to) the cache, unless it already has one.

    Thread-safe; cheap after the first call. The parser is the one celpy builds
    (``celpy.celparser.CELParser.__init__``: same grammar file, same options, ``lark.Tree`` nodes as
    used by celpy's interpreted runner); ``tests/governance/test_cel_parser.py`` checks that both parse
    alike.
    """
    from celpy.celparser import CELParser

    if CELParser.CEL_PARSER is not None:
        return
    with _LOCK:
        if CELParser.CEL_PARSER is None:
            CELParser.CEL_PARSER = _build(CELParser)


def _build(parser_class: type) -> object:
    import celpy.celparser
    import lark

    grammar = (Path(celpy.celparser.__file__).parent / "cel.lark").read_text()
    options = {
        "parser": "lalr",
        "start": "expr",
        "debug": True,
        "g_regex_flags": re.M,
        "lexer_callbacks": {"IDENT": parser_class.ambiguous_literals},
        "propagate_positions": True,
        "maybe_placeholders": False,
        "priority": "invert",
        "tree_class": lark.Tree,
    }
    inputs = [grammar, lark.__version__, sys.version, *(f"{k}={_stable(v)}" for k, v in options.items())]
    digest = hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:24]
    folder = cache_dir()
    if folder is None:  # per-user caches turned off
        return lark.Lark(grammar, **options)
    target = folder / f"cel-parser-{digest}.lark"
    if not _readable(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # no writable cache folder: build it as celpy does
            return lark.Lark(grammar, **options)
    # Lark loads the file when its hash line matches, else builds the parser and saves it there (its hash
    # covers the cache path too, so the file is written under its final name).
    return lark.Lark(grammar, cache=str(target), **options)


def _stable(value: object) -> str:
    """A text for ``value`` that is the same in every process (functions and classes by name)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_stable(v)}" for k, v in value.items()) + "}"
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"
    return repr(value)


def _readable(path: Path) -> bool:
    """Whether ``path`` is a complete Lark cache file (its hash line and two pickles); a broken one is
    removed. Lark would fall back to building the parser itself from a broken file, with options it
    has partly consumed, so it is never given one."""
    try:
        with path.open("rb") as stream:
            stream.readline()
            pickle.load(stream)
            pickle.load(stream)
        return True
    except OSError:  # missing, or no such folder
        return False
    except Exception:  # truncated or foreign content
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return False

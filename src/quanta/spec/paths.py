"""JSON paths as Quanta prints them: ``schema[0].properties[3].quality[0]``.

A path is kept as a tuple of keys (``str``) and list indexes (``int``); :func:`format_path` renders it
and :func:`parse_path` reads it back. Keys that are not plain identifiers are quoted
(``customProperties[0]["odd key"]``).
"""

from __future__ import annotations

import json
import re

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_TOKEN = re.compile(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([A-Za-z_$][A-Za-z0-9_$-]*)')


def format_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a JSON path tuple as ``a.b[0].c``.

    Args:
        path: keys and indexes from the document root; empty for the root itself.

    Returns:
        The path text; ``""`` for the root.

    Example:
        >>> format_path(("schema", 0, "properties", 3, "quality", 0))
        'schema[0].properties[3].quality[0]'
    """
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.match(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


def parse_path(text: str) -> tuple[str | int, ...]:
    """Read a path written by :func:`format_path` back into a tuple.

    Args:
        text: e.g. ``"schema[0].properties[3]"``.

    Returns:
        The tuple of keys and indexes.

    Example:
        >>> parse_path('schema[0].properties[3]')
        ('schema', 0, 'properties', 3)
    """
    steps: list[str | int] = []
    for index, quoted, name in _TOKEN.findall(text):
        if index:
            steps.append(int(index))
        elif quoted:
            steps.append(json.loads(quoted))
        else:
            steps.append(name)
    return tuple(steps)

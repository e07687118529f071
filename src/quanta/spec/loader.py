"""Safe YAML loading with source positions (minimal version; hardened by the standards-layer work).

The loader keeps every key in order (ruamel.yaml round-trip) and leaves dates as the strings written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, SpecError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class LoadedYaml:
    """A YAML document loaded with positions.

    Attributes:
        data: the top-level mapping (a ruamel ``CommentedMap``: a ``dict`` that keeps key order).
        file: the file name it came from, or ``None``.
        warnings: diagnostics of severity warning produced while loading (lenient repairs).
    """

    data: Any
    file: str | None = None
    warnings: list[Diagnostic] = field(default_factory=list)

    def position(self, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
        """Return the 1-based (line, column) of the node at ``path``, or its nearest known ancestor."""
        node = self.data
        line = column = None
        for key in path:
            lc = getattr(node, "lc", None)
            try:
                if lc is not None:
                    if isinstance(key, int):
                        line, column = lc.item(key)
                    else:
                        line, column = lc.key(key)
                    line, column = line + 1, column + 1
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
        return line, column


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    # Dates and timestamps stay strings exactly as written.
    yaml.constructor.yaml_constructors.pop("tag:yaml.org,2002:timestamp", None)
    return yaml


def load_yaml(
    source: str | bytes | Path,
    *,
    filename: str | None = None,
    lenient: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadedYaml:
    """Load one YAML document whose top level is a mapping.

    Args:
        source: a path, or the YAML text (``str``) or bytes.
        filename: the name to report in diagnostics when ``source`` is text.
        lenient: repair common copy-paste damage (non-breaking spaces, typographic quotes) with a warning.
        max_bytes: refuse larger inputs.

    Returns:
        The loaded document with positions.

    Raises:
        SpecError: the input is not a loadable YAML mapping; the diagnostics say where and why.
    """
    if isinstance(source, Path):
        filename = filename or str(source)
        raw = source.read_bytes()
    else:
        raw = source.encode() if isinstance(source, str) else source
    if len(raw) > max_bytes:
        raise SpecError(f"{filename}: file is larger than {max_bytes} bytes")
    text = raw.decode("utf-8")
    data = _yaml().load(text)
    if not isinstance(data, dict):
        diagnostic = Diagnostic("yaml.not-a-mapping", "the document must be a mapping", file=filename)
        raise SpecError(f"{filename}: the document must be a YAML mapping", diagnostics=[diagnostic])
    return LoadedYaml(data=data, file=filename)

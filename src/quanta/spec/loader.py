"""Safe, bounded YAML loading with source positions for every JSON path.

ruamel.yaml (with its libyaml-based C parser when installed, its pure-Python parser otherwise) turns the
text into YAML events (imported when something is loaded, so :class:`LoadedYaml` costs no YAML import); this module builds plain ``dict``/``list``/scalar data from those events with an
explicit stack, so it can enforce limits a generic loader does not: nesting depth, alias expansion, input
size, duplicate keys, and only the YAML core tags (``!!python/object`` and other language tags are refused).
It records the 1-based line and column of every node so that every diagnostic can point at the file.

Dates and timestamps stay the strings written (``dateIn: 2014-08-02`` is a string, as the ODCS JSON
Schemas expect). Keys keep their order, so loading and saving again gives the same data.

Copy-paste damage common in contracts taken from documents (non-breaking spaces used as indentation,
typographic quotes around a value) is an error in strict mode; ``lenient=True`` repairs it and reports
each repair as a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, SpecError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""Refuse inputs larger than this many bytes (20 MiB), unless the caller passes another limit."""
DEFAULT_MAX_DEPTH = 200
"""Refuse documents whose mappings and sequences nest deeper than this."""
DEFAULT_MAX_ALIAS_NODES = 100_000
"""Refuse documents whose aliases would expand to more than this many nodes (alias bombs)."""
PathTuple = tuple[str | int, ...]
_NBSP = "\u00a0"
# Indentation (spaces, NBSP, sequence dashes) at the start of a line, and ``key:<NBSP>value``.
_LEADING = re.compile(r"^[ \u00a0]*(?:-[ \u00a0]+)*")
_NBSP_AFTER_COLON = re.compile(r"(?<=\S):\u00a0")


@dataclass
class LoadedYaml:
    """A YAML document loaded with positions.

    Attributes:
        data: the top-level mapping, as plain ``dict``/``list``/scalars in the order written.
        file: the file name it came from, or ``None`` for text.
        warnings: warnings produced while loading (lenient repairs).
        positions: 1-based ``(line, column)`` of every node by JSON path; for a mapping member, the
            position of its key.
    """

    data: Any
    file: str | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    positions: dict[PathTuple, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: PathTuple) -> tuple[int | None, int | None]:
        """Return the 1-based ``(line, column)`` of the node at ``path``.

        Args:
            path: a JSON path as a tuple of keys and indexes, e.g. ``("schema", 0, "properties", 3)``.

        Returns:
            The position of the node, or of its nearest ancestor that exists; ``(None, None)`` when
            not even the first step exists.
        """
        path = tuple(path)
        while path:
            found = self.positions.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.positions.get((), (None, None))


def _decode(raw: bytes, filename: str | None) -> str:
    from quanta.spec.yaml_events import load_error

    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise load_error(
            "yaml.encoding",
            f"byte 0x{raw[error.start]:02x} is not valid UTF-8; save the file as UTF-8",
            filename,
            line,
            column,
        ) from None


def _copy_paste_damage(text: str, filename: str | None, lenient: bool) -> tuple[str, list[Diagnostic]]:
    """Find (strict) or repair (lenient) non-breaking spaces used as indentation or after ``key:``."""
    if _NBSP not in text:
        return text, []
    from quanta.spec.yaml_events import summary_of

    found: list[Diagnostic] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if _NBSP not in line:
            continue
        leading = _LEADING.match(line).group(0)
        columns = [i + 1 for i, ch in enumerate(leading) if ch == _NBSP]
        columns += [m.start() + 2 for m in _NBSP_AFTER_COLON.finditer(line, len(leading))]
        if not columns:
            continue
        if lenient:
            repaired = leading.replace(_NBSP, " ") + line[len(leading) :]
            lines[number - 1] = _NBSP_AFTER_COLON.sub(": ", repaired)
            found.append(
                Diagnostic(
                    "yaml.nbsp-indent",
                    "non-breaking spaces (U+00A0) used as YAML whitespace were replaced by spaces",
                    "warning",
                    line=number,
                    column=columns[0],
                    file=filename,
                )
            )
        else:
            found.append(
                Diagnostic(
                    "yaml.nbsp-indent",
                    "non-breaking space (U+00A0) used as indentation or after 'key:' (common when text is "
                    "copied from a document); replace it with a normal space, or lint with --lenient",
                    line=number,
                    column=columns[0],
                    file=filename,
                )
            )
    if found and not lenient:
        more = f" (and {len(found) - 1} more lines)" if len(found) > 1 else ""
        raise SpecError(summary_of(found[0]) + more, diagnostics=found)
    return "\n".join(lines), found


def _syntax_error(error: Exception, text: str, filename: str | None) -> SpecError:
    from quanta.spec.yaml_events import load_error

    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    line = column = None
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        lines = text.split("\n")
        if 0 <= mark.line < len(lines):
            row = lines[mark.line]
            leading = row[: len(row) - len(row.lstrip(" \t"))]
            if "\t" in leading or (mark.column < len(row) and row[mark.column] == "\t"):
                return load_error(
                    "yaml.tab-indent",
                    "a tab character is used as indentation; YAML indents with spaces only: replace the "
                    "tab with spaces",
                    filename,
                    line,
                    (leading.index("\t") + 1) if "\t" in leading else column,
                )
    context = getattr(error, "context", None)
    message = f"{context}, {problem}" if context else problem
    return load_error("yaml.syntax", f"invalid YAML: {message}", filename, line, column)


def load_yaml(
    source: str | bytes | Path,
    *,
    filename: str | None = None,
    lenient: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES,
) -> LoadedYaml:
    """Load one YAML document whose top level is a mapping, safely and with positions.

    Args:
        source: a path, or the YAML text (``str``) or its UTF-8 bytes.
        filename: the name to report in diagnostics (defaults to the path).
        lenient: repair non-breaking-space indentation and typographic quotes with a warning instead of
            failing.
        max_bytes: refuse larger inputs (default 20 MiB).
        max_depth: refuse mappings and lists nested deeper than this (default 200).
        max_alias_nodes: refuse aliases that expand to more nodes than this (default 100,000).

    Returns:
        The loaded document: plain data in the order written, positions, and the lenient repairs.

    Raises:
        SpecError: the input cannot be read as one YAML mapping (too large, not UTF-8, empty, invalid
            YAML, duplicate key, unsafe tag, too deep, alias bomb, tabs, strict copy-paste damage). Its
            diagnostics carry the file, line, column and JSON path.
    """
    from quanta.spec.yaml_events import EventBuilder, load_error, parser_factory

    if isinstance(source, Path):
        filename = filename or str(source)
        try:
            size = source.stat().st_size
            if size > max_bytes:
                raise load_error(
                    "yaml.too-large",
                    f"the file has {size} bytes, more than the limit of "
                    f"{max_bytes}; split it or raise the limit",
                    filename,
                )
            raw = source.read_bytes()
        except OSError as error:
            raise load_error(
                "io.unreadable", f"cannot read the file: {error.strerror or error}", filename
            ) from None
    else:
        raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    if len(raw) > max_bytes:
        raise load_error(
            "yaml.too-large",
            f"the input has {len(raw)} bytes, more than the limit of {max_bytes}; "
            "split it or raise the limit",
            filename,
        )
    text = _decode(raw, filename)
    if not text.strip():
        raise load_error(
            "yaml.empty", "the file is empty; a contract or product is a YAML mapping", filename, 1, 1
        )
    text, warnings = _copy_paste_damage(text, filename, lenient)
    make_parser, _, _ = parser_factory()
    builder = EventBuilder(filename, lenient, max_depth, max_alias_nodes)
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    parser = make_parser(text)
    try:
        data = builder.build(parser)
    except (MarkedYAMLError, YAMLError) as error:
        raise _syntax_error(error, text, filename) from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    if data is None:
        raise load_error(
            "yaml.empty", "the document is empty; a contract or product is a YAML mapping", filename, 1, 1
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise load_error(
            "yaml.not-a-mapping",
            f"the top level is {kind}, but a contract or product must be a mapping of fields "
            "(apiVersion, kind, id, ...)",
            filename,
            1,
            1,
        )
    return LoadedYaml(
        data=data, file=filename, warnings=warnings + builder.warnings, positions=builder.positions
    )


def dump_yaml(data: Any) -> str:
    """Serialise plain data as block-style YAML, keeping key order.

    Strings that YAML would read as something else (``2014-08-02``, ``true``, ``1.0``) are quoted, so
    loading the output gives the same data back.

    Args:
        data: plain ``dict``/``list``/scalars.

    Returns:
        The YAML text.
    """
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()

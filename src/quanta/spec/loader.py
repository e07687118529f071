"""Safe, bounded YAML loading with source positions for every JSON path.

ruamel.yaml (with its libyaml-based C parser when installed, its pure-Python parser otherwise) turns the
text into YAML events; this module builds plain ``dict``/``list``/scalar data from those events with an
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

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from quanta.errors import Diagnostic, SpecError
from quanta.spec.paths import format_path

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""Refuse inputs larger than this many bytes (20 MiB), unless the caller passes another limit."""
DEFAULT_MAX_DEPTH = 200
"""Refuse documents whose mappings and sequences nest deeper than this."""
DEFAULT_MAX_ALIAS_NODES = 100_000
"""Refuse documents whose aliases would expand to more than this many nodes (alias bombs)."""

PathTuple = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NULL = "tag:yaml.org,2002:null"
_SCALAR_TAGS = {
    _STR,
    _TIMESTAMP,
    _NULL,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
}
_MAP_TAGS = {None, "!", "tag:yaml.org,2002:map"}
# First characters of every implicitly typed plain scalar (int, float, bool, null, timestamp, merge,
# value) in YAML 1.2 and 1.1; any other plain scalar is text, which skips the resolver's regexes.
_RESOLVABLE_START = frozenset("0123456789+-.~=<tTfFnNyYoO")
_SEQ_TAGS = {None, "!", "tag:yaml.org,2002:seq"}
_OPEN_QUOTES = "‘“‚„"
_CLOSE_QUOTES = "’”‘“"
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


@cache
def _parser_factory():
    """Return a callable ``text -> parser`` (libyaml C parser when available) and a scalar constructor."""
    from ruamel.yaml import YAML

    pure = YAML(typ="safe", pure=True)
    constructor = pure.constructor
    resolver = pure.resolver
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        CParser = None

    def make(text: str):
        if CParser is not None:
            return CParser(text)
        return YAML(typ="safe", pure=True).get_constructor_parser(text)[1]  # pragma: no cover

    return make, constructor, resolver


def _fail(
    code: str,
    message: str,
    file: str | None,
    line: int | None = None,
    column: int | None = None,
    path: PathTuple = (),
) -> SpecError:
    diagnostic = Diagnostic(code, message, path=format_path(path), line=line, column=column, file=file)
    return SpecError(_summary(diagnostic), diagnostics=[diagnostic])


def _summary(diagnostic: Diagnostic) -> str:
    """``file:line:column: message (at path)``: the error's message, without markup-like brackets."""
    where = f" (at {diagnostic.path})" if diagnostic.path else ""
    return f"{diagnostic.location()}: {diagnostic.message}{where}"


def _decode(raw: bytes, filename: str | None) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise _fail(
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
        raise SpecError(_summary(found[0]) + more, diagnostics=found)
    return "\n".join(lines), found


class _Frame:
    __slots__ = ("anchor", "container", "explicit", "key", "key_mark", "path", "start_count")

    def __init__(self, container: Any, path: PathTuple, anchor: str | None, start_count: int) -> None:
        self.container = container
        self.path = path
        self.anchor = anchor
        self.start_count = start_count
        self.key: str | None = None
        self.key_mark: tuple[int, int] | None = None
        self.explicit: set[str] = set()


class _Builder:
    """Build plain data from YAML events with limits, positions and only the core tags."""

    def __init__(self, filename: str | None, lenient: bool, max_depth: int, max_alias_nodes: int) -> None:
        self.file = filename
        self.lenient = lenient
        self.max_depth = max_depth
        self.max_alias_nodes = max_alias_nodes
        self.positions: dict[PathTuple, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.warnings: list[Diagnostic] = []
        self.nodes = 0
        self.alias_nodes = 0
        _, self.constructor, self.resolver = _parser_factory()

    def error(self, code: str, message: str, mark: Any, path: PathTuple = ()) -> SpecError:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return _fail(code, message, self.file, line, column, path)

    def scalar(self, event: Any, path: PathTuple) -> Any:
        tag, value, style = event.tag, event.value, event.style
        if tag in (None, "!"):
            if style in ("|", ">"):  # block scalars stay text that remembers its style (dumped alike)
                return LiteralScalarString(value) if style == "|" else FoldedScalarString(value)
            if tag == "!" or style:  # quoted or non-specific (`!`) scalars are text
                return value
            if value and value[0] not in _RESOLVABLE_START:
                return self._quotes(value, event, path)  # no implicit type starts this way: text
            tag = str(self.resolver.resolve(ScalarNode, value, (True, False)))
        elif tag not in _SCALAR_TAGS:
            raise self.error(
                "yaml.unsafe-tag",
                f"tag {_short_tag(tag)} is not allowed: contracts are plain data, so only YAML's core "
                "tags (str, int, float, bool, null) are accepted; remove the tag",
                event.start_mark,
                path,
            )
        if tag == _STR:
            return value if style else self._quotes(value, event, path)
        if tag == _TIMESTAMP:
            return value
        if tag == _NULL:
            return None
        try:
            return self.constructor.yaml_constructors[tag](self.constructor, ScalarNode(tag, value))
        except Exception as error:  # a malformed explicitly tagged scalar such as `!!int abc`
            raise self.error(
                "yaml.syntax", f"{value!r} is not a valid {_short_tag(tag)}: {error}", event.start_mark, path
            ) from None

    def _quotes(self, value: str, event: Any, path: PathTuple) -> str:
        if len(value) < 2 or value[0] not in _OPEN_QUOTES or value[-1] not in _CLOSE_QUOTES:
            return value
        mark = event.start_mark
        if not self.lenient:
            raise self.error(
                "yaml.typographic-quotes",
                f"the value {value} is wrapped in typographic quotes, which YAML keeps as part of the "
                "text; use straight quotes (' or \") instead, or lint with --lenient",
                mark,
                path,
            )
        self.warnings.append(
            Diagnostic(
                "yaml.typographic-quotes",
                f"typographic quotes around {value} were removed",
                "warning",
                path=format_path(path),
                line=mark.line + 1,
                column=mark.column + 1,
                file=self.file,
            )
        )
        return value[1:-1]

    def build(self, parser: Any) -> Any:
        stack: list[_Frame] = []
        root: Any = _MISSING
        documents = 0
        while True:
            event = parser.get_event()
            name = type(event).__name__
            if name == "ScalarEvent":
                if stack and isinstance(stack[-1].container, dict) and stack[-1].key is None:
                    self._key(stack[-1], event)
                    continue
                path = self._child_path(stack)
                self.nodes += 1
                value = self.scalar(event, path)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                root = self._place(stack, value, event.start_mark, root)
            elif name in ("MappingStartEvent", "SequenceStartEvent"):
                mapping = name == "MappingStartEvent"
                if stack and isinstance(stack[-1].container, dict) and stack[-1].key is None:
                    raise self.error(
                        "yaml.complex-key",
                        "a mapping or list used as a key is not supported; keys must be plain text",
                        event.start_mark,
                        stack[-1].path,
                    )
                if event.tag not in (_MAP_TAGS if mapping else _SEQ_TAGS):
                    raise self.error(
                        "yaml.unsafe-tag",
                        f"tag {_short_tag(event.tag)} is not allowed: only plain mappings and lists are "
                        "accepted; remove the tag",
                        event.start_mark,
                        self._child_path(stack),
                    )
                if len(stack) >= self.max_depth:
                    raise self.error(
                        "yaml.too-deep",
                        f"the document nests deeper than {self.max_depth} levels; flatten it",
                        event.start_mark,
                        self._child_path(stack),
                    )
                path = self._child_path(stack)
                self.nodes += 1
                if stack:
                    self._record(stack[-1], path, event.start_mark)
                else:
                    self.positions[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
                stack.append(_Frame({} if mapping else [], path, event.anchor, self.nodes + self.alias_nodes))
            elif name in ("MappingEndEvent", "SequenceEndEvent"):
                frame = stack.pop()
                if frame.anchor:
                    size = self.nodes + self.alias_nodes - frame.start_count + 1
                    self.anchors[frame.anchor] = (frame.container, size)
                root = self._place(stack, frame.container, None, root, placed=True)
            elif name == "AliasEvent":
                as_key = bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None
                self._alias(stack, event)
                if as_key:
                    continue
                value, size = self.anchors[event.anchor]
                root = self._place(stack, copy.deepcopy(value) if size > 1 else value, event.start_mark, root)
            elif name == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    raise self.error(
                        "yaml.multiple-documents",
                        "the file holds more than one YAML document ('---'); put one contract or product "
                        "in each file",
                        event.start_mark,
                    )
            elif name == "StreamEndEvent":
                return None if root is _MISSING else root

    def _alias(self, stack: list[_Frame], event: Any) -> None:
        if event.anchor not in self.anchors:
            raise self.error(
                "yaml.syntax",
                f"alias *{event.anchor} names no anchor defined before it",
                event.start_mark,
                self._child_path(stack),
            )
        value, size = self.anchors[event.anchor]
        self.alias_nodes += size
        if self.alias_nodes > self.max_alias_nodes:
            raise self.error(
                "yaml.alias-limit",
                f"aliases expand to more than {self.max_alias_nodes} nodes (an 'alias bomb'); write the "
                "repeated parts out or use fewer aliases",
                event.start_mark,
                self._child_path(stack),
            )
        frame = stack[-1] if stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            if not isinstance(value, str):
                raise self.error(
                    "yaml.complex-key",
                    "an alias used as a key must name a text value",
                    event.start_mark,
                    frame.path,
                )
            self._set_key(frame, value, event.start_mark)

    def _key(self, frame: _Frame, event: Any) -> None:
        if event.tag not in (None, "!", _STR):
            raise self.error(
                "yaml.unsafe-tag",
                f"tag {_short_tag(event.tag)} is not allowed on a key",
                event.start_mark,
                frame.path,
            )
        value = event.value if event.style else self._quotes(event.value, event, frame.path)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._set_key(frame, value, event.start_mark, merge=not event.style and value == "<<")

    def _set_key(self, frame: _Frame, key: str, mark: Any, merge: bool = False) -> None:
        if merge:
            frame.key, frame.key_mark = "<<", (mark.line + 1, mark.column + 1)
            return
        if key in frame.explicit:
            first = self.positions.get((*frame.path, key))
            where = f" (first at line {first[0]})" if first else ""
            raise self.error(
                "yaml.duplicate-key",
                f"duplicate key {key!r}{where}: a key may appear once per mapping; remove or merge one",
                mark,
                (*frame.path, key),
            )
        frame.explicit.add(key)
        frame.key, frame.key_mark = key, (mark.line + 1, mark.column + 1)

    @staticmethod
    def _child_path(stack: list[_Frame]) -> PathTuple:
        if not stack:
            return ()
        frame = stack[-1]
        if isinstance(frame.container, dict):
            return (*frame.path, frame.key if frame.key is not None else "")
        return (*frame.path, len(frame.container))

    def _record(self, frame: _Frame, path: PathTuple, mark: Any) -> None:
        if isinstance(frame.container, dict):
            if frame.key_mark is not None:
                self.positions[path] = frame.key_mark
        elif mark is not None:
            self.positions[path] = (mark.line + 1, mark.column + 1)

    def _place(self, stack: list[_Frame], value: Any, mark: Any, root: Any, placed: bool = False) -> Any:
        if not stack:
            return value
        frame = stack[-1]
        if not placed:
            self._record(frame, self._child_path(stack), mark)
        if isinstance(frame.container, list):
            frame.container.append(value)
            return root
        key = frame.key
        frame.key = frame.key_mark = None
        if key == "<<" and "<<" not in frame.explicit:
            self._merge(frame, value)
        else:
            frame.container[key] = value
        return root

    def _merge(self, frame: _Frame, value: Any) -> None:
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise _fail(
                    "yaml.syntax",
                    "a merge key '<<' must name a mapping or a list of mappings",
                    self.file,
                    path=frame.path,
                )
            for key, item in source.items():
                if key not in frame.explicit and key not in frame.container:
                    frame.container[key] = copy.deepcopy(item)


_MISSING = object()


def _short_tag(tag: Any) -> str:
    text = str(tag)
    return "!!" + text[len("tag:yaml.org,2002:") :] if text.startswith("tag:yaml.org,2002:") else text


def _syntax_error(error: Exception, text: str, filename: str | None) -> SpecError:
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
                return _fail(
                    "yaml.tab-indent",
                    "a tab character is used as indentation; YAML indents with spaces only: replace the "
                    "tab with spaces",
                    filename,
                    line,
                    (leading.index("\t") + 1) if "\t" in leading else column,
                )
    context = getattr(error, "context", None)
    message = f"{context}, {problem}" if context else problem
    return _fail("yaml.syntax", f"invalid YAML: {message}", filename, line, column)


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
    if isinstance(source, Path):
        filename = filename or str(source)
        try:
            size = source.stat().st_size
            if size > max_bytes:
                raise _fail(
                    "yaml.too-large",
                    f"the file has {size} bytes, more than the limit of "
                    f"{max_bytes}; split it or raise the limit",
                    filename,
                )
            raw = source.read_bytes()
        except OSError as error:
            raise _fail(
                "io.unreadable", f"cannot read the file: {error.strerror or error}", filename
            ) from None
    else:
        raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    if len(raw) > max_bytes:
        raise _fail(
            "yaml.too-large",
            f"the input has {len(raw)} bytes, more than the limit of {max_bytes}; "
            "split it or raise the limit",
            filename,
        )
    text = _decode(raw, filename)
    if not text.strip():
        raise _fail(
            "yaml.empty", "the file is empty; a contract or product is a YAML mapping", filename, 1, 1
        )
    text, warnings = _copy_paste_damage(text, filename, lenient)
    make_parser, _, _ = _parser_factory()
    builder = _Builder(filename, lenient, max_depth, max_alias_nodes)
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
        raise _fail(
            "yaml.empty", "the document is empty; a contract or product is a YAML mapping", filename, 1, 1
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise _fail(
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

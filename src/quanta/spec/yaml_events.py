"""Plain data from YAML events, with limits, positions and only YAML's core tags.

The engine of :func:`quanta.spec.loader.load_yaml`: ruamel.yaml's parser (libyaml's C parser when
``ruamel.yaml[libyaml]`` is installed) yields events, and :class:`EventBuilder` turns them into plain
``dict``/``list``/scalars with an explicit stack, so it enforces nesting depth, alias expansion, duplicate
keys and safe tags itself and records the 1-based line and column of every JSON path.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from quanta.errors import Diagnostic, SpecError
from quanta.spec.paths import format_path

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


@cache
def parser_factory():
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


def load_error(
    code: str,
    message: str,
    file: str | None,
    line: int | None = None,
    column: int | None = None,
    path: PathTuple = (),
) -> SpecError:
    """Return a :class:`SpecError` with one diagnostic at ``file:line:column`` and JSON ``path``."""
    diagnostic = Diagnostic(code, message, path=format_path(path), line=line, column=column, file=file)
    return SpecError(summary_of(diagnostic), diagnostics=[diagnostic])


def summary_of(diagnostic: Diagnostic) -> str:
    """``file:line:column: message (at path)``: the error's message, without markup-like brackets."""
    where = f" (at {diagnostic.path})" if diagnostic.path else ""
    return f"{diagnostic.location()}: {diagnostic.message}{where}"


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


class EventBuilder:
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
        _, self.constructor, self.resolver = parser_factory()

    def error(self, code: str, message: str, mark: Any, path: PathTuple = ()) -> SpecError:
        """Return a load error located at the event ``mark``."""
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return load_error(code, message, self.file, line, column, path)

    def scalar(self, event: Any, path: PathTuple) -> Any:
        """Return the value of a scalar event: text, or an int/float/bool/null of YAML's core schema."""
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
        """Consume the parser's events and return the document (``None`` when there is none)."""
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
                raise load_error(
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

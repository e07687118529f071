"""Shared pieces of the semantic rules: the finding record and walkers over schema objects, properties and rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from quanta.errors import Severity

PathTuple = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One semantic problem, before file positions are attached.

    Attributes:
        code: stable diagnostic code, e.g. ``"odcs.key-position"``.
        message: what is wrong and how to fix it.
        path: JSON path of the offending node.
        severity: ``"error"`` or ``"warning"``.
    """

    code: str
    message: str
    path: PathTuple
    severity: Severity = "error"


def schema_objects(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    """Yield ``(path, object)`` for every schema object (``schema[i]``) that is a mapping."""
    schema = data.get("schema")
    if isinstance(schema, list):
        for i, obj in enumerate(schema):
            if isinstance(obj, dict):
                yield ("schema", i), obj


def property_levels(node: dict[str, Any], path: PathTuple) -> Iterator[tuple[PathTuple, list[Any]]]:
    """Yield ``(path of the list, list)`` for every ``properties`` list under ``node``, nested ones too."""
    stack = [(node, path)]
    while stack:
        current, where = stack.pop()
        props = current.get("properties")
        if isinstance(props, list):
            yield (*where, "properties"), props
            for i, prop in enumerate(props):
                if isinstance(prop, dict):
                    stack.append((prop, (*where, "properties", i)))
        items = current.get("items")
        if isinstance(items, dict):
            stack.append((items, (*where, "items")))


def all_properties(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    """Yield ``(path, property)`` for every property at any depth, array ``items`` included."""
    for obj_path, obj in schema_objects(data):
        for list_path, props in property_levels(obj, obj_path):
            for i, prop in enumerate(props):
                if isinstance(prop, dict):
                    yield (*list_path, i), prop
                    items = prop.get("items")
                    if isinstance(items, dict):
                        yield (*list_path, i, "items"), items


def quality_rules(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    """Yield ``(path, rule)`` for every quality rule, on objects and on properties at any depth."""
    for path, obj in schema_objects(data):
        yield from rules_of(obj, path)
    for path, prop in all_properties(data):
        yield from rules_of(prop, path)


def rules_of(node: dict[str, Any], path: PathTuple) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    """Yield ``(path, rule)`` for the ``quality`` rules of one object or property."""
    rules = node.get("quality")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            if isinstance(rule, dict):
                yield (*path, "quality", i), rule


def is_number(value: Any) -> bool:
    """Return whether ``value`` is an int or float (``bool`` is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def fmt_path(path: PathTuple) -> str:
    """Render ``path`` for a message (``"the root"`` for the empty path)."""
    from quanta.spec.paths import format_path

    return format_path(path) or "the root"

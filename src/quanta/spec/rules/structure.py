"""Schema structure: unique names and ids, key positions, ``logicalTypeOptions`` that fit the type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quanta.spec.rules._base import (
    Finding,
    PathTuple,
    all_properties,
    fmt_path,
    is_number,
    property_levels,
    schema_objects,
)

_DATE_OPTIONS = {
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "timezone",
    "defaultTimezone",
}


_NUMBER_OPTIONS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"}


LOGICAL_TYPE_OPTIONS: dict[str, set[str]] = {
    "string": {"format", "minLength", "maxLength", "pattern"},
    "integer": _NUMBER_OPTIONS,
    "number": _NUMBER_OPTIONS,
    "date": _DATE_OPTIONS,
    "timestamp": _DATE_OPTIONS,
    "time": _DATE_OPTIONS,
    "array": {"minItems", "maxItems", "uniqueItems"},
    "object": {"minProperties", "maxProperties", "required"},
    "boolean": set(),
}
"""Which ``logicalTypeOptions`` keys fit which ``logicalType`` (ODCS v3.1.0 §Logical type options)."""


_BOUNDS = (
    ("minLength", "maxLength"),
    ("minimum", "maximum"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
)


def check_names(data: dict[str, Any]) -> Iterator[Finding]:
    """Schema object names are unique; property names are unique within their object (each level)."""
    seen: dict[str, PathTuple] = {}
    for path, obj in schema_objects(data):
        name = obj.get("name")
        if isinstance(name, str):
            if name in seen:
                yield Finding(
                    "odcs.duplicate-name",
                    f"schema object name {name!r} is used twice (first at "
                    f"{fmt_path(seen[name])}); give each object its own name",
                    (*path, "name"),
                )
            seen.setdefault(name, path)
        for list_path, props in property_levels(obj, path):
            names: dict[str, int] = {}
            for i, prop in enumerate(props):
                pname = prop.get("name") if isinstance(prop, dict) else None
                if isinstance(pname, str):
                    if pname in names:
                        yield Finding(
                            "odcs.duplicate-name",
                            f"property name {pname!r} is used twice in "
                            f"{fmt_path(list_path)} (first at index {names[pname]})",
                            (*list_path, i, "name"),
                        )
                    names.setdefault(pname, i)


def check_ids(data: dict[str, Any]) -> Iterator[Finding]:
    """Every ``id`` below the root is unique in the contract (ODCS v3.1 stable identifiers)."""
    seen: dict[str, PathTuple] = {}
    stack: list[tuple[Any, PathTuple]] = [(v, (k,)) for k, v in reversed(list(data.items()))]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            value = node.get("id")
            if isinstance(value, str):
                if value in seen:
                    yield Finding(
                        "odcs.duplicate-id",
                        f"id {value!r} is already used at {fmt_path(seen[value])}; "
                        "ids must be unique within a contract",
                        (*path, "id"),
                    )
                else:
                    seen[value] = path
            stack.extend((v, (*path, k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node))))


def check_key_positions(data: dict[str, Any]) -> Iterator[Finding]:
    """``primaryKeyPosition`` and ``partitionKeyPosition`` run 1..n without gaps or repeats per object."""
    for path, obj in schema_objects(data):
        for list_path, props in property_levels(obj, path):
            for flag, field in (
                ("primaryKey", "primaryKeyPosition"),
                ("partitioned", "partitionKeyPosition"),
            ):
                positions: list[tuple[int, int]] = []
                for i, prop in enumerate(props):
                    if not isinstance(prop, dict):
                        continue
                    position = prop.get(field)
                    if isinstance(position, int) and not isinstance(position, bool) and position != -1:
                        positions.append((position, i))
                        if prop.get(flag) is False:
                            yield Finding(
                                "odcs.key-position",
                                f"{field} is set but {flag} is false",
                                (*list_path, i, field),
                            )
                if not positions:
                    continue
                values = sorted(p for p, _ in positions)
                expected = list(range(1, len(values) + 1))
                if values != expected:
                    where = (*list_path, positions[0][1], field)
                    yield Finding(
                        "odcs.key-position",
                        f"{field} values in {fmt_path(list_path)} are "
                        f"{values}; they must be {expected} (contiguous from 1, each once)",
                        where,
                    )


def check_logical_type_options(data: dict[str, Any]) -> Iterator[Finding]:
    """``logicalTypeOptions`` keys fit the ``logicalType``, and min/max pairs are ordered."""
    for path, prop in all_properties(data):
        options = prop.get("logicalTypeOptions")
        logical = prop.get("logicalType")
        if (
            not isinstance(options, dict)
            or not isinstance(logical, str)
            or logical not in LOGICAL_TYPE_OPTIONS
        ):
            continue
        allowed = LOGICAL_TYPE_OPTIONS[logical]
        for key in options:
            if key not in allowed:
                fits = ", ".join(sorted(allowed)) or "none"
                yield Finding(
                    "odcs.logical-type-options",
                    f"logicalTypeOptions.{key} does not fit logicalType "
                    f"{logical!r} (options for {logical}: {fits})",
                    (*path, "logicalTypeOptions", key),
                )
        for low, high in _BOUNDS:
            a, b = options.get(low), options.get(high)
            if is_number(a) and is_number(b) and a > b:
                yield Finding(
                    "odcs.logical-type-options",
                    f"logicalTypeOptions.{low} ({a}) is greater than {high} ({b})",
                    (*path, "logicalTypeOptions", low),
                )

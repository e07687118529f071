"""Relationships (ODCS v3.1): ``from``/``to`` name existing properties, here or in another contract of the mesh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quanta.spec.rules._base import (
    Finding,
    PathTuple,
    schema_objects,
)


def check_relationships(
    data: dict[str, Any], known_objects: dict[str, set[str]] | None = None
) -> Iterator[Finding]:
    """Relationship ``from``/``to`` name existing properties (shorthand ``object.property`` or
    fully qualified ``schema/<id>/properties/<id>``); composite keys have equal lengths (ODCS v3.1)."""
    by_name: set[str] = set()
    by_id: set[str] = set()
    object_names: set[str] = set()
    for _, obj in schema_objects(data):
        oname, oid = obj.get("name"), obj.get("id")
        if isinstance(oname, str):
            object_names.add(oname)
        props = obj.get("properties") if isinstance(obj.get("properties"), list) else []
        for prop in props:
            if not isinstance(prop, dict):
                continue
            if isinstance(oname, str) and isinstance(prop.get("name"), str):
                by_name.add(f"{oname}.{prop['name']}")
            if isinstance(oid, str) and isinstance(prop.get("id"), str):
                by_id.add(f"schema/{oid}/properties/{prop['id']}")
    for obj_path, obj in schema_objects(data):
        candidates = [(obj_path, obj)]
        props = obj.get("properties") if isinstance(obj.get("properties"), list) else []
        candidates += [((*obj_path, "properties", i), p) for i, p in enumerate(props) if isinstance(p, dict)]
        for path, node in candidates:
            rels = node.get("relationships")
            if not isinstance(rels, list):
                continue
            for i, rel in enumerate(rels):
                if not isinstance(rel, dict):
                    continue
                yield from _check_relationship(
                    rel, (*path, "relationships", i), by_name, by_id, object_names, known_objects
                )


def _check_relationship(
    rel: dict[str, Any],
    path: PathTuple,
    by_name: set[str],
    by_id: set[str],
    object_names: set[str],
    known_objects: dict[str, set[str]] | None,
) -> Iterator[Finding]:
    ends = {k: rel[k] for k in ("from", "to") if k in rel}
    lengths = {k: len(v) for k, v in ends.items() if isinstance(v, list)}
    if len(lengths) == 2 and len(set(lengths.values())) > 1:
        yield Finding(
            "odcs.relationship-target",
            f"composite relationship has {lengths['from']} 'from' and "
            f"{lengths['to']} 'to' properties; they must pair up",
            path,
        )
    for end, value in ends.items():
        for ref in value if isinstance(value, list) else [value]:
            if not isinstance(ref, str) or "#" in ref or ref in by_name or ref in by_id:
                continue  # a reference into another file ('file.yaml#/...') is resolved elsewhere
            if ref.startswith("schema/"):
                yield Finding(
                    "odcs.relationship-target",
                    f"relationship {end} {ref!r} names no schema object/property id of this contract",
                    (*path, end),
                )
            else:
                obj, _, prop = ref.partition(".")
                if obj in object_names:
                    message, severity = f"object {obj!r} has no property {prop!r}", "error"
                elif known_objects is None:
                    message = f"object {obj!r} is not in this contract (it may live in another contract)"
                    severity = "warning"
                elif obj not in known_objects:
                    message, severity = f"no contract of the mesh defines an object {obj!r}", "error"
                elif prop not in known_objects[obj]:
                    message = f"object {obj!r} (in another contract of the mesh) has no property {prop!r}"
                    severity = "error"
                else:
                    continue
                yield Finding(
                    "odcs.relationship-target",
                    f"relationship {end} {ref!r}: {message}",
                    (*path, end),
                    severity,
                )  # type: ignore[arg-type]

"""Semantic rules the JSON Schemas cannot express, each with its own diagnostic code.

Every rule takes the plain document data and yields :class:`Finding` records (code, message, JSON path,
severity); :func:`quanta.spec.validate.validate` adds file positions. Codes (see ``docs/standards.md``):

=============================  ==========================================================================
``odcs.version``               ``version`` is not SemVer ``MAJOR.MINOR.PATCH`` (ODCS fundamentals)
``odcs.status``                ``status`` outside proposed/draft/active/deprecated/retired (warning)
``odcs.duplicate-name``        two schema objects, or two properties of one object, share a name
``odcs.duplicate-id``          two elements share an ``id`` (ODCS v3.1 stable ids)
``odcs.key-position``          ``primaryKeyPosition``/``partitionKeyPosition`` not 1..n without gaps
``odcs.logical-type-options``  ``logicalTypeOptions`` that do not fit the ``logicalType``
``odcs.quality-operator``      a quality rule with no operator (v3.1 library/sql) or more than one
``odcs.between``               ``mustBeBetween``/``mustNotBeBetween`` not two ascending numbers
``odcs.relationship-target``   a relationship whose ``from``/``to`` names no existing property
``odcs.sla-dates``             lifecycle dates not in order (generalAvailability < endOfSupport ≤ endOfLife)
``odcs.credentials``           a password, token or secret key written into the contract
``odps.no-output-port``        a data product without output ports
``odps.duplicate-name``        two ports of one product share a name and a version
=============================  ==========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from quanta.errors import Severity

PathTuple = tuple[str | int, ...]

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
"""The SemVer 2.0.0 grammar (semver.org), anchored."""

STATUSES = ("proposed", "draft", "active", "deprecated", "retired")
OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
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
_SECRET_KEYS = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
    "accesstoken",
    "refreshtoken",
    "secretaccesskey",
    "sessiontoken",
    "awssecretaccesskey",
    "connectionstring",
}
_ENV_REFERENCE = re.compile(
    r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*|env:[A-Za-z_][A-Za-z0-9_]*)$"
)
_LIFECYCLE = {
    "generalavailability": "generalAvailability",
    "ga": "generalAvailability",
    "endofsupport": "endOfSupport",
    "es": "endOfSupport",
    "endoflife": "endOfLife",
    "el": "endOfLife",
}


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


def _objects(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    schema = data.get("schema")
    if isinstance(schema, list):
        for i, obj in enumerate(schema):
            if isinstance(obj, dict):
                yield ("schema", i), obj


def _property_levels(node: dict[str, Any], path: PathTuple) -> Iterator[tuple[PathTuple, list[Any]]]:
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


def _all_properties(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    for obj_path, obj in _objects(data):
        for list_path, props in _property_levels(obj, obj_path):
            for i, prop in enumerate(props):
                if isinstance(prop, dict):
                    yield (*list_path, i), prop
                    items = prop.get("items")
                    if isinstance(items, dict):
                        yield (*list_path, i, "items"), items


def check_version(data: dict[str, Any]) -> Iterator[Finding]:
    """``version`` must be SemVer (``1.2.3``, optionally ``-pre`` and ``+build``)."""
    version = data.get("version")
    if version is not None and not (isinstance(version, str) and SEMVER.match(version)):
        yield Finding(
            "odcs.version",
            f"version {version!r} is not SemVer MAJOR.MINOR.PATCH (e.g. '1.0.0'); "
            "quote it if YAML read it as a number",
            ("version",),
        )


def check_status(data: dict[str, Any]) -> Iterator[Finding]:
    """``status`` should be one of the lifecycle values the standard lists (warning)."""
    status = data.get("status")
    if isinstance(status, str) and status not in STATUSES:
        yield Finding(
            "odcs.status", f"status {status!r} is not one of {', '.join(STATUSES)}", ("status",), "warning"
        )


def check_names(data: dict[str, Any]) -> Iterator[Finding]:
    """Schema object names are unique; property names are unique within their object (each level)."""
    seen: dict[str, PathTuple] = {}
    for path, obj in _objects(data):
        name = obj.get("name")
        if isinstance(name, str):
            if name in seen:
                yield Finding(
                    "odcs.duplicate-name",
                    f"schema object name {name!r} is used twice (first at "
                    f"{_fmt(seen[name])}); give each object its own name",
                    (*path, "name"),
                )
            seen.setdefault(name, path)
        for list_path, props in _property_levels(obj, path):
            names: dict[str, int] = {}
            for i, prop in enumerate(props):
                pname = prop.get("name") if isinstance(prop, dict) else None
                if isinstance(pname, str):
                    if pname in names:
                        yield Finding(
                            "odcs.duplicate-name",
                            f"property name {pname!r} is used twice in "
                            f"{_fmt(list_path)} (first at index {names[pname]})",
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
                        f"id {value!r} is already used at {_fmt(seen[value])}; "
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
    for path, obj in _objects(data):
        for list_path, props in _property_levels(obj, path):
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
                        f"{field} values in {_fmt(list_path)} are "
                        f"{values}; they must be {expected} (contiguous from 1, each once)",
                        where,
                    )


def check_logical_type_options(data: dict[str, Any]) -> Iterator[Finding]:
    """``logicalTypeOptions`` keys fit the ``logicalType``, and min/max pairs are ordered."""
    for path, prop in _all_properties(data):
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
            if _number(a) and _number(b) and a > b:
                yield Finding(
                    "odcs.logical-type-options",
                    f"logicalTypeOptions.{low} ({a}) is greater than {high} ({b})",
                    (*path, "logicalTypeOptions", low),
                )


def _quality_rules(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    for path, obj in _objects(data):
        yield from _rules_of(obj, path)
    for path, prop in _all_properties(data):
        yield from _rules_of(prop, path)


def _rules_of(node: dict[str, Any], path: PathTuple) -> Iterator[tuple[PathTuple, dict[str, Any]]]:
    rules = node.get("quality")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            if isinstance(rule, dict):
                yield (*path, "quality", i), rule


def check_quality(data: dict[str, Any]) -> Iterator[Finding]:
    """One operator per quality rule; between-operators hold two ascending numbers."""
    v31 = str(data.get("apiVersion", "")).startswith("v3.1")
    for path, rule in _quality_rules(data):
        used = [op for op in OPERATORS if op in rule]
        kind = rule.get("type", "library")
        if len(used) > 1:
            yield Finding(
                "odcs.quality-operator",
                f"the rule has {len(used)} operators ({', '.join(used)}); "
                "a rule takes exactly one: split it into one rule per operator",
                path,
            )
        elif not used and v31 and kind in ("library", "sql") and ("metric" in rule or kind == "sql"):
            yield Finding(
                "odcs.quality-operator", "the rule has no operator; add one of " + ", ".join(OPERATORS), path
            )
        for op in ("mustBeBetween", "mustNotBeBetween"):
            if op in rule:
                bounds = rule[op]
                if not (isinstance(bounds, list) and len(bounds) == 2 and all(_number(b) for b in bounds)):
                    yield Finding(
                        "odcs.between", f"{op} takes two numbers [low, high], got {bounds!r}", (*path, op)
                    )
                elif bounds[0] > bounds[1]:
                    yield Finding(
                        "odcs.between",
                        f"{op} bounds {bounds} are not ascending; write [{bounds[1]}, {bounds[0]}]",
                        (*path, op),
                    )


def check_relationships(
    data: dict[str, Any], known_objects: dict[str, set[str]] | None = None
) -> Iterator[Finding]:
    """Relationship ``from``/``to`` name existing properties (shorthand ``object.property`` or
    fully qualified ``schema/<id>/properties/<id>``); composite keys have equal lengths (ODCS v3.1)."""
    by_name: set[str] = set()
    by_id: set[str] = set()
    object_names: set[str] = set()
    for _, obj in _objects(data):
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
    for obj_path, obj in _objects(data):
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


def check_sla_dates(data: dict[str, Any]) -> Iterator[Finding]:
    """Lifecycle SLA dates are ISO 8601 and ordered: generalAvailability < endOfSupport ≤ endOfLife."""
    found: dict[str, tuple[datetime, PathTuple]] = {}
    props = data.get("slaProperties")
    if not isinstance(props, list):
        return
    for i, sla in enumerate(props):
        if not isinstance(sla, dict) or not isinstance(sla.get("property"), str):
            continue
        name = _LIFECYCLE.get(sla["property"].replace("_", "").lower())
        if name is None:
            continue
        when = _parse_date(sla.get("value"))
        if when is None:
            yield Finding(
                "odcs.sla-dates",
                f"{name} value {sla.get('value')!r} is not an ISO 8601 date "
                "(e.g. 2030-01-01 or 2030-01-01T04:00:00Z)",
                ("slaProperties", i, "value"),
            )
            continue
        found.setdefault(name, (when, ("slaProperties", i, "value")))
    pairs = (
        ("generalAvailability", "endOfSupport", False),
        ("endOfSupport", "endOfLife", True),
        ("generalAvailability", "endOfLife", False),
    )
    for first, second, may_equal in pairs:
        if first in found and second in found:
            a, b = found[first][0], found[second][0]
            if a > b or (a == b and not may_equal):
                relation = "on or before" if may_equal else "before"
                yield Finding(
                    "odcs.sla-dates",
                    f"{first} ({a.date()}) must come {relation} {second} ({b.date()})",
                    found[second][1],
                )


def check_credentials(data: dict[str, Any]) -> Iterator[Finding]:
    """No password, token or secret key is written into the contract (name an environment variable)."""
    stack: list[tuple[Any, PathTuple]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            prop = node.get("property")
            if isinstance(prop, str) and _is_secret_name(prop) and _is_secret_value(node.get("value")):
                yield Finding(
                    "odcs.credentials",
                    f"custom property {prop!r} holds a credential; contracts are "
                    "shared and versioned, so name an environment variable (e.g. '${PG_PASSWORD}') "
                    "instead",
                    (*path, "value"),
                )
            for key, value in node.items():
                if isinstance(key, str) and _is_secret_name(key) and _is_secret_value(value):
                    yield Finding(
                        "odcs.credentials",
                        f"{key!r} holds a credential; contracts are shared and "
                        "versioned, so name an environment variable (e.g. '${PG_PASSWORD}') instead",
                        (*path, key),
                    )
                else:
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))


def check_product(data: dict[str, Any]) -> Iterator[Finding]:
    """A product has at least one output port, and port names are unique per direction."""
    outputs = data.get("outputPorts")
    if not isinstance(outputs, list) or not outputs:
        yield Finding(
            "odps.no-output-port",
            "the product has no outputPorts; a data product serves at least "
            "one output port (with the contractId of its ODCS contract)",
            (),
        )
    for field in ("inputPorts", "outputPorts"):
        ports = data.get(field)
        if not isinstance(ports, list):
            continue
        seen: dict[tuple[str, str], int] = {}
        for i, port in enumerate(ports):
            name = port.get("name") if isinstance(port, dict) else None
            if isinstance(name, str):
                key = (name, str(port.get("version")))
                if key in seen:
                    yield Finding(
                        "odps.duplicate-name",
                        f"{field} name {name!r} with version {key[1]} is "
                        f"used twice (first at index {seen[key]})",
                        (field, i, "name"),
                    )
                seen.setdefault(key, i)


CONTRACT_RULES = (
    check_version,
    check_status,
    check_names,
    check_ids,
    check_key_positions,
    check_logical_type_options,
    check_quality,
    check_relationships,
    check_sla_dates,
    check_credentials,
)
PRODUCT_RULES = (check_product, check_credentials)


def run_rules(
    data: dict[str, Any], kind: str, *, known_objects: dict[str, set[str]] | None = None
) -> list[Finding]:
    """Run every semantic rule for ``kind`` (``DataContract`` or ``DataProduct``) over ``data``.

    Args:
        data: the document as plain data.
        kind: the document kind.
        known_objects: inside a mesh, the schema objects of every contract of the mesh (name → property
            names), so that relationships into other contracts are resolved; ``None`` outside a mesh.

    Returns:
        The findings, in rule order.
    """
    rules = CONTRACT_RULES if kind == "DataContract" else PRODUCT_RULES
    findings: list[Finding] = []
    for rule in rules:
        if rule is check_relationships:
            findings.extend(check_relationships(data, known_objects))
        else:
            findings.extend(rule(data))
    return findings


@cache
def _is_secret_name(name: str) -> bool:
    return re.sub(r"[^a-z]", "", name.lower()) in _SECRET_KEYS


def _is_secret_value(value: Any) -> bool:
    if value is None or isinstance(value, bool | dict | list):
        return False
    text = str(value).strip()
    return bool(text) and not _ENV_REFERENCE.match(text)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) - (parsed.utcoffset() or _ZERO)


_ZERO = datetime(2000, 1, 1) - datetime(2000, 1, 1)


def _fmt(path: PathTuple) -> str:
    from quanta.spec.paths import format_path

    return format_path(path) or "the root"

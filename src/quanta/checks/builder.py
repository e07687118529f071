"""Compile an ODCS contract into a :class:`~quanta.checks.plan.CheckPlan` (no data, no SQL).

What becomes a check (ODCS v3.1.0 field names):

- every property: presence (``field_present``), type (``field_type`` from ``logicalType`` /
  ``physicalType``), nested ``properties`` and array ``items`` too; per object, undeclared columns
  (``extra_fields``, severity warning);
- value rules (``required``, ``unique``, ``logicalTypeOptions``, ``quality``) of a nested property of an
  ``object`` property run on the struct field (property ``route.origin``); inside an ``array`` they are
  ``not_evaluated`` with the reason, one result per rule;
- ``required`` -> ``null_values``; ``unique`` -> ``duplicate_values``; ``primaryKey`` (composite by
  ``primaryKeyPosition``) -> ``null_values`` per key column and ``duplicate_values`` on the key;
- ``logicalTypeOptions`` -> ``value_range`` (minimum, maximum, exclusive bounds, multipleOf),
  ``length`` (minLength, maxLength), ``invalid_values`` (pattern, validValues), ``string_format``;
- ``quality[]`` at object and property level (library metrics, ``sql``, ``custom``, ``text``) ->
  see :mod:`quanta.checks.quality`;
- ``relationships`` -> ``relationship``; ``slaProperties`` -> see :mod:`quanta.checks.sla`.
"""

from __future__ import annotations

from typing import Any

from quanta.checks.plan import Check, CheckPlan, Condition, RuleMeta, Threshold
from quanta.checks.quality import quality_checks
from quanta.checks.relationships import relationship_checks
from quanta.checks.sla import sla_checks

ZERO = Threshold((Condition("mustBe", 0),), "rows")


def build_plan(contract: Any, *, base_dir: Any = None) -> CheckPlan:
    """Compile ``contract`` (a :class:`quanta.spec.Contract`) into a check plan.

    Args:
        contract: the loaded contract.
        base_dir: folder relative server paths start from (used by availability probes).

    Returns:
        The plan, checks in contract order (schema, then quality, relationships, SLAs).
    """
    checks: list[Check] = []
    objects = contract.schema
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict) or not obj.get("name"):
            continue
        checks.extend(_object_checks(obj, f"schema[{index}]", objects))
    checks.extend(sla_checks(contract, base_dir))
    return CheckPlan(contract.id, contract.version, tuple(checks))


def _object_checks(obj: dict[str, Any], path: str, objects: list[Any]) -> list[Check]:
    name = obj["name"]
    checks: list[Check] = []
    properties = [p for p in obj.get("properties") or [] if isinstance(p, dict) and p.get("name")]
    keys: list[tuple[int, str]] = []
    for index, prop in enumerate(obj.get("properties") or []):
        if not isinstance(prop, dict) or not prop.get("name"):
            continue
        prop_path = f"{path}.properties[{index}]"
        checks.extend(_property_checks(name, prop, prop_path))
        if prop.get("primaryKey"):
            position = prop.get("primaryKeyPosition")
            keys.append(
                (position if isinstance(position, int) and position > 0 else 10_000 + index, prop["name"])
            )
        checks.extend(quality_checks(name, prop["name"], prop.get("quality"), f"{prop_path}.quality"))
        checks.extend(relationship_checks(name, prop["name"], prop.get("relationships"), prop_path, objects))
    if keys:
        key = tuple(prop for _, prop in sorted(keys))
        label = ", ".join(key)
        for prop_name in key:
            prop = next(p for p in properties if p["name"] == prop_name)
            if not prop.get("required"):
                meta = _meta(
                    f"{name}.{prop_name}.primaryKey.nullValues",
                    f"{name}.{prop_name} primary key not null",
                    path,
                    "completeness",
                )
                checks.append(Check("null_values", name, meta, prop_name, threshold=ZERO))
        meta = _meta(
            f"{name}.primaryKey.duplicateValues", f"{name} primary key ({label}) unique", path, "uniqueness"
        )
        checks.append(Check("duplicate_values", name, meta, params={"properties": key}, threshold=ZERO))
    meta = _meta(
        f"{name}.extraColumns", f"{name} has no undeclared columns", path, "conformity", "schema", "warning"
    )
    if properties:
        checks.append(Check("extra_fields", name, meta))
    checks.extend(quality_checks(name, None, obj.get("quality"), f"{path}.quality"))
    checks.extend(relationship_checks(name, None, obj.get("relationships"), path, objects))
    return checks


def _property_checks(
    obj: str, prop: dict[str, Any], path: str, nested: tuple[str, ...] = (), in_array: bool = False
) -> list[Check]:
    top = nested[0] if nested else prop["name"]
    inner = (*nested[1:], prop["name"]) if nested else ()
    label = ".".join((*nested, prop["name"]))
    checks = [
        Check(
            "field_present",
            obj,
            _meta(f"{obj}.{label}.present", f"{obj}.{label} present", path, "conformity", "schema"),
            top,
            params={"path": inner},
        )
    ]
    if prop.get("logicalType") or prop.get("physicalType"):
        checks.append(
            Check(
                "field_type",
                obj,
                _meta(f"{obj}.{label}.type", f"{obj}.{label} type", path, "conformity", "schema"),
                top,
                params={
                    "path": inner,
                    "logical_type": prop.get("logicalType"),
                    "physical_type": prop.get("physicalType"),
                },
            )
        )
    for index, child in enumerate(prop.get("properties") or []):
        if isinstance(child, dict) and child.get("name"):
            checks.extend(
                _property_checks(obj, child, f"{path}.properties[{index}]", (*nested, prop["name"]), in_array)
            )
    items = prop.get("items")
    if isinstance(items, dict):
        for index, child in enumerate(items.get("properties") or []):
            if isinstance(child, dict) and child.get("name"):
                checks.extend(
                    _property_checks(
                        obj, child, f"{path}.items.properties[{index}]", (*nested, prop["name"]), True
                    )
                )
    values = _value_checks(obj, prop, path, label)
    if nested:  # top-level quality rules are added by the object, after the property's own rules
        values.extend(quality_checks(obj, label, prop.get("quality"), f"{path}.quality"))
    if in_array:  # a field of array elements has no single column to count on
        reason = f"rules on nested properties inside an array are not evaluated yet: {obj}.{label}"
        values = [
            c if c.kind in ("not_evaluated", "invalid_rule") else _not_evaluated(c, reason) for c in values
        ]
    return checks + values


def _value_checks(obj: str, prop: dict[str, Any], path: str, name: str) -> list[Check]:
    """``required``, ``unique`` and ``logicalTypeOptions`` of the property called ``name`` (a dotted path
    such as ``route.origin`` for a field of an ``object`` property: a struct field in the data)."""
    checks = []
    if prop.get("required"):
        checks.append(
            Check(
                "null_values",
                obj,
                _meta(f"{obj}.{name}.required", f"{obj}.{name} required", path, "completeness"),
                name,
                threshold=ZERO,
            )
        )
    if prop.get("unique"):
        checks.append(
            Check(
                "duplicate_values",
                obj,
                _meta(f"{obj}.{name}.unique", f"{obj}.{name} unique", path, "uniqueness"),
                name,
                threshold=ZERO,
            )
        )
    checks.extend(_option_checks(obj, prop, f"{path}.logicalTypeOptions", name))
    return checks


def _not_evaluated(check: Check, reason: str) -> Check:
    return Check("not_evaluated", check.object, check.meta, check.property, params={"reason": reason})


def _option_checks(obj: str, prop: dict[str, Any], path: str, name: str) -> list[Check]:
    options = prop.get("logicalTypeOptions") or {}
    if isinstance(options, list):  # an ODCS v3.0.2 documentation example writes a list of mappings
        merged: dict[str, Any] = {}
        for item in options:
            if isinstance(item, dict):
                merged.update(item)
        options = merged
    if not isinstance(options, dict):
        return []
    checks = []

    def add(kind: str, key: str, params: dict[str, Any]) -> None:
        meta = _meta(f"{obj}.{name}.{key}", f"{obj}.{name} {key}", path, "conformity")
        checks.append(Check(kind, obj, meta, name, params=params, threshold=ZERO))

    bounds = []
    exclusive_min, exclusive_max = options.get("exclusiveMinimum"), options.get("exclusiveMaximum")
    if options.get("minimum") is not None:
        strict = exclusive_min is True  # ODCS v3.0.2: boolean modifier
        bounds.append(("mustBeGreaterThan" if strict else "mustBeGreaterOrEqualTo", options["minimum"]))
    if options.get("maximum") is not None:
        strict = exclusive_max is True
        bounds.append(("mustBeLessThan" if strict else "mustBeLessOrEqualTo", options["maximum"]))
    if exclusive_min is not None and not isinstance(exclusive_min, bool):
        bounds.append(("mustBeGreaterThan", exclusive_min))
    if exclusive_max is not None and not isinstance(exclusive_max, bool):
        bounds.append(("mustBeLessThan", exclusive_max))
    for operator, value in bounds:
        key = {
            "mustBeGreaterThan": "exclusiveMinimum",
            "mustBeGreaterOrEqualTo": "minimum",
            "mustBeLessThan": "exclusiveMaximum",
            "mustBeLessOrEqualTo": "maximum",
        }[operator]
        add("value_range", key, {"conditions": ((operator, value),)})
    if options.get("multipleOf"):
        add("value_range", "multipleOf", {"conditions": (), "multiple_of": options["multipleOf"]})
    if options.get("minLength") is not None:
        add("length", "minLength", {"min": options["minLength"]})
    if options.get("maxLength") is not None:
        add("length", "maxLength", {"max": options["maxLength"]})
    if options.get("pattern"):
        add("invalid_values", "pattern", {"pattern": str(options["pattern"])})
    if options.get("validValues"):
        add("invalid_values", "validValues", {"valid_values": tuple(options["validValues"])})
    if options.get("format"):
        add("string_format", "format", {"format": str(options["format"])})
    return checks


def _meta(
    rule_id: str,
    name: str,
    path: str,
    dimension: str | None,
    criteria: str = "dq",
    severity: str | None = None,
) -> RuleMeta:
    return RuleMeta(
        id=rule_id, name=name, path=path, criteria=criteria, dimension=dimension, severity=severity
    )

"""ODCS v3.1 ``relationships`` (foreign keys) compiled into ``relationship`` checks.

Source: ODCS v3.1.0 ``schema[].relationships`` (``type`` default ``foreignKey``, ``from`` and ``to``,
strings or lists for composite keys) and property-level ``relationships`` (``to`` only). References are
the shorthand ``object.property`` (the object may be another contract's object in the same mesh, e.g.
``airlines.carrier``) or the fully qualified ``schema/<id>/properties/<id>`` form, resolved by ``id``.

ODCS gives a relationship no ``id`` and no ``severity``; Quanta reads them from the entry's
``customProperties``: ``quantaRuleId`` (the check's id in reports) and ``quantaSeverity`` (``error``,
``warning`` or ``info``; absent means blocking, as for quality rules). ``quantaContractId`` names the
contract holding the ``to`` object and is resolved by the build.
"""

from __future__ import annotations

from typing import Any

from quanta.checks.plan import Check, Condition, RuleMeta, Threshold

ZERO = Threshold((Condition("mustBe", 0),), "rows")


def relationship_checks(
    obj: str, prop: str | None, entries: Any, path: str, objects: list[Any]
) -> list[Check]:
    """The checks for one ``relationships`` list (object-level when ``prop`` is ``None``)."""
    checks = []
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            continue
        entry_path = f"{path}.relationships[{index}]"
        sources = [prop] if prop else [_split(ref, objects)[1] for ref in _as_list(entry.get("from"))]
        targets = [_split(ref, objects) for ref in _as_list(entry.get("to"))]
        label = ", ".join(f"{o}.{p}" for o, p in targets)
        rule_id = _custom(entry, "quantaRuleId") or entry.get("id")
        severity = _custom(entry, "quantaSeverity")
        meta = RuleMeta(
            id=str(rule_id or f"{obj}.{'.'.join(s or '?' for s in sources)}.relationship.{index}"),
            name=f"{obj}.{', '.join(s or '?' for s in sources)} references {label}",
            path=entry_path,
            criteria="dq",
            dimension="consistency",
            severity=None if severity is None else str(severity),
        )
        kind = str(entry.get("type") or "foreignKey")
        if kind != "foreignKey":
            checks.append(
                Check(
                    "not_evaluated",
                    obj,
                    meta,
                    prop,
                    params={"reason": f"relationship type {kind!r} is not checked (only foreignKey)"},
                )
            )
            continue
        target_objects = {o for o, _ in targets}
        if (
            not sources
            or not targets
            or len(sources) != len(targets)
            or len(target_objects) != 1
            or None in sources
        ):
            checks.append(
                Check(
                    "not_evaluated",
                    obj,
                    meta,
                    prop,
                    params={"reason": "from and to must name the same number of properties of one object"},
                )
            )
            continue
        params = {"from": tuple(sources), "to_object": targets[0][0], "to": tuple(p for _, p in targets)}
        checks.append(Check("relationship", obj, meta, prop, params=params, threshold=ZERO))
    return checks


def _custom(entry: dict[str, Any], name: str) -> Any:
    """The ``value`` of ``customProperties[property == name]``, or ``None``."""
    for item in entry.get("customProperties") or []:
        if isinstance(item, dict) and item.get("property") == name:
            return item.get("value")
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _split(reference: str, objects: list[Any]) -> tuple[str, str | None]:
    """``"airlines.carrier"`` -> ``("airlines", "carrier")``; ``schema/<id>/properties/<id>`` by ids."""
    text = reference.split("#", 1)[-1].lstrip("/")
    if text.startswith("schema/"):
        parts = text.split("/")
        obj_id = parts[1] if len(parts) > 1 else ""
        prop_id = parts[3] if len(parts) > 3 else None
        for obj in objects:
            if isinstance(obj, dict) and obj_id in (obj.get("id"), obj.get("name")):
                for prop in obj.get("properties") or []:
                    if isinstance(prop, dict) and prop_id in (prop.get("id"), prop.get("name")):
                        return obj["name"], prop["name"]
                return obj["name"], prop_id
        return obj_id, prop_id
    if "." not in text:
        return text, None
    obj, prop = text.rsplit(".", 1)
    return obj, prop

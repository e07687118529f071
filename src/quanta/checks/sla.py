"""ODCS ``slaProperties`` compiled into checks.

Source: ODCS v3.1.0 ``slaProperties`` (``property``, ``value``, ``valueExt``, ``unit``, ``element``,
``driver``) and the book, ch. 5 (the service-level indicators). Evaluated: ``latency`` (and
``freshness``), ``retention``, ``frequency``, ``timeOfAvailability``, ``generalAvailability``,
``endOfSupport``, ``endOfLife``, ``availability``. Other properties (``throughput``, ``errorRate``,
``timeToDetect`` ...) are ``not_evaluated`` with the reason, as are values of ``-1`` (undefined).

An SLA entry has no ``severity`` in ODCS; a failed SLA is blocking unless the entry's
``customProperties`` say ``quantaSeverity: warning`` (or ``info``). ``endOfSupport`` defaults to warning.
"""

from __future__ import annotations

from typing import Any

from quanta.checks.plan import Check, Condition, RuleMeta, Threshold

#: ODCS property names and synonyms -> (canonical name, rule kind).
SLA_KINDS: dict[str, tuple[str, str]] = {
    "latency": ("latency", "latency"),
    "ly": ("latency", "latency"),
    "freshness": ("latency", "latency"),
    "retention": ("retention", "retention"),
    "re": ("retention", "retention"),
    "frequency": ("frequency", "frequency"),
    "fy": ("frequency", "frequency"),
    "timeOfAvailability": ("timeOfAvailability", "time_of_availability"),
    "generalAvailability": ("generalAvailability", "lifecycle"),
    "ga": ("generalAvailability", "lifecycle"),
    "endOfSupport": ("endOfSupport", "lifecycle"),
    "es": ("endOfSupport", "lifecycle"),
    "endOfLife": ("endOfLife", "lifecycle"),
    "el": ("endOfLife", "lifecycle"),
    "availability": ("availability", "availability"),
    "av": ("availability", "availability"),
}
NOT_MEASURABLE = {
    "throughput": "throughput needs timed reads over a period, not a single test run",
    "errorRate": "the error rate is computed over many runs by the observability service",
    "timeToDetect": "time to detect is measured from incident records",
    "timeToNotify": "time to notify is measured from incident records",
    "timeToRepair": "time to repair is measured from incident records",
}


def sla_checks(contract: Any, base_dir: Any) -> list[Check]:
    """The checks for the contract's ``slaProperties``."""
    checks: list[Check] = []
    objects = [o for o in contract.schema if isinstance(o, dict) and o.get("name")]
    default_element = contract.data.get("slaDefaultElement")
    for index, entry in enumerate(contract.sla_properties):
        if not isinstance(entry, dict):
            continue
        checks.extend(
            _entry_checks(entry, f"slaProperties[{index}]", objects, default_element, contract, base_dir)
        )
    return checks


def _entry_checks(
    entry: dict[str, Any],
    path: str,
    objects: list[dict[str, Any]],
    default_element: Any,
    contract: Any,
    base_dir: Any,
) -> list[Check]:
    raw_property = str(entry.get("property") or "")
    canonical, kind = SLA_KINDS.get(raw_property, (raw_property, ""))
    value, unit = entry.get("value"), entry.get("unit")
    severity = _severity(entry, canonical)
    dimension = None if canonical == "availability" else "timeliness"

    def meta(element: str | None, suffix: str = "") -> RuleMeta:
        where = f" {element}" if element else ""
        return RuleMeta(
            id=str(entry.get("id") or f"sla.{canonical}") + suffix,
            name=f"SLA {canonical}{where}",
            path=path,
            criteria="sla",
            dimension=dimension,
            severity=severity,
            business_impact=entry.get("driver"),
            description=entry.get("description"),
        )

    if not kind:
        reason = NOT_MEASURABLE.get(canonical, f"SLA property {raw_property!r} has no evaluation in Quanta")
        return [Check("not_evaluated", None, meta(None), params={"reason": reason, "property": canonical})]
    if value is None or value == -1 or str(unit or "").strip().lower() in ("as needed", "n/a"):
        return [
            Check(
                "not_evaluated",
                None,
                meta(None),
                params={"reason": f"{canonical} value is undefined ({value!r} {unit or ''})".strip()},
            )
        ]
    if kind == "lifecycle":
        return [Check(kind, None, meta(None), params={"property": canonical, "date": value})]
    if kind == "availability":
        servers = [s for s in contract.servers if isinstance(s, dict)]
        return [
            Check(
                kind,
                None,
                meta(str(s.get("server")), f".{s.get('server')}"),
                params={"server": dict(s), "base_dir": str(base_dir) if base_dir else None},
            )
            for s in servers
        ] or [
            Check(
                "not_evaluated", None, meta(None), params={"reason": "the contract has no servers to probe"}
            )
        ]
    elements = _elements(entry.get("element") or default_element, objects)
    if isinstance(elements, str):
        return [Check("not_evaluated", None, meta(None), params={"reason": elements})]
    checks = []
    for obj, prop in elements:
        element = f"{obj}.{prop}"
        if kind == "time_of_availability":
            threshold = Threshold((Condition("mustBeLessOrEqualTo", 0),), "d")
            checks.append(
                Check(kind, obj, meta(element), prop, params={"deadline": value}, threshold=threshold)
            )
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            checks.append(
                Check(
                    "not_evaluated",
                    obj,
                    meta(element),
                    prop,
                    params={"reason": f"{canonical} value {value!r} is not a number"},
                )
            )
            continue
        threshold = Threshold((Condition("mustBeLessOrEqualTo", value),), str(unit or "d"))
        checks.append(Check(kind, obj, meta(element), prop, threshold=threshold))
    return checks


def _elements(element: Any, objects: list[dict[str, Any]]) -> list[tuple[str, str]] | str:
    if not element:
        return "the SLA names no element (set element: object.property)"
    found = []
    for part in str(element).split(","):
        text = part.strip()
        if "." in text:
            obj, prop = text.rsplit(".", 1)
        elif len(objects) == 1:
            obj, prop = objects[0]["name"], text
        else:
            return f"element {text!r} must be written object.property (the contract has several objects)"
        target = next((o for o in objects if obj in (o.get("name"), o.get("physicalName"))), None)
        if target is None:
            return f"element {text!r} names an object the contract does not declare"
        props = {
            p.get("physicalName") or p.get("name"): p.get("name")
            for p in target.get("properties") or []
            if isinstance(p, dict)
        }
        names = {p.get("name") for p in target.get("properties") or [] if isinstance(p, dict)}
        found.append((target["name"], prop if prop in names else props.get(prop, prop)))
    return found


def _severity(entry: dict[str, Any], canonical: str) -> str | None:
    for item in entry.get("customProperties") or []:
        if isinstance(item, dict) and item.get("property") == "quantaSeverity":
            return str(item.get("value"))
    return "warning" if canonical == "endOfSupport" else None

"""Lenient reading (Postel's law): normalise older and book forms of ODCS to the v3.1.0 shape.

:func:`normalize_contract` returns a normalised copy and one :class:`Rewrite` per change (old path →
new path). ``quanta lint --lenient`` reports each rewrite as a warning; ``load_contract(...,
lenient=True)`` hands the normalised document to the layers above, so they only see current field names;
``quanta contract upgrade`` writes it out. The full table of rewrites is in ``docs/standards.md``; sources
are the ODCS changelog (v2.2 → v3.0 → v3.1) and the book dialect of "Implementing Data Mesh", ch. 5.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

PathTuple = tuple[str | int, ...]
TARGET_VERSION = "v3.1.0"

#: Field renames on a schema property (v2 column keys, book spellings).
PROPERTY_RENAMES = {
    "column": "name",
    "isPrimary": "primaryKey",
    "isPrimaryKey": "primaryKey",
    "primary": "primaryKey",
    "isUnique": "unique",
    "sampleValues": "examples",
    "partitionStatus": "partitioned",
    "criticalDataElementStatus": "criticalDataElement",
    "encryptedColumnName": "encryptedName",
    "transformSourceTables": "transformSourceObjects",
}
#: Field renames on a schema object (book ``object``/``table``, v2 keys).
OBJECT_RENAMES = {
    "object": "name",
    "table": "name",
    "columns": "properties",
    "dataGranularity": "dataGranularityDescription",
}
#: Field renames at the root (v2 keys).
ROOT_RENAMES = {
    "uuid": "id",
    "quantumName": "dataProduct",
    "datasetDomain": "domain",
    "dataset": "schema",
    "stakeholders": "team",
    "slaDefaultColumn": "slaDefaultElement",
}
#: v2 root fields with no v3 home: kept as ``customProperties``.
V2_ROOT_EXTRAS = (
    "datasetName",
    "datasetKind",
    "userConsumptionMode",
    "type",
    "sourceSystem",
    "sourcePlatform",
    "server",
    "driver",
    "driverVersion",
    "database",
    "project",
    "productDl",
    "productSlackChannel",
    "productFeedbackUrl",
    "username",
)
#: Operator spellings of the book.
OPERATOR_RENAMES = {
    "mustBeGreaterThanOrEqualTo": "mustBeGreaterOrEqualTo",
    "mustBeLessThanOrEqualTo": "mustBeLessOrEqualTo",
}
#: Legacy library rule names → ODCS v3.1 metrics.
RULE_METRICS = {
    "nullCheck": "nullValues",
    "nullValues": "nullValues",
    "duplicateCount": "duplicateValues",
    "duplicateValues": "duplicateValues",
    "validValues": "invalidValues",
    "invalidValues": "invalidValues",
    "rowCount": "rowCount",
    "countCheck": "rowCount",
    "missingValues": "missingValues",
}
#: Value-level range rules of the book: their bounds become ``logicalTypeOptions``.
RANGE_RULES = {"rangeCheck", "between", "minCheck", "maxCheck", "valueRange", "range"}
DIMENSIONS = {
    "ac": "accuracy",
    "cp": "completeness",
    "cf": "conformity",
    "cs": "consistency",
    "cv": "coverage",
    "tm": "timeliness",
    "uq": "uniqueness",
}
SLA_PROPERTIES = {
    "av": "availability",
    "th": "throughput",
    "er": "errorRate",
    "ga": "generalAvailability",
    "es": "endOfSupport",
    "el": "endOfLife",
    "re": "retention",
    "fy": "frequency",
    "ly": "latency",
    "td": "timeToDetect",
    "tn": "timeToNotify",
    "tr": "timeToRepair",
}
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
_RANGE_OPTIONS = {
    "mustBeGreaterOrEqualTo": "minimum",
    "mustBeGreaterThan": "exclusiveMinimum",
    "mustBeLessOrEqualTo": "maximum",
    "mustBeLessThan": "exclusiveMaximum",
}
_SECRETS = {"password", "passwd", "secret", "token", "apikey"}


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One lenient rewrite.

    Attributes:
        old_path: where the field was, e.g. ``("schema", 0, "object")``.
        new_path: where it is now, e.g. ``("schema", 0, "name")``.
        note: what was done and why, in one sentence.
    """

    old_path: PathTuple
    new_path: PathTuple
    note: str


class _Normalizer:
    def __init__(self) -> None:
        self.rewrites: list[Rewrite] = []

    def note(self, old: PathTuple, new: PathTuple, text: str) -> None:
        self.rewrites.append(Rewrite(old, new, text))

    def rename(self, node: dict[str, Any], old: str, new: str, path: PathTuple, why: str = "") -> bool:
        """Rename ``old`` to ``new`` in place, keeping the key's position; ``new`` wins if both exist."""
        if old not in node or old == new:
            return False
        if new in node:
            node.pop(old)
            self.note((*path, old), (*path, new), f"dropped: {new!r} is also given and wins")
            return True
        items = list(node.items())
        node.clear()
        for key, value in items:
            node[new if key == old else key] = value
        self.note((*path, old), (*path, new), why or f"renamed {old!r} to {new!r}")
        return True

    def custom_property(self, node: dict[str, Any], path: PathTuple, key: str, why: str) -> None:
        value = node.pop(key)
        props = node.setdefault("customProperties", [])
        if not isinstance(props, list):
            return
        props.append({"property": key, "value": value})
        self.note((*path, key), (*path, "customProperties", len(props) - 1), why)

    # --- root -------------------------------------------------------------------------------------
    def root(self, data: dict[str, Any]) -> None:
        if data.get("apiVersion") != TARGET_VERSION:
            old = data.get("apiVersion")
            data["apiVersion"] = TARGET_VERSION
            self.note(("apiVersion",), ("apiVersion",), f"apiVersion {old!r} read as {TARGET_VERSION}")
        if "kind" not in data:
            data["kind"] = "DataContract"
            self.note(("kind",), ("kind",), "missing kind set to 'DataContract'")
        if "name" not in data and isinstance(data.get("datasetName"), str):
            self.rename(data, "datasetName", "name", ())
        for old, new in ROOT_RENAMES.items():
            self.rename(data, old, new, ())
        for key in ("password", "secret", "token"):
            if key in data:
                data.pop(key)
                self.note(
                    (key,),
                    (key,),
                    "removed a credential: name an environment variable in a server "
                    "instead of writing the secret into the contract",
                )
        for key in V2_ROOT_EXTRAS:
            if key in data:
                self.custom_property(
                    data, (), key, f"ODCS v2 field {key!r} has no v3 field; kept as a custom property"
                )
        if isinstance(data.get("version"), int | float) and not isinstance(data.get("version"), bool):
            old = data["version"]
            data["version"] = f"{old}.0" if isinstance(old, float) else f"{old}.0.0"
            self.note(
                ("version",), ("version",), f"numeric version {old!r} written as SemVer {data['version']!r}"
            )
        if isinstance(data.get("description"), str):
            data["description"] = {"purpose": data["description"]}
            self.note(
                ("description",), ("description", "purpose"), "a text description became description.purpose"
            )
        self.team(data)
        self.sla(data)
        schema = data.get("schema")
        if isinstance(schema, list):
            for i, obj in enumerate(schema):
                if isinstance(obj, dict):
                    self.schema_object(obj, ("schema", i))

    def team(self, data: dict[str, Any]) -> None:
        team = data.get("team")
        if isinstance(team, list):
            data["team"] = {"members": team}
            self.note(
                ("team",), ("team", "members"), "the team list became team.members (ODCS v3.1 team object)"
            )
            team = data["team"]
        members = team.get("members") if isinstance(team, dict) else None
        if isinstance(members, list):
            for i, member in enumerate(members):
                if isinstance(member, dict):
                    where = ("team", "members", i)
                    if "comment" in member:
                        if "description" in member:
                            member["description"] = f"{member['description']}\n{member.pop('comment')}"
                            self.note(
                                (*where, "comment"),
                                (*where, "description"),
                                "comment appended to description",
                            )
                        else:
                            self.rename(member, "comment", "description", where)
                    if "username" not in member and isinstance(member.get("name"), str):
                        member["username"] = member["name"]
                        self.note(
                            (*where, "name"), (*where, "username"), "username (required) taken from name"
                        )

    def sla(self, data: dict[str, Any]) -> None:
        props = data.get("slaProperties")
        if not isinstance(props, list):
            return
        for i, sla in enumerate(props):
            if not isinstance(sla, dict):
                continue
            where = ("slaProperties", i)
            self.rename(sla, "column", "element", where)
            name = sla.get("property")
            if isinstance(name, str):
                full = SLA_PROPERTIES.get(name.lower())
                if full is None:
                    full = next((v for v in SLA_PROPERTIES.values() if v.lower() == name.lower()), None)
                if full is not None and full != name:
                    sla["property"] = full
                    self.note((*where, "property"), (*where, "property"), f"SLA property {name!r} → {full!r}")
            self.schedule(sla, where)

    def schedule(self, node: dict[str, Any], where: PathTuple) -> None:
        if "scheduleCronExpression" in node:
            expression = node.pop("scheduleCronExpression")
            node.setdefault("scheduler", "cron")
            node.setdefault("schedule", expression)
            self.note(
                (*where, "scheduleCronExpression"),
                (*where, "schedule"),
                "scheduleCronExpression became scheduler: cron + schedule",
            )

    # --- schema -----------------------------------------------------------------------------------
    def schema_object(self, obj: dict[str, Any], where: PathTuple) -> None:
        for old, new in OBJECT_RENAMES.items():
            if new == "name" and "name" in obj and old in obj and old in ("object", "table"):
                continue  # `table` beside `name` is not a rename target
            self.rename(obj, old, new, where)
        if "priorTableName" in obj:
            self.custom_property(obj, where, "priorTableName", "ODCS v2 field kept as a custom property")
        self.quality_list(obj, where, None)
        self.properties(obj, where)

    def properties(self, node: dict[str, Any], where: PathTuple) -> None:
        props = node.get("properties")
        if isinstance(props, list):
            for i, prop in enumerate(props):
                if isinstance(prop, dict):
                    self.prop(prop, (*where, "properties", i))
        items = node.get("items")
        if isinstance(items, dict):
            self.prop(items, (*where, "items"))

    def prop(self, prop: dict[str, Any], where: PathTuple) -> None:
        for old, new in PROPERTY_RENAMES.items():
            self.rename(prop, old, new, where)
        if "isNullable" in prop:
            nullable = prop["isNullable"]
            if "required" in prop:
                prop.pop("isNullable")
                self.note((*where, "isNullable"), (*where, "required"), "dropped: 'required' is also given")
            else:
                self.rename(prop, "isNullable", "required", where, "isNullable became required (inverted)")
                if isinstance(nullable, bool):
                    prop["required"] = not nullable
        for key in ("clusterStatus", "clusterKeyPosition"):
            if key in prop:
                self.custom_property(prop, where, key, "ODCS v2 field kept as a custom property")
        self.type_options(prop, where)
        self.quality_list(prop, where, prop)
        self.properties(prop, where)

    def type_options(self, prop: dict[str, Any], where: PathTuple) -> None:
        options = prop.get("logicalTypeOptions")
        here = (*where, "logicalTypeOptions")
        if isinstance(options, list) and all(isinstance(o, dict) for o in options):
            merged: dict[str, Any] = {}
            for option in options:
                merged.update(option)
            prop["logicalTypeOptions"] = options = merged
            self.note(here, here, "logicalTypeOptions list merged into one mapping")
        if not isinstance(options, dict):
            return
        for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(options.get(flag), bool):
                exclusive = options.pop(flag)
                if exclusive and bound in options:
                    options[flag] = options.pop(bound)
                    self.note(
                        (*here, bound),
                        (*here, flag),
                        f"v3.0 boolean {flag}: true + {bound} became {flag}: <bound> (v3.1)",
                    )
                else:
                    self.note(
                        (*here, flag),
                        (*here, flag),
                        f"v3.0 boolean {flag}: {exclusive} dropped ({bound} stays inclusive)",
                    )

    # --- quality ----------------------------------------------------------------------------------
    def quality_list(self, node: dict[str, Any], where: PathTuple, prop: dict[str, Any] | None) -> None:
        rules = node.get("quality")
        if not isinstance(rules, list):
            return
        result: list[Any] = []
        for i, rule in enumerate(rules):
            here = (*where, "quality", i)
            if not isinstance(rule, dict):
                result.append(rule)
                continue
            result.extend(self.rule(rule, here, prop, (*where, "quality"), len(result)))
        if result:
            node["quality"] = result
        else:
            node.pop("quality")
            self.note((*where, "quality"), (*where, "quality"), "no quality rule left after the rewrites")

    def rule(
        self, rule: dict[str, Any], here: PathTuple, prop: dict[str, Any] | None, base: PathTuple, index: int
    ) -> list[dict[str, Any]]:
        for old, new in OPERATOR_RENAMES.items():
            self.rename(rule, old, new, here)
        self.schedule(rule, here)
        dimension = rule.get("dimension")
        if isinstance(dimension, str):
            full = DIMENSIONS.get(dimension.lower(), dimension.lower())
            if full != dimension and full in DIMENSIONS.values():
                rule["dimension"] = full
                self.note((*here, "dimension"), (*here, "dimension"), f"dimension {dimension!r} → {full!r}")
        if "toolName" in rule or "templateName" in rule:
            rule["type"] = "custom"
            self.rename(rule, "toolName", "engine", here, "v2 toolName became engine of a custom rule")
            self.rename(rule, "templateName", "implementation", here, "v2 templateName became implementation")
        name = rule.get("rule")
        if isinstance(name, str) and "metric" not in rule:
            if name in RANGE_RULES and prop is not None and self.range_rule(rule, here, prop):
                return []
            if name in RULE_METRICS:
                self.rename(
                    rule,
                    "rule",
                    "metric",
                    here,
                    f"library rule {name!r} became metric {RULE_METRICS[name]!r}",
                )
                rule["metric"] = RULE_METRICS[name]
                if "validValues" in rule and RULE_METRICS[name] == "invalidValues":
                    rule.setdefault("arguments", {})["validValues"] = rule.pop("validValues")
                    self.note(
                        (*here, "validValues"),
                        (*here, "arguments", "validValues"),
                        "validValues moved into arguments",
                    )
                if not any(op in rule for op in OPERATORS):
                    op, value = ("mustBeGreaterThan", 0) if rule["metric"] == "rowCount" else ("mustBe", 0)
                    rule[op] = value
                    self.note(here, (*here, op), f"a v3.0 rule without operator is read as {op}: {value}")
            else:
                rule["type"] = "custom"
                rule.setdefault("engine", rule.get("engine") or "unknown")
                rule["implementation"] = f"rule: {rule.pop('rule')}"
                self.note(
                    (*here, "rule"),
                    (*here, "implementation"),
                    f"rule {name!r} has no ODCS v3.1 metric; "
                    "kept as a custom rule (reported as not evaluated unless an engine plug-in runs it)",
                )
        if rule.get("type") in (None, "library") and "engine" in rule and "metric" in rule:
            engine = rule.pop("engine")
            rule.setdefault("customProperties", []).append({"property": "engine", "value": engine})
            self.note(
                (*here, "engine"),
                (*here, "customProperties"),
                "engine is only for custom rules; kept as a custom property",
            )
        used = [op for op in OPERATORS if op in rule]
        if len(used) > 1:
            return self.split(rule, used, here, base, index)
        return [rule]

    def range_rule(self, rule: dict[str, Any], here: PathTuple, prop: dict[str, Any]) -> bool:
        """Move the bounds of a value-level range rule (book ``rangeCheck``) into ``logicalTypeOptions``."""
        if prop.get("logicalType") not in ("number", "integer", "date", "timestamp", "time"):
            return False
        bounds: dict[str, Any] = {}
        for op, option in _RANGE_OPTIONS.items():
            if op in rule:
                bounds[option] = rule[op]
        if (
            "mustBeBetween" in rule
            and isinstance(rule["mustBeBetween"], list)
            and len(rule["mustBeBetween"]) == 2
        ):
            bounds["minimum"], bounds["maximum"] = rule["mustBeBetween"]
        leftover = [
            op for op in OPERATORS if op in rule and op not in _RANGE_OPTIONS and op != "mustBeBetween"
        ]
        if not bounds or leftover:
            return False
        options = prop.setdefault("logicalTypeOptions", {})
        if not isinstance(options, dict):
            return False
        where = here[:-2]
        for option, value in bounds.items():
            options[option] = value
            self.note(
                here,
                (*where, "logicalTypeOptions", option),
                f"value-range rule {rule['rule']!r} became "
                f"logicalTypeOptions.{option}: {value} (checked as values out of range)",
            )
        return True

    def split(
        self, rule: dict[str, Any], used: list[str], here: PathTuple, base: PathTuple, index: int
    ) -> list[dict[str, Any]]:
        parts = []
        for n, op in enumerate(used):
            part = {k: copy.deepcopy(v) for k, v in rule.items() if k not in used or k == op}
            if "id" in part and n:
                part["id"] = f"{part['id']}-{n + 1}"
            parts.append(part)
            self.note(
                (*here, op),
                (*base, index + n, op),
                f"a rule with {len(used)} operators was split into one rule per operator (all must pass)",
            )
        return parts


def normalize_contract(
    data: dict[str, Any], *, file: str | None = None
) -> tuple[dict[str, Any], list[Rewrite]]:
    """Return a copy of ``data`` normalised to ODCS v3.1.0, and the rewrites made.

    The input is not modified. Unknown fields are kept (strict validation then reports them).

    Args:
        data: a contract as plain data (any ODCS v2.2/v3.x version or the book dialect).
        file: the file name, for messages.

    Returns:
        ``(normalised data, rewrites)``; ``rewrites`` is empty when the contract already had the
        current form.
    """
    normalised = copy.deepcopy(data)
    worker = _Normalizer()
    worker.root(normalised)
    return normalised, worker.rewrites

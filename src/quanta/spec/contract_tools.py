"""Contract tools behind ``quanta contract``: a readable summary and the upgrade to ODCS v3.1.0.

:func:`summarize` turns a contract into plain data (objects, properties, quality rules, SLAs, team,
servers) for display; :func:`upgrade` normalises a contract (see :mod:`quanta.spec.normalize`), checks
that the result is valid ODCS v3.1.0, and returns the YAML to write.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, SpecError
from quanta.spec.documents import Contract
from quanta.spec.normalize import Rewrite
from quanta.spec.paths import format_path
from quanta.spec.rules import OPERATORS


def _rules(node: dict[str, Any], where: str) -> list[dict[str, Any]]:
    rules = node.get("quality")
    found = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        operator = next((op for op in OPERATORS if op in rule), None)
        found.append(
            {
                "path": f"{where}.quality[{i}]",
                "name": rule.get("name") or rule.get("id"),
                "type": rule.get("type", "library"),
                "metric": rule.get("metric") or rule.get("rule"),
                "operator": operator,
                "threshold": rule.get(operator) if operator else None,
                "unit": rule.get("unit"),
                "dimension": rule.get("dimension"),
                "severity": rule.get("severity"),
            }
        )
    return found


def _properties(node: dict[str, Any], where: str, prefix: str = "") -> list[dict[str, Any]]:
    props = node.get("properties")
    found = []
    for i, prop in enumerate(props if isinstance(props, list) else []):
        if not isinstance(prop, dict):
            continue
        name = f"{prefix}{prop.get('name')}"
        here = f"{where}.properties[{i}]"
        found.append(
            {
                "name": name,
                "logicalType": prop.get("logicalType"),
                "physicalType": prop.get("physicalType"),
                "required": bool(prop.get("required", False)),
                "unique": bool(prop.get("unique", False)),
                "primaryKey": bool(prop.get("primaryKey", False)),
                "classification": prop.get("classification"),
                "rules": len(prop.get("quality") or []) if isinstance(prop.get("quality"), list) else 0,
                "description": prop.get("description"),
            }
        )
        found.extend(_properties(prop, here, f"{name}."))
    return found


def _property_rules(node: dict[str, Any], where: str) -> list[dict[str, Any]]:
    found = []
    props = node.get("properties")
    for i, prop in enumerate(props if isinstance(props, list) else []):
        if isinstance(prop, dict):
            here = f"{where}.properties[{i}]"
            found.extend(_rules(prop, here))
            found.extend(_property_rules(prop, here))
    return found


def summarize(contract: Contract) -> dict[str, Any]:
    """Return a readable summary of ``contract`` as plain data.

    Args:
        contract: a loaded contract (any version; fields are read as written).

    Returns:
        A mapping with ``id``, ``name``, ``version``, ``status``, ``apiVersion``, ``domain``,
        ``description``, ``team`` (name and members), ``objects`` (each with ``properties``),
        ``rules`` (every quality rule with its path, metric, operator, threshold, severity),
        ``slas`` and ``servers``.
    """
    data = contract.data
    team = data.get("team")
    members = team.get("members") if isinstance(team, dict) else team
    description = data.get("description")
    objects, rules = [], []
    for i, obj in enumerate(contract.schema):
        where = f"schema[{i}]"
        props = _properties(obj, where)
        objects.append(
            {
                "name": obj.get("name"),
                "physicalType": obj.get("physicalType"),
                "physicalName": obj.get("physicalName"),
                "description": obj.get("description"),
                "properties": props,
            }
        )
        rules.extend(_rules(obj, where))
        rules.extend(_property_rules(obj, where))
    return {
        "id": contract.id,
        "name": contract.name,
        "version": contract.version,
        "status": contract.status,
        "apiVersion": contract.api_version,
        "domain": contract.domain,
        "description": description.get("purpose") if isinstance(description, dict) else description,
        "team": {
            "name": team.get("name") if isinstance(team, dict) else None,
            "members": [
                {k: m.get(k) for k in ("username", "name", "role", "dateIn", "dateOut")}
                for m in (members if isinstance(members, list) else [])
                if isinstance(m, dict)
            ],
        },
        "objects": objects,
        "rules": rules,
        "slas": [
            {k: s.get(k) for k in ("property", "value", "unit", "element", "driver")}
            for s in contract.sla_properties
        ],
        "servers": [{k: s.get(k) for k in ("server", "type", "environment")} for s in contract.servers],
    }


@dataclass
class Upgrade:
    """The result of upgrading one contract.

    Attributes:
        text: the upgraded contract as YAML (valid ODCS v3.1.0 when ``valid``).
        rewrites: every rewrite made (old path → new path).
        diagnostics: what still fails validation after the rewrites (empty when ``valid``).
    """

    text: str
    rewrites: list[Rewrite] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether the upgraded contract is valid ODCS v3.1.0."""
        return not any(d.severity == "error" for d in self.diagnostics)


def upgrade(source: str | bytes | os.PathLike[str]) -> Upgrade:
    """Normalise a contract to ODCS v3.1.0 and validate the result.

    Args:
        source: a contract file or YAML text (any ODCS v2.2/v3.x version or the book dialect).

    Returns:
        The upgraded text with its rewrites and any remaining problems.

    Raises:
        SpecError: the input cannot be loaded as YAML at all.
    """
    from quanta.spec.documents import load_contract
    from quanta.spec.validate import validate

    contract = load_contract(source, lenient=True)
    remaining = [d for d in validate(contract) if d.code != "odcs.lenient-rewrite"]
    return Upgrade(contract.to_yaml(), contract.rewrites, remaining)


def describe_rewrite(rewrite: Rewrite) -> str:
    """Return ``old path → new path: note`` for display."""
    old, new = format_path(rewrite.old_path) or "(root)", format_path(rewrite.new_path) or "(root)"
    return f"{old} → {new}: {rewrite.note}" if old != new else f"{new}: {rewrite.note}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename).

    Raises:
        SpecError: the folder does not exist or is not writable.
    """
    folder = path.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        raise SpecError(f"{path}: cannot write the file: {error.strerror or error}") from None

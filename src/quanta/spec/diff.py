"""Contract diff: every change between two versions of an ODCS contract, its class and the bump it needs.

A change is classed by its impact on the **consumers of an output port** (see ``docs/governance.md``,
which holds the full table and where it refines Table 5-1 of *Implementing Data Mesh*, ch. 5):

* ``patch``: nothing a consumer relies on changed (descriptions, team, tags, support, metadata);
* ``minor``: consumers keep working and get more (an added optional property or object, a constraint or
  quality rule made stricter, optional made required, a logic change, a custom property);
* ``major``: some consumer may break or lose a guarantee (a removed or renamed property or object, a
  changed type, required made optional, allowed values or ranges widened, a changed primary key).

Properties and schema objects are matched by ``id`` when both versions carry one (so a renamed element
is reported as renamed), else by ``name``; quality rules by ``id``, ``name`` or ``metric``/``rule``.

Example:
    >>> old = {"version": "1.0.0", "schema": [{"name": "t", "properties": [{"name": "a"}]}]}
    >>> new = {"version": "1.0.1", "schema": [{"name": "t", "properties": []}]}
    >>> result = diff_contracts(old, new)
    >>> result.required, result.bump, result.bump_ok
    ('major', 'patch', False)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from quanta.errors import SpecError
from quanta.spec.changes import (
    by_key,
    classification_change,
    logical_options_changes,
    match_items,
    quality_rule_changes,
    sla_change,
)

Level = Literal["none", "patch", "minor", "major"]
#: Order of the change classes, weakest first.
LEVELS: tuple[Level, ...] = ("none", "patch", "minor", "major")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

#: Top-level fields whose every change is a patch: metadata, descriptions, stakeholders (Table 5-1).
_PATCH_ROOT = {
    "name",
    "tenant",
    "domain",
    "dataProduct",
    "description",
    "tags",
    "team",
    "support",
    "authoritativeDefinitions",
    "contractCreatedTs",
    "apiVersion",
    "status",
}
#: Top-level fields handled on their own (or ignored: ``version`` is what the diff judges).
_SPECIAL_ROOT = {"version", "kind", "id", "schema", "slaProperties", "servers", "roles", "customProperties"}
#: Property fields whose change is a patch.
_PATCH_PROPERTY = {
    "description",
    "businessName",
    "tags",
    "authoritativeDefinitions",
    "examples",
    "criticalDataElement",
    "transformDescription",
    "partitioned",
    "partitionKeyPosition",
}
#: Schema-object fields whose change is a patch.
_PATCH_OBJECT = {
    "description",
    "businessName",
    "tags",
    "authoritativeDefinitions",
    "dataGranularityDescription",
}
#: Server fields that only describe; any other server field is part of how consumers connect.
_PATCH_SERVER = {"description", "customProperties", "roles", "id"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a contract.

    Attributes:
        path: JSON path of the element, in the new version (in the old one for a removal), e.g.
            ``"schema[0].properties[3].logicalType"``.
        kind: ``"added"``, ``"removed"``, ``"renamed"`` or ``"changed"``.
        level: ``"patch"``, ``"minor"`` or ``"major"`` (see the module docstring).
        code: stable identifier of the rule that classed it, e.g. ``"property.type-changed"``.
        message: what changed and why it has this class.
        old: the old value (``None`` when added).
        new: the new value (``None`` when removed).
    """

    path: str
    kind: str
    level: Level
    code: str
    message: str
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``quanta diff --format json``."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Every change between two contract versions and what they require of the new ``version``.

    Attributes:
        old_version: ``version`` of the old contract.
        new_version: ``version`` of the new contract.
        changes: every change found, in document order.
        required: the minimum bump the changes need (``"none"`` when nothing changed).
        bump: the bump actually made (``"none"``, ``"patch"``, ``"minor"``, ``"major"``, or
            ``"downgrade"`` when the new version is lower).
    """

    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)
    required: Level = "none"
    bump: str = "none"

    @property
    def bump_ok(self) -> bool:
        """Whether the new ``version`` bumps at least as much as the changes require."""
        if self.bump == "downgrade":
            return False
        return LEVELS.index(self.bump) >= LEVELS.index(self.required)  # type: ignore[arg-type]

    @property
    def suggested_version(self) -> str:
        """The smallest version after ``old_version`` that satisfies :attr:`required`."""
        return bump_version(self.old_version, self.required)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``quanta diff --format json``."""
        return {
            "oldVersion": self.old_version,
            "newVersion": self.new_version,
            "required": self.required,
            "bump": self.bump,
            "bumpOk": self.bump_ok,
            "suggestedVersion": self.suggested_version,
            "changes": [change.to_dict() for change in self.changes],
        }


def parse_semver(version: Any, *, what: str = "version") -> tuple[int, int, int]:
    """Return ``(major, minor, patch)`` of a SemVer string.

    Raises:
        SpecError: the value is not ``MAJOR.MINOR.PATCH`` (ODCS requires SemVer for ``version``).
    """
    match = _SEMVER.match(str(version)) if version is not None else None
    if not match:
        raise SpecError(f"{what} {version!r} is not a SemVer version; write MAJOR.MINOR.PATCH, e.g. 1.2.0")
    return int(match[1]), int(match[2]), int(match[3])


def bump_of(old: str, new: str) -> str:
    """Return the bump from ``old`` to ``new``: ``none``, ``patch``, ``minor``, ``major`` or ``downgrade``."""
    a, b = parse_semver(old, what="old version"), parse_semver(new, what="new version")
    if b < a:
        return "downgrade"
    for index, level in enumerate(("major", "minor", "patch")):
        if b[index] > a[index]:
            return level
    return "none"


def bump_version(version: str, level: str) -> str:
    """Return ``version`` bumped by ``level`` (``none`` returns it unchanged)."""
    major, minor, patch = parse_semver(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return f"{major}.{minor}.{patch}"


def max_level(levels: Any) -> Level:
    """Return the strongest of the given change classes (``"none"`` for none)."""
    best = 0
    for level in levels:
        best = max(best, LEVELS.index(level))
    return LEVELS[best]


def diff_contracts(old: Any, new: Any) -> DiffResult:
    """Compare two versions of an ODCS contract.

    Args:
        old: the previous version: a :class:`quanta.spec.Contract` or its plain ``dict``.
        new: the new version, same forms.

    Returns:
        A :class:`DiffResult` listing every change with its path and class, the minimum bump and the
        bump made.

    Raises:
        SpecError: a ``version`` is missing or not SemVer.

    Source: ODCS v3.1.0 field tree; change classes refine Table 5-1 ("Severity of changes").
    """
    old_data, new_data = _plain(old), _plain(new)
    walker = _Walker()
    walker.root(old_data, new_data)
    old_version, new_version = str(old_data.get("version")), str(new_data.get("version"))
    required = max_level(change.level for change in walker.changes)
    return DiffResult(old_version, new_version, walker.changes, required, bump_of(old_version, new_version))


def _plain(document: Any) -> dict[str, Any]:
    if hasattr(document, "to_plain"):
        return document.to_plain()
    if isinstance(document, dict):
        return document
    raise SpecError(f"cannot compare a {type(document).__name__}; pass a Contract or a mapping")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _label(item: dict[str, Any], fallback: str) -> str:
    return str(item.get("name") or item.get("id") or fallback)


def _rule_key(rule: dict[str, Any]) -> Any:
    kind = rule.get("metric") or rule.get("rule")
    return (rule.get("type"), kind) if kind else None


def _relationship_key(rel: dict[str, Any]) -> Any:
    return repr((rel.get("type", "foreignKey"), rel.get("from"), rel.get("to")))


#: How list items are paired, and the class of an item removed or added: (keys, label field,
#: (removed level, removed reason), (added level, added reason)).
_LISTS: dict[str, tuple[tuple[Callable[[Any], Any], ...], str, tuple[Level, str], tuple[Level, str]]] = {
    "object": ((by_key("id"), by_key("name")), "name", ("major", "its consumers break"), ("minor", "")),
    "property": ((by_key("id"), by_key("name")), "name", ("major", "its consumers break"), ("minor", "")),
    "quality": (
        (by_key("id"), by_key("name"), _rule_key),
        "metric",
        ("major", "consumers lose a guarantee"),
        ("minor", "stricter"),
    ),
    "relationship": (
        (_relationship_key,),
        "to",
        ("major", "consumers lose a guarantee"),
        ("minor", "stricter"),
    ),
    "sla": (
        (by_key("id"), lambda s: (s.get("property"), s.get("driver"), s.get("element")), by_key("property")),
        "property",
        ("major", "consumers lose a guarantee"),
        ("minor", ""),
    ),
    "server": (
        (by_key("id"), by_key("server")),
        "server",
        ("major", "consumers connected to it break"),
        ("minor", ""),
    ),
    "role": (
        (by_key("id"), by_key("role")),
        "role",
        ("major", "consumers holding it lose access"),
        ("minor", ""),
    ),
    "custom-property": (
        (by_key("id"), by_key("property")),
        "property",
        ("minor", ""),
        ("minor", "Table 5-1: minor"),
    ),
}


class _Walker:
    """Walks two plain contracts and collects :class:`Change` records."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(self, path: str, level: Level, code: str, message: str, old: Any = None, new: Any = None) -> None:
        kind = "renamed" if code.endswith("renamed") else _kind(old, new)
        self.changes.append(Change(path, kind, level, code, message, old, new))

    def items(self, what: str, path: str, owner: str, old: Any, new: Any) -> list[tuple[int, int]]:
        """Report removed and added items of a list; return the pairs to compare further."""
        old, new = old or [], new or []
        keys, label, (gone_level, gone_why), (born_level, born_why) = _LISTS[what]
        pairs, removed, added = match_items(old, new, keys)
        prefix = f"{owner}: " if owner else ""
        for i in removed:
            why = f": {gone_why}" if gone_why else ""
            name = old[i].get(label) or old[i].get("name") or old[i].get("id") or i
            self.add(
                f"{path}[{i}]",
                gone_level,
                f"{what}.removed",
                f"{prefix}{what} {name} was removed{why}",
                old[i],
            )
        for j in added:
            why = f" ({born_why})" if born_why else ""
            if what == "property":
                why = " (required)" if new[j].get("required") else " (optional)"
            name = new[j].get(label) or new[j].get("name") or new[j].get("id") or j
            self.add(
                f"{path}[{j}]",
                born_level,
                f"{what}.added",
                f"{prefix}{what} {name} was added{why}",
                None,
                new[j],
            )
        return pairs

    # -- root -------------------------------------------------------------------------------------------
    def root(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if old.get("id") != new.get("id"):
            message = "the contract id changed: consumers address the contract by id"
            self.add("id", "major", "contract.id-changed", message, old.get("id"), new.get("id"))
        for key in _keys(old, new, _SPECIAL_ROOT):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            if key in _PATCH_ROOT:
                self.add(key, "patch", "metadata.changed", f"{key}: metadata only", a, b)
            else:
                why = (
                    "the price consumers pay changed"
                    if key == "price"
                    else "a field consumers may read changed"
                )
                self.add(key, "minor", "field.changed", f"{key}: {why}", a, b)
        self.custom_properties(
            "customProperties", "", old.get("customProperties"), new.get("customProperties")
        )
        for i, j in self.items("object", "schema", "", old.get("schema"), new.get("schema")):
            self.schema_object(f"schema[{j}]", old["schema"][i], new["schema"][j])
        self.sla(old.get("slaProperties"), new.get("slaProperties"))
        self.servers(old.get("servers"), new.get("servers"))
        for i, j in self.items("role", "roles", "", old.get("roles"), new.get("roles")):
            if old["roles"][i] != new["roles"][j]:
                message = f"role {new['roles'][j].get('role')}: access or approvers changed"
                self.add(f"roles[{j}]", "minor", "role.changed", message, old["roles"][i], new["roles"][j])

    # -- schema objects and properties ----------------------------------------------------------------------
    def schema_object(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        label = _label(new, path)
        for key in ("name", "physicalName"):
            if old.get(key) != new.get(key):
                message = f"object {old.get('name')} was renamed ({key}): consumers address it by name"
                self.add(_join(path, key), "major", "object.renamed", message, old.get(key), new.get(key))
        for key in _keys(old, new, {"name", "physicalName", "properties", "quality", "relationships", "id"}):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            if key == "customProperties":
                self.custom_properties(_join(path, key), f"object {label}", a, b)
            elif key in _PATCH_OBJECT:
                self.add(
                    _join(path, key),
                    "patch",
                    "metadata.changed",
                    f"object {label}: {key} (metadata only)",
                    a,
                    b,
                )
            else:
                self.add(_join(path, key), "minor", "object.changed", f"object {label}: {key} changed", a, b)
        self.children(path, label, old, new)

    def children(self, path: str, owner: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Compare the nested properties, quality rules and relationships of an object or property."""
        where = _join(path, "properties")
        for i, j in self.items("property", where, owner, old.get("properties"), new.get("properties")):
            self.property(f"{where}[{j}]", owner, old["properties"][i], new["properties"][j])
        where = _join(path, "quality")
        for i, j in self.items("quality", where, owner, old.get("quality"), new.get("quality")):
            rule = new["quality"][j]
            for sub, level, message, a, b in quality_rule_changes(old["quality"][i], rule):
                text = f"{owner}: quality rule {_rule_label(rule)}: {message}"
                self.add(_join(f"{where}[{j}]", sub), level, "quality.changed", text, a, b)  # type: ignore[arg-type]
        where = _join(path, "relationships")
        for i, j in self.items(
            "relationship", where, owner, old.get("relationships"), new.get("relationships")
        ):
            a, b = old["relationships"][i], new["relationships"][j]
            if a != b:
                self.add(
                    f"{where}[{j}]", "patch", "metadata.changed", f"{owner}: relationship metadata", a, b
                )

    def property(self, path: str, owner: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        name = f"{owner}.{_label(new, path)}"
        for key in ("name", "physicalName"):
            if old.get(key) != new.get(key):
                message = (
                    f"property {owner}.{old.get('name')} was renamed ({key}): consumers address it by name"
                )
                self.add(_join(path, key), "major", "property.renamed", message, old.get(key), new.get(key))
        handled = {"id", "name", "physicalName", "properties", "items", "quality", "relationships"}
        for key in _keys(old, new, handled):
            a, b = old.get(key), new.get(key)
            if a != b:
                self.property_field(_join(path, key), name, key, a, b)
        self.children(path, name, old, new)
        a, b = old.get("items"), new.get("items")
        if isinstance(a, dict) and isinstance(b, dict):
            self.property(_join(path, "items"), name, a, b)
        elif a != b:
            level: Level = "minor" if a is None else "major"
            self.add(
                _join(path, "items"), level, "property.type-changed", f"{name}: array items changed", a, b
            )

    def property_field(self, where: str, name: str, key: str, a: Any, b: Any) -> None:
        """Class the change of one field of a property."""
        if key in _PATCH_PROPERTY:
            self.add(where, "patch", "metadata.changed", f"{name}: {key} changed (metadata only)", a, b)
        elif key in ("logicalType", "physicalType"):
            message = f"{name}: {key} changed from {a!r} to {b!r}: consumers read a different type"
            self.add(where, "major", "property.type-changed", message, a, b)
        elif key in ("required", "unique"):
            stricter = bool(b) and not bool(a)
            words = {
                "required": ("optional made required", "required made optional"),
                "unique": ("made unique", "no longer unique"),
            }
            message = (
                f"{name}: {words[key][0]}"
                if stricter
                else f"{name}: {words[key][1]}: consumers lose a guarantee"
            )
            self.add(where, "minor" if stricter else "major", f"property.{key}", message, a, b)
        elif key in ("primaryKey", "primaryKeyPosition"):
            self.add(where, "major", "property.primary-key", f"{name}: the primary key changed ({key})", a, b)
        elif key in ("transformLogic", "transformSourceObjects"):
            message = f"{name}: a logic change of the property ({key})"
            self.add(where, "minor", "property.logic-changed", message, a, b)
        elif key == "classification":
            level, message = classification_change(a, b)
            self.add(where, level, "property.classification", f"{name}: {message}", a, b)  # type: ignore[arg-type]
        elif key == "logicalTypeOptions":
            for sub, level, message, x, y in logical_options_changes(a or {}, b or {}):
                self.add(_join(where, sub), level, "property.constraint", f"{name}: {message}", x, y)  # type: ignore[arg-type]
        elif key == "customProperties":
            self.custom_properties(where, name, a, b)
        else:
            self.add(where, "minor", "property.changed", f"{name}: {key} changed", a, b)

    # -- SLAs, servers, custom properties -------------------------------------------------------------
    def sla(self, old: Any, new: Any) -> None:
        for i, j in self.items("sla", "slaProperties", "", old, new):
            if old[i] != new[j]:
                level, message = sla_change(old[i], new[j])
                text = f"SLA {new[j].get('property')}: {message}"
                self.add(f"slaProperties[{j}]", level, "sla.changed", text, old[i], new[j])  # type: ignore[arg-type]

    def servers(self, old: Any, new: Any) -> None:
        for i, j in self.items("server", "servers", "", old, new):
            for key in _keys(old[i], new[j]):
                a, b = old[i].get(key), new[j].get(key)
                if a == b:
                    continue
                level: Level = "patch" if key in _PATCH_SERVER else "major"
                why = "description only" if level == "patch" else "consumers connect with it"
                text = f"server {new[j].get('server')}: {key} changed ({why})"
                self.add(f"servers[{j}].{key}", level, "server.changed", text, a, b)

    def custom_properties(self, path: str, owner: str, old: Any, new: Any) -> None:
        for i, j in self.items("custom-property", path, owner, old, new):
            if old[i] != new[j]:
                text = f"custom property {new[j].get('property')} changed"
                self.add(f"{path}[{j}]", "minor", "custom-property.changed", text, old[i], new[j])


def _rule_label(rule: dict[str, Any]) -> str:
    return str(
        rule.get("name")
        or rule.get("id")
        or rule.get("metric")
        or rule.get("rule")
        or rule.get("type")
        or "?"
    )


def _keys(
    old: dict[str, Any], new: dict[str, Any], exclude: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Keys of both versions in document order (old first), without ``exclude``."""
    return [key for key in dict.fromkeys([*old, *new]) if key not in exclude]


def _kind(old: Any, new: Any) -> str:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "changed"

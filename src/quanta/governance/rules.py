"""Built-in Python policy rules, registered under the entry-point group ``quanta.policies``.

A Python rule is what a CEL expression cannot say well: a ratio over a whole document with the list of
what is missing, a comparison with the previous version. Its signature is
``rule(target: Target, params: dict) -> Outcome | bool | None`` (``None``: not applicable to this element).
A plug-in adds one with, in its ``pyproject.toml``::

    [project.entry-points."quanta.policies"]
    my-rule = "my_package.rules:my_rule"

and a policy file uses it with ``rule: {python: my-rule}``.
"""

from __future__ import annotations

from typing import Any

from quanta.errors import SpecError
from quanta.governance.certify import Outcome
from quanta.governance.lifecycle import check_lifecycle
from quanta.governance.targets import Target
from quanta.spec.diff import diff_contracts


def _described(node: Any) -> bool:
    description = node.get("description") if isinstance(node, dict) else None
    if isinstance(description, dict):  # the contract's description object
        return any(str(description.get(key) or "").strip() for key in ("purpose", "usage", "limitations"))
    return bool(str(description or "").strip())


def documentation_coverage(target: Target, params: dict[str, Any]) -> Outcome:
    """Share of the contract, its objects and properties (nested included) that have a description.

    Params: ``threshold`` (0-1, default 0.8).
    """
    contract = target.variables["contract"] or {}
    threshold = float(params.get("threshold", 0.8))
    total, missing = 1, [] if _described(contract) else ["description"]

    def walk(properties: Any, path: str) -> None:
        nonlocal total
        for index, prop in enumerate(properties or []):
            if not isinstance(prop, dict):
                continue
            total += 1
            where = f"{path}[{index}]"
            if not _described(prop):
                missing.append(where)
            walk(prop.get("properties"), f"{where}.properties")

    for index, obj in enumerate(contract.get("schema") or []):
        total += 1
        if not _described(obj):
            missing.append(f"schema[{index}]")
        walk(obj.get("properties"), f"schema[{index}].properties")
    coverage = round((total - len(missing)) / total, 3)
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    message = (
        f"{total - len(missing)} of {total} elements described ({coverage:.0%}, threshold {threshold:.0%})"
    )
    if missing:
        message += f"; no description: {shown}"
    return Outcome(coverage >= threshold, "", coverage, message)


def primary_key(target: Target, params: dict[str, Any]) -> Outcome:
    """Every table of the contract (a schema object whose ``physicalType`` is ``table`` or unset) has a
    primary key property."""
    contract = target.variables["contract"] or {}
    tables = 0
    for index, obj in enumerate(contract.get("schema") or []):
        if not isinstance(obj, dict) or str(obj.get("physicalType") or "table").lower() != "table":
            continue
        tables += 1
        keys = [
            p.get("name") for p in obj.get("properties") or [] if isinstance(p, dict) and p.get("primaryKey")
        ]
        if not keys:
            return Outcome(
                False, f"schema[{index}]", obj.get("name"), f"table {obj.get('name')} has no primaryKey"
            )
    if tables == 0:
        return Outcome(True, "schema", None, "no table in the contract")
    return Outcome(True, "schema", tables, f"{tables} table(s), each with a primary key")


def version_bump(target: Target, params: dict[str, Any]) -> Outcome:
    """The contract's ``version`` bumps at least as much as its changes since the last published version
    require (:func:`quanta.spec.diff.diff_contracts`)."""
    contract, previous = target.variables["contract"], target.variables.get("previous")
    if previous is None:
        return Outcome(True, "version", contract.get("version"), "first published version")
    try:
        result = diff_contracts(previous, contract)
    except SpecError as error:
        return Outcome(False, "version", contract.get("version"), error.message)
    if result.bump_ok:
        message = (
            f"{len(result.changes)} change(s) need a {result.required} bump; "
            f"{result.old_version} → {result.new_version} is {result.bump}"
        )
        return Outcome(True, "version", result.new_version, message)
    strongest = next((c for c in result.changes if c.level == result.required), None)
    why = f" (e.g. {strongest.path}: {strongest.message})" if strongest else ""
    return Outcome(
        False,
        "version",
        result.new_version,
        f"the changes since {result.old_version} need a {result.required} bump, {result.new_version} is "
        f"{result.bump}; use {result.suggested_version}{why}",
    )


def lifecycle(target: Target, params: dict[str, Any]) -> Outcome:
    """The status transition since the last published version is allowed, and an active version was not
    edited without a version bump (:func:`quanta.governance.lifecycle.check_lifecycle`)."""
    document = target.variables["contract"] if target.scope == "contract" else target.variables["product"]
    problems = check_lifecycle(target.variables.get("previous"), document)
    if problems:
        return Outcome(False, problems[0].path, document.get(problems[0].path), problems[0].message)
    return Outcome(True, "status", document.get("status"), "allowed")

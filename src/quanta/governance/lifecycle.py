"""Lifecycle of products and contracts: ``proposed → draft → active → deprecated → retired``.

Pure functions; the build and the ``lifecycle`` built-in policy call :func:`check_lifecycle` with the last
published version and the new one.

Allowed transitions (staying in the same status is always allowed):

============ ===================================================================
from         to
============ ===================================================================
proposed     draft, active, retired
draft        proposed, active, retired
active       deprecated (consumers are warned before a port goes away)
deprecated   active (reinstated), retired
retired      none: a retired document never comes back; publish a new major version
============ ===================================================================

A new **major** version starts a new lifecycle (it is published next to the old one), so any status is
allowed for it. An ``active`` document may not change without a version bump (a status change alone is a
transition, not an edit); how much to bump is :func:`quanta.spec.diff.diff_contracts`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quanta.spec.diff import parse_semver

STATUSES: tuple[str, ...] = ("proposed", "draft", "active", "deprecated", "retired")
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"draft", "active", "retired"}),
    "draft": frozenset({"proposed", "active", "retired"}),
    "active": frozenset({"deprecated"}),
    "deprecated": frozenset({"active", "retired"}),
    "retired": frozenset(),
}
#: Fields that may change on an active document without a version bump.
_NOT_EDITS = frozenset({"status", "version", "contractCreatedTs", "productCreatedTs"})


@dataclass(frozen=True, slots=True)
class LifecycleProblem:
    """Why a change of lifecycle or content is not allowed.

    Attributes:
        code: ``lifecycle.unknown-status``, ``lifecycle.transition`` or ``lifecycle.edit-without-bump``.
        path: the field concerned (``status`` or ``version``).
        message: what is wrong and how to fix it.
    """

    code: str
    path: str
    message: str


def check_transition(old: str | None, new: str | None) -> LifecycleProblem | None:
    """Check one status transition; ``old`` is ``None`` for a first version.

    Returns:
        The problem, or ``None`` when the transition is allowed.
    """
    if new not in STATUSES:
        return LifecycleProblem(
            "lifecycle.unknown-status", "status", f"status {new!r} is not one of {', '.join(STATUSES)}"
        )
    if old is None or old == new:
        return None
    if old not in STATUSES:
        return None  # the previous version's status is unknown: nothing to compare with
    if new in TRANSITIONS[old]:
        return None
    allowed = ", ".join(sorted(TRANSITIONS[old])) or "nothing (publish a new major version instead)"
    return LifecycleProblem(
        "lifecycle.transition",
        "status",
        f"status cannot go from {old} to {new}; from {old} it may go to {allowed}",
    )


def check_lifecycle(previous: Any, current: Any) -> list[LifecycleProblem]:
    """Check a new version of a contract or product against the last published one.

    Args:
        previous: the last published version (a document or a plain ``dict``), or ``None`` for a first
            version.
        current: the new version.

    Returns:
        Every problem (empty when the change is allowed): an unknown status, a forbidden transition, or an
        edit of an ``active`` document without a version bump.
    """
    new = _plain(current)
    if previous is None:
        problem = check_transition(None, new.get("status"))
        return [problem] if problem else []
    old = _plain(previous)
    if _major(new) is not None and _major(old) is not None and _major(new) > _major(old):  # type: ignore[operator]
        problem = check_transition(None, new.get("status"))
        return [problem] if problem else []
    problems = []
    problem = check_transition(old.get("status"), new.get("status"))
    if problem:
        problems.append(problem)
    same_version = str(old.get("version")) == str(new.get("version"))
    if old.get("status") == "active" and same_version and _content(old) != _content(new):
        problems.append(
            LifecycleProblem(
                "lifecycle.edit-without-bump",
                "version",
                f"version {new.get('version')} is active and was edited without a version bump; "
                "bump `version` (quanta diff says by how much)",
            )
        )
    return problems


def _plain(document: Any) -> dict[str, Any]:
    return document.to_plain() if hasattr(document, "to_plain") else dict(document)


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in _NOT_EDITS}


def _major(data: dict[str, Any]) -> int | None:
    try:
        return parse_semver(data.get("version"))[0]
    except Exception:
        return None

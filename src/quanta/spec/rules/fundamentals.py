"""Fundamentals: ``version`` is SemVer, ``status`` is a lifecycle value (ODCS v3 fundamentals)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from quanta.spec.rules._base import (
    Finding,
)

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
"""The SemVer 2.0.0 grammar (semver.org), anchored."""


STATUSES = ("proposed", "draft", "active", "deprecated", "retired")


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

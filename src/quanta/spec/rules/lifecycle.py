"""SLA lifecycle dates: ISO 8601 and ordered (generalAvailability < endOfSupport ≤ endOfLife)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from quanta.spec.rules._base import (
    Finding,
    PathTuple,
)
from quanta.spec.sunset import parse_moment

_LIFECYCLE = {
    "generalavailability": "generalAvailability",
    "ga": "generalAvailability",
    "endofsupport": "endOfSupport",
    "es": "endOfSupport",
    "endoflife": "endOfLife",
    "el": "endOfLife",
}


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
        when = parse_moment(sla.get("value"))
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

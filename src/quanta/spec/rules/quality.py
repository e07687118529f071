"""Quality rules: exactly one operator; between-operators hold two ascending numbers (ODCS v3.1 §Data quality)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quanta.spec.rules._base import (
    Finding,
    is_number,
    quality_rules,
)

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


def check_quality(data: dict[str, Any]) -> Iterator[Finding]:
    """One operator per quality rule; between-operators hold two ascending numbers."""
    v31 = str(data.get("apiVersion", "")).startswith("v3.1")
    for path, rule in quality_rules(data):
        used = [op for op in OPERATORS if op in rule]
        kind = rule.get("type", "library")
        if len(used) > 1:
            yield Finding(
                "odcs.quality-operator",
                f"the rule has {len(used)} operators ({', '.join(used)}); "
                "a rule takes exactly one: split it into one rule per operator",
                path,
            )
        elif not used and v31 and kind in ("library", "sql") and ("metric" in rule or kind == "sql"):
            yield Finding(
                "odcs.quality-operator", "the rule has no operator; add one of " + ", ".join(OPERATORS), path
            )
        for op in ("mustBeBetween", "mustNotBeBetween"):
            if op in rule:
                bounds = rule[op]
                if not (isinstance(bounds, list) and len(bounds) == 2 and all(is_number(b) for b in bounds)):
                    yield Finding(
                        "odcs.between", f"{op} takes two numbers [low, high], got {bounds!r}", (*path, op)
                    )
                elif bounds[0] > bounds[1]:
                    yield Finding(
                        "odcs.between",
                        f"{op} bounds {bounds} are not ascending; write [{bounds[1]}, {bounds[0]}]",
                        (*path, op),
                    )

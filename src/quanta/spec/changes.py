"""Direction of a change to a constraint: stricter (``minor``) or looser (``major``).

Helpers of :mod:`quanta.spec.diff`. Each returns the change class and a message; the rule they apply is
the one in ``docs/governance.md``: a consumer of an output port keeps working when the producer promises
*more* (stricter quality thresholds, narrower allowed values, longer retention, lower latency) and may
break when it promises *less*. When the direction cannot be judged from the document (a new SQL query,
a new regular expression), the class is the book's for "revising a data quality rule": ``minor``, and the
message says that the direction was not judged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Interval = tuple[float, bool, float, bool]  # low, low included, high, high included
INF = math.inf

#: Quality rule fields that only describe the rule.
_PATCH_RULE = {
    "description",
    "name",
    "dimension",
    "businessImpact",
    "schedule",
    "scheduler",
    "tags",
    "authoritativeDefinitions",
    "customProperties",
    "method",
    "id",
    "validFrom",
    "validTo",
}
_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeGreaterThanOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeLessThanOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
#: Classification labels from the least to the most restricted.
CLASSIFICATION_ORDER = ("public", "internal", "restricted", "confidential", "secret")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def allowed_values(rule: dict[str, Any]) -> list[Interval] | None:
    """Return the set of metric values that pass ``rule``, as intervals, or ``None`` when not numeric.

    ``mustBeBetween``/``mustNotBeBetween`` include both bounds (Quanta's decision, see the architecture).
    A rule without an operator passes every value.
    """
    for operator in _OPERATORS:
        if operator not in rule:
            continue
        value = rule[operator]
        if operator in ("mustBeBetween", "mustNotBeBetween"):
            if not isinstance(value, list) or len(value) != 2:
                return None
            low, high = _number(value[0]), _number(value[1])
            if low is None or high is None:
                return None
            if operator == "mustBeBetween":
                return [(low, True, high, True)]
            return [(-INF, False, low, False), (high, False, INF, False)]
        number = _number(value)
        if number is None:
            return None
        return {
            "mustBe": [(number, True, number, True)],
            "mustNotBe": [(-INF, False, number, False), (number, False, INF, False)],
            "mustBeGreaterThan": [(number, False, INF, False)],
            "mustBeGreaterOrEqualTo": [(number, True, INF, False)],
            "mustBeGreaterThanOrEqualTo": [(number, True, INF, False)],
            "mustBeLessThan": [(-INF, False, number, False)],
            "mustBeLessOrEqualTo": [(-INF, False, number, True)],
            "mustBeLessThanOrEqualTo": [(-INF, False, number, True)],
        }[operator]
    return [(-INF, False, INF, False)]


def _inside(inner: Interval, outer: Interval) -> bool:
    lo, lo_in, hi, hi_in = inner
    olo, olo_in, ohi, ohi_in = outer
    low_ok = olo < lo or (olo == lo and (olo_in or not lo_in))
    high_ok = ohi > hi or (ohi == hi and (ohi_in or not hi_in))
    return low_ok and high_ok


def is_subset(new: list[Interval], old: list[Interval]) -> bool:
    """Whether every value allowed by ``new`` is allowed by ``old`` (``new`` is at least as strict)."""
    return all(any(_inside(piece, whole) for whole in old) for piece in new)


def quality_rule_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    """Class the changes between two versions of one quality rule.

    Returns:
        ``(sub-path, level, message, old value, new value)`` tuples.
    """
    out: list[tuple[str, str, str, Any, Any]] = []
    operators_changed = any(old.get(op) != new.get(op) for op in _OPERATORS)
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b or key in _OPERATORS:
            continue
        if key in _PATCH_RULE:
            out.append((key, "patch", f"{key} changed (description only)", a, b))
        elif key == "severity":
            rank_a, rank_b = _SEVERITY_RANK.get(a or "error", 2), _SEVERITY_RANK.get(b or "error", 2)
            if rank_b >= rank_a:
                out.append((key, "minor", f"severity raised from {a} to {b} (stricter)", a, b))
            else:
                out.append(
                    (key, "major", f"severity lowered from {a or 'error'} to {b}: it no longer blocks", a, b)
                )
        elif key in ("type", "metric", "rule", "unit"):
            out.append((key, "major", f"{key} changed from {a!r} to {b!r}: a different guarantee", a, b))
        elif key == "arguments":
            out.extend(_argument_changes(a or {}, b or {}))
        elif key in ("query", "implementation", "engine"):
            out.append(
                (key, "minor", f"{key} revised (direction not judged; Table 5-1: revising a rule)", a, b)
            )
        else:
            out.append((key, "minor", f"{key} changed", a, b))
    if operators_changed:
        before, after = _operator_of(old), _operator_of(new)
        sets = allowed_values(old), allowed_values(new)
        if sets[0] is not None and sets[1] is not None:
            if is_subset(sets[1], sets[0]):
                out.append(
                    (
                        after[0],
                        "minor",
                        f"threshold made stricter ({_fmt(before)} → {_fmt(after)})",
                        before[1],
                        after[1],
                    )
                )
            else:
                out.append(
                    (
                        after[0],
                        "major",
                        f"allowed values widened or moved ({_fmt(before)} → {_fmt(after)}): "
                        "data that failed before now passes",
                        before[1],
                        after[1],
                    )
                )
        else:
            out.append(
                (
                    after[0],
                    "major",
                    f"threshold changed ({_fmt(before)} → {_fmt(after)}) and cannot be compared",
                    before[1],
                    after[1],
                )
            )
    return out


def _operator_of(rule: dict[str, Any]) -> tuple[str, Any]:
    for operator in _OPERATORS:
        if operator in rule:
            return operator, rule[operator]
    return "(none)", None


def _fmt(pair: tuple[str, Any]) -> str:
    return f"{pair[0]} {pair[1]!r}" if pair[1] is not None else pair[0]


def _argument_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        path = f"arguments.{key}"
        if key == "validValues" and isinstance(a, list) and isinstance(b, list):
            if set(map(repr, b)) <= set(map(repr, a)):
                out.append((path, "minor", "fewer valid values (stricter)", a, b))
            else:
                out.append((path, "major", "allowed values widened: new valid values", a, b))
        elif key == "missingValues" and isinstance(a, list) and isinstance(b, list):
            level = "minor" if set(map(repr, a)) <= set(map(repr, b)) else "major"
            out.append((path, level, "values counted as missing changed", a, b))
        else:
            out.append((path, "minor", f"argument {key} revised (direction not judged)", a, b))
    return out


# -- SLAs ---------------------------------------------------------------------------------------------------
_SLA_ALIASES = {
    "ly": "latency",
    "fy": "frequency",
    "re": "retention",
    "av": "availability",
    "th": "throughput",
    "er": "errorrate",
    "es": "endofsupport",
    "el": "endoflife",
    "ga": "generalavailability",
    "td": "timetodetect",
    "tn": "timetonotify",
    "tr": "timetorepair",
    "freshness": "latency",
}
#: SLA properties whose lower value is the stronger promise.
_LOWER_IS_STRICTER = {
    "latency",
    "frequency",
    "errorrate",
    "timetodetect",
    "timetonotify",
    "timetorepair",
    "generalavailability",
}
#: SLA properties whose higher (or later) value is the stronger promise.
_HIGHER_IS_STRICTER = {"retention", "availability", "throughput", "endofsupport", "endoflife"}
_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "month": 2592000,
    "months": 2592000,
    "y": 31536000,
    "yr": 31536000,
    "year": 31536000,
    "years": 31536000,
}


def _sla_value(sla: dict[str, Any]) -> tuple[str, Any] | None:
    """Return a comparable form of an SLA's value: ``("n", seconds-or-number)``, ``("t", iso text)``."""
    value, unit = sla.get("value"), sla.get("unit")
    if value is None or value == -1 or (isinstance(unit, str) and unit.lower() == "as needed"):
        return None
    number = _number(value)
    if number is not None:
        if unit is None or unit == "%":
            return ("n", number)
        factor = _SECONDS.get(str(unit).strip().lower())
        return ("n", number * factor) if factor else ("u:" + str(unit), number)
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return ("t", value)
    return ("?", value)


def sla_change(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """Class a change of one ``slaProperties`` entry; returns ``(level, message)``."""
    if old.get("element") != new.get("element"):
        return "minor", f"measured on {new.get('element')} instead of {old.get('element')}"
    if old.get("value") == new.get("value") and old.get("unit") == new.get("unit"):
        return "patch", "description, driver or schedule changed"
    name = str(new.get("property") or "").lower()
    name = _SLA_ALIASES.get(name, name)
    a, b = _sla_value(old), _sla_value(new)
    shown = f"{old.get('value')} {old.get('unit') or ''} → {new.get('value')} {new.get('unit') or ''}".strip()
    if a is None and b is not None:
        return "minor", f"a value is now promised ({shown})"
    if b is None:
        return "major", f"no value is promised any more ({shown}): consumers lose a guarantee"
    if a[0] != b[0]:
        return "major", f"unit changed and cannot be converted ({shown})"
    if a[0] == "?" or (name not in _LOWER_IS_STRICTER and name not in _HIGHER_IS_STRICTER):
        return "minor", f"value revised ({shown}; direction not judged)"
    later = b[1] > a[1]
    stricter = later if name in _HIGHER_IS_STRICTER else not later
    if stricter:
        return "minor", f"stronger promise ({shown})"
    return "major", f"weaker promise ({shown}): consumers lose a guarantee"


def classification_change(old: Any, new: Any) -> tuple[str, str]:
    """Class a change of a property's ``classification``; returns ``(level, message)``.

    A more restricted classification may hide or mask values consumers read today (``major``); a less
    restricted one gives them more (``minor``). A missing classification counts as ``public``.
    """
    order = {label: rank for rank, label in enumerate(CLASSIFICATION_ORDER)}
    a, b = str(old or "public").lower(), str(new or "public").lower()
    if a not in order or b not in order:
        return "minor", f"classification changed from {old!r} to {new!r} (direction not judged)"
    if order[b] > order[a]:
        return (
            "major",
            f"classification tightened from {old!r} to {new!r}: consumers may lose access or see masks",
        )
    return "minor", f"classification relaxed from {old!r} to {new!r}"


# -- logicalTypeOptions -------------------------------------------------------------------------------------
_MIN_KEYS = {"minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties"}
_MAX_KEYS = {"maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties"}


def logical_options_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    """Class the changes of a property's ``logicalTypeOptions`` (ODCS v3, section "Logical type options")."""
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if a is None:
            level = "major" if key in ("format", "timezone", "defaultTimezone") else "minor"
            out.append((key, level, f"{key} {b!r} added" + (" (stricter)" if level == "minor" else ""), a, b))
        elif b is None:
            out.append((key, "major", f"{key} {a!r} removed: values were constrained before", a, b))
        elif key in _MIN_KEYS or key in _MAX_KEYS:
            if isinstance(a, bool) or isinstance(b, bool):  # ODCS 3.0.x boolean exclusive bounds
                stricter = bool(b) and not bool(a)
            else:
                try:
                    stricter = (b > a) if key in _MIN_KEYS else (b < a)
                except TypeError:
                    stricter = False
            word = "raised" if (key in _MIN_KEYS) == stricter else "lowered"
            if stricter:
                out.append((key, "minor", f"{key} {word} from {a!r} to {b!r} (stricter)", a, b))
            else:
                out.append((key, "major", f"{key} {word} from {a!r} to {b!r}: the range was widened", a, b))
        elif key == "multipleOf":
            stricter = _number(a) and _number(b) and float(b) % float(a) == 0
            level = "minor" if stricter else "major"
            out.append((key, level, f"multipleOf changed from {a!r} to {b!r}", a, b))
        elif key == "uniqueItems":
            level = "minor" if b and not a else "major"
            out.append((key, level, f"uniqueItems changed from {a!r} to {b!r}", a, b))
        elif key == "required" and isinstance(a, list) and isinstance(b, list):
            level = "minor" if set(a) <= set(b) else "major"
            out.append((key, level, f"required members changed from {a!r} to {b!r}", a, b))
        elif key == "pattern":
            out.append((key, "minor", f"pattern revised from {a!r} to {b!r} (direction not judged)", a, b))
        else:
            out.append(
                (key, "major", f"{key} changed from {a!r} to {b!r}: values are represented differently", a, b)
            )
    return out


# -- pairing list items across versions ------------------------------------------------------------------
def match_items(
    old: list[Any], new: list[Any], keys: tuple[Callable[[Any], Any], ...]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair list items across versions.

    Each key function is tried in turn on the items not yet paired; a key returning ``None`` does not
    pair. Returns ``(pairs of (old index, new index), removed old indexes, added new indexes)``.
    """
    pairs: list[tuple[int, int]] = []
    free_old = [i for i, item in enumerate(old) if isinstance(item, dict)]
    free_new = [j for j, item in enumerate(new) if isinstance(item, dict)]
    for key in keys:
        index = {}
        for j in free_new:
            value = key(new[j])
            if value is not None:
                index.setdefault(value, j)
        still_old = []
        for i in free_old:
            value = key(old[i])
            j = index.pop(value, None) if value is not None else None
            if j is None:
                still_old.append(i)
            else:
                pairs.append((i, j))
                free_new.remove(j)
        free_old = still_old
    return sorted(pairs, key=lambda p: p[1]), free_old, free_new


def by_key(name: str) -> Callable[[Any], Any]:
    """A key function for :func:`match_items`: the item's field ``name``."""
    return lambda item: item.get(name)

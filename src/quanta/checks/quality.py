"""ODCS ``quality[]`` rules (object and property level) compiled into checks.

Source: ODCS v3.1.0 "Data quality" (``type`` library/sql/custom/text, ``metric``, ``arguments``, the eight
operators, ``unit`` rows|percent, ``dimension``, ``severity``, ``businessImpact``) and the v3.0.x forms
(``rule`` names such as ``nullCheck``, ``duplicateCount``, ``validValues``, ``rowCount``; several
operators on one rule, ANDed). Library rules without an operator default to ``mustBe: 0``
(``rowCount``: ``mustBeGreaterThan: 0``).
"""

from __future__ import annotations

from typing import Any

from quanta.checks.plan import OPERATOR_ALIASES, OPERATORS, Check, Condition, RuleMeta, Threshold

#: Library metric (v3.1 ``metric`` or v3.0 ``rule``) -> rule kind.
LIBRARY_KINDS: dict[str, str] = {
    "nullValues": "null_values",
    "nullCheck": "null_values",
    "notNull": "null_values",
    "missingValues": "missing_values",
    "invalidValues": "invalid_values",
    "validValues": "invalid_values",
    "duplicateValues": "duplicate_values",
    "duplicateCount": "duplicate_values",
    "uniqueCheck": "duplicate_values",
    "rowCount": "row_count",
    "countCheck": "row_count",
    "rangeCheck": "value_range",
}
DEFAULT_DIMENSIONS = {
    "null_values": "completeness",
    "missing_values": "completeness",
    "invalid_values": "conformity",
    "duplicate_values": "uniqueness",
    "row_count": "completeness",
    "value_range": "conformity",
}
DIMENSION_ABBREVIATIONS = {
    "ac": "accuracy",
    "cp": "completeness",
    "cf": "conformity",
    "cs": "consistency",
    "cv": "coverage",
    "tm": "timeliness",
    "uq": "uniqueness",
}


#: The two ``unit`` values of ODCS v3.1.0 quality rules.
UNITS = ("rows", "percent")


def parse_threshold(rule: dict[str, Any], *, booleans: bool = False) -> Threshold | str | None:
    """Read a quality rule's operators (ODCS v3.1.0 "Data quality", the eight operators and ``unit``).

    Args:
        rule: the quality rule mapping as written in the contract.
        booleans: accept ``true``/``false`` operands of ``mustBe``/``mustNotBe`` (``sql`` and ``custom``
            rules, whose result may be a boolean).

    Returns:
        The :class:`Threshold` (operators ANDed, ``unit`` ``rows`` unless given; a boolean operand has no
        unit), ``None`` when the rule has no operator, or a text naming the mistake: a key that looks
        like an operator (``mustBe…``/``mustNot…``) but is none of the eight, an operand of the wrong
        shape, ``between`` bounds written high to low, or a ``unit`` other than ``rows``/``percent``.

    Example:
        >>> parse_threshold({"mustBeLessThan": 5, "unit": "percent"}).describe()
        '< 5 percent'
        >>> parse_threshold({"mustBeEqualTo": 5})[:47]
        "unknown operator 'mustBeEqualTo'; ODCS defines "
        >>> parse_threshold({"mustBeBetween": [10, 5]})
        'mustBeBetween bounds are reversed: [10, 5]; write the lower bound first, e.g. [5, 10]'
    """
    unit = rule.get("unit")
    if unit is not None and unit not in UNITS:
        return f"unknown unit {unit!r}; use 'rows' or 'percent'"
    conditions = []
    for key, value in rule.items():
        operator = OPERATOR_ALIASES.get(key, key)
        if operator not in OPERATORS:
            if isinstance(key, str) and key.startswith(("mustBe", "mustNot")):
                return f"unknown operator {key!r}; ODCS defines {', '.join(OPERATORS)}"
            continue
        if operator in ("mustBeBetween", "mustNotBeBetween"):
            if (
                not isinstance(value, list | tuple)
                or len(value) != 2
                or not all(_is_number(v) for v in value)
            ):
                return f"{key} needs two numbers [min, max], got {value!r}"
            low, high = value
            if low > high:
                return (
                    f"{key} bounds are reversed: [{low}, {high}]; write the lower bound first, "
                    f"e.g. [{high}, {low}]"
                )
            conditions.append(Condition(operator, (low, high)))
        elif isinstance(value, bool) and booleans and operator in ("mustBe", "mustNotBe"):
            conditions.append(Condition(operator, value))
        elif isinstance(value, bool) or not _is_number(value):
            kind = "a number or a boolean (mustBe/mustNotBe)" if booleans else "a number"
            return f"{key} needs {kind}, got {value!r}"
        else:
            conditions.append(Condition(operator, value))
    if not conditions:
        return None
    if unit is None and any(isinstance(c.value, bool) for c in conditions):
        return Threshold(tuple(conditions), "")
    return Threshold(tuple(conditions), str(unit or "rows"))


def quality_checks(obj: str, prop: str | None, rules: Any, path: str) -> list[Check]:
    """The checks for one ``quality`` list of object ``obj`` (and property ``prop``)."""
    checks = []
    for index, rule in enumerate(rules or []):
        if isinstance(rule, dict):
            checks.append(_rule_check(obj, prop, rule, f"{path}[{index}]"))
    return checks


def _rule_check(obj: str, prop: str | None, rule: dict[str, Any], path: str) -> Check:
    rule_type = str(rule.get("type") or "library")
    metric = rule.get("metric") or rule.get("rule")
    element = ".".join(p for p in (obj, prop) if p)
    threshold = parse_threshold(rule, booleans=rule_type in ("sql", "custom"))
    label = metric or rule_type
    meta = RuleMeta(
        id=str(rule.get("id") or f"{element}.{label}.{path.rsplit('[', 1)[-1].rstrip(']')}"),
        name=str(rule.get("name") or f"{element} {label}"),
        path=path,
        criteria="dq",
        dimension=_dimension(rule.get("dimension"), LIBRARY_KINDS.get(str(metric), "")),
        severity=None if rule.get("severity") is None else str(rule["severity"]),
        business_impact=rule.get("businessImpact"),
        description=rule.get("description"),
    )
    if isinstance(threshold, str):  # written wrongly: an error, never a default threshold
        return Check("invalid_rule", obj, meta, prop, params={"reason": threshold})
    if rule_type == "text":
        return Check("text", obj, meta, prop)
    if rule_type == "sql":
        if not rule.get("query"):
            return Check("not_evaluated", obj, meta, prop, params={"reason": "a sql rule needs a query"})
        return Check("sql", obj, meta, prop, params={"query": str(rule["query"])}, threshold=threshold)
    if rule_type == "custom":
        params = {"engine": rule.get("engine"), "implementation": rule.get("implementation")}
        return Check("custom", obj, meta, prop, params=params, threshold=threshold)
    if rule_type != "library" and not metric:
        return Check("not_evaluated", obj, meta, prop, params={"reason": f"unknown rule type {rule_type!r}"})
    return _library_check(obj, prop, rule, meta, str(metric or ""), threshold)


def _library_check(
    obj: str, prop: str | None, rule: dict[str, Any], meta: RuleMeta, metric: str, threshold: Threshold | None
) -> Check:
    kind = LIBRARY_KINDS.get(metric)
    arguments = rule.get("arguments") if isinstance(rule.get("arguments"), dict) else {}
    if kind is None:
        reason = (
            f"unknown library metric {metric!r}; use nullValues, missingValues, invalidValues, "
            "duplicateValues or rowCount"
        )
        return Check("not_evaluated", obj, meta, prop, params={"reason": reason})
    if kind == "value_range":  # the book's rangeCheck: the operators bound every value
        if threshold is None or prop is None:
            return Check(
                "not_evaluated",
                obj,
                meta,
                prop,
                params={"reason": "rangeCheck needs a property and operators"},
            )
        conditions = tuple((c.operator, c.value) for c in threshold.conditions)
        return Check(
            kind,
            obj,
            meta,
            prop,
            params={"conditions": conditions},
            threshold=Threshold((Condition("mustBe", 0),), "rows"),
        )
    if kind == "row_count" and rule.get("unit") == "percent":
        reason = "rowCount counts rows; unit: percent has no meaning for it (remove unit or use unit: rows)"
        return Check("invalid_rule", obj, meta, prop, params={"reason": reason})
    if kind != "row_count" and prop is None and kind != "duplicate_values":
        return Check("not_evaluated", obj, meta, prop, params={"reason": f"{metric} applies to a property"})
    if threshold is None:
        default = Condition("mustBeGreaterThan", 0) if kind == "row_count" else Condition("mustBe", 0)
        threshold = Threshold((default,), str(rule.get("unit") or "rows"))
    params: dict[str, Any] = {}
    if kind == "missing_values":
        params["values"] = tuple(arguments.get("missingValues", (None, "")))
    elif kind == "invalid_values":
        valid = arguments.get("validValues", rule.get("validValues"))
        pattern = arguments.get("pattern")
        if not valid and not pattern:
            return Check(
                "not_evaluated",
                obj,
                meta,
                prop,
                params={"reason": "invalidValues needs arguments.validValues or arguments.pattern"},
            )
        params = {"valid_values": tuple(valid or ()), "pattern": pattern}
    elif kind == "duplicate_values":
        columns = arguments.get("properties")
        if prop is None and not columns:
            return Check(
                "not_evaluated",
                obj,
                meta,
                prop,
                params={"reason": "object-level duplicateValues needs arguments.properties"},
            )
        params["properties"] = tuple(columns or (prop,))
    return Check(kind, obj, meta, prop, params=params, threshold=threshold)


def _dimension(value: Any, kind: str) -> str | None:
    if value:
        text = str(value)
        return DIMENSION_ABBREVIATIONS.get(text.lower(), text)
    return DEFAULT_DIMENSIONS.get(kind)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

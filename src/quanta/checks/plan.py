"""The check plan: an engine-neutral intermediate representation of everything a contract promises.

A contract compiles to a :class:`CheckPlan` of frozen :class:`Check` specs, one per executable promise
(a schema property, a quality rule, a relationship, an SLA property). Each check names its rule ``kind``
(a module under :mod:`quanta.checks.rules`), the object and property it applies to, its parameters and
the :class:`Threshold` its measured value is compared with. Nothing here knows SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Criteria = Literal["schema", "dq", "sla"]
_property = property  # ``Check`` has a field called ``property``

#: The eight ODCS operators and the comparison each one makes (``between`` bounds are inclusive).
OPERATORS: tuple[str, ...] = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)

#: Operator spellings of ODCS v3.0.x and the book, mapped to the canonical names.
OPERATOR_ALIASES: dict[str, str] = {
    "mustBeGreaterThanOrEqualTo": "mustBeGreaterOrEqualTo",
    "mustBeLessThanOrEqualTo": "mustBeLessOrEqualTo",
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator and its operand, e.g. ``mustBeLessThan 5`` or ``mustBeBetween [1, 10]``."""

    operator: str
    value: Any

    def holds(self, measured: float) -> bool:
        """Return whether ``measured`` satisfies this condition (between bounds are inclusive).

        Example:
            >>> Condition("mustBeBetween", (1, 10)).holds(10)
            True
            >>> Condition("mustNotBeBetween", (1, 10)).holds(1)
            False
        """
        op, value = self.operator, self.value
        if op == "mustBe":
            return measured == value
        if op == "mustNotBe":
            return measured != value
        if op == "mustBeGreaterThan":
            return measured > value
        if op == "mustBeGreaterOrEqualTo":
            return measured >= value
        if op == "mustBeLessThan":
            return measured < value
        if op == "mustBeLessOrEqualTo":
            return measured <= value
        low, high = value
        inside = low <= measured <= high
        return inside if op == "mustBeBetween" else not inside

    def describe(self) -> str:
        """Return the condition as text, e.g. ``<= 5`` or ``between 1 and 10``."""
        symbols = {
            "mustBe": "=",
            "mustNotBe": "!=",
            "mustBeGreaterThan": ">",
            "mustBeGreaterOrEqualTo": ">=",
            "mustBeLessThan": "<",
            "mustBeLessOrEqualTo": "<=",
        }
        if self.operator in symbols:
            return f"{symbols[self.operator]} {_fmt(self.value)}"
        low, high = self.value
        word = "between" if self.operator == "mustBeBetween" else "not between"
        return f"{word} {_fmt(low)} and {_fmt(high)}"


@dataclass(frozen=True, slots=True)
class Threshold:
    """What a measured value must satisfy: all ``conditions`` (ANDed), in ``unit``.

    Attributes:
        conditions: one condition (ODCS v3.1) or several (v3.0.x and the book allow several; all must hold).
        unit: ``rows`` (an absolute count), ``percent`` (0–100 of the rows) or an SLA unit such as ``d``.
    """

    conditions: tuple[Condition, ...]
    unit: str = "rows"

    def holds(self, measured: float) -> bool:
        """Return whether every condition holds for ``measured``."""
        return all(condition.holds(measured) for condition in self.conditions)

    def describe(self) -> str:
        """Return the threshold as text, e.g. ``< 1 percent``."""
        text = " and ".join(condition.describe() for condition in self.conditions)
        return f"{text} {self.unit}" if self.unit else text

    @property
    def operator(self) -> str | None:
        """The first condition's operator (the only one in ODCS v3.1 contracts)."""
        return self.conditions[0].operator if self.conditions else None

    @property
    def value(self) -> Any:
        """The first condition's operand."""
        return self.conditions[0].value if self.conditions else None


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """Descriptive fields a result carries, copied from the contract.

    Attributes:
        id: the rule's ``id`` when the contract gives one, else a stable generated id.
        name: the rule's ``name`` or a generated readable name (``"dep_delay required"``).
        path: JSON path of the clause in the contract, e.g. ``"schema[0].properties[3].quality[0]"``.
        criteria: ``schema``, ``dq`` or ``sla``.
        dimension: ODCS data-quality dimension (``completeness``, ``uniqueness`` ...), if any.
        severity: ``error``, ``warning``, ``info`` or ``None`` (absent means blocking).
        business_impact: ODCS ``businessImpact``.
        description: the rule's ``description``.
    """

    id: str
    name: str
    path: str
    criteria: Criteria = "dq"
    dimension: str | None = None
    severity: str | None = None
    business_impact: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One executable promise of a contract.

    Attributes:
        kind: the rule kind, the name of a module under :mod:`quanta.checks.rules` (``null_values``).
        object: the schema object's ``name``.
        property: the property's ``name`` (``None`` for object-level checks).
        params: the rule's arguments, e.g. ``{"values": (...)}`` for ``missing_values``.
        threshold: the condition on the measured value (``None`` when the rule kind decides itself).
        meta: descriptive fields for the report.
    """

    kind: str
    object: str | None
    meta: RuleMeta
    property: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    threshold: Threshold | None = None

    @_property
    def element(self) -> str:
        """``object.property`` (or ``object``), the element the result is about."""
        parts = [p for p in (self.object, self.property) if p]
        return ".".join(parts)


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """All checks of one contract, in contract order.

    Attributes:
        contract_id: the contract ``id``.
        contract_version: the contract ``version``.
        checks: the checks.
        notes: plan-time findings that are not checks (e.g. unsupported clauses), as text.
    """

    contract_id: str | None
    contract_version: str | None
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    def for_object(self, name: str | None) -> tuple[Check, ...]:
        """Return the checks on object ``name`` (``None``: contract-level checks such as SLAs)."""
        return tuple(check for check in self.checks if check.object == name)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):  # written as in YAML
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

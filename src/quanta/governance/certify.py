"""Certification: every policy in force for a product, evaluated, with its verdict and evidence.

The book's ``/certify`` interface (*Implementing Data Mesh*, ch. 11) answers ``OK`` or ``NOT COMPLIANT``
and gives a report "with individual policies marked as certified or not". Here a product is ``NOT
COMPLIANT`` when a policy of severity ``error`` that is in force (``enforced``, or ``grace`` from its
``enforcedFrom`` date) fails or cannot be evaluated; that same condition blocks publication, like a failed
quality gate. ``draft`` policies and policies in grace before their date are reported, never blocking.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from quanta.governance.cel import CelEvaluationError, CelProgram, to_cel
from quanta.governance.federation import PolicySet
from quanta.governance.policy import Policy, python_rules
from quanta.governance.targets import Target, TargetBuilder, join_path, resolve

#: How many passing elements a verdict lists as evidence (every failing one is listed).
MAX_PASSED_EVIDENCE = 5


@dataclass(frozen=True)
class Outcome:
    """What a Python rule returns for one element (returning a plain ``bool`` is also accepted).

    Attributes:
        passed: whether the element complies.
        path: the field that decided it, relative to the element (``""`` for the element itself).
        value: the value found there.
        message: why, in one sentence.
    """

    passed: bool
    path: str = ""
    value: Any = None
    message: str = ""


@dataclass(frozen=True)
class Evidence:
    """The path and value that decided a verdict for one element.

    Attributes:
        target: the element, e.g. ``"contract operations.flights.flights: flights.tailnum"``.
        outcome: ``passed``, ``failed`` or ``error``.
        path: JSON path inside ``file``.
        value: the value found there (``None`` when ``present`` is false).
        present: whether the field exists.
        file: the file of the element, when known.
        line: 1-based line, when known.
        column: 1-based column, when known.
        message: what the rule said (an evaluation error, a Python rule's message).
    """

    target: str
    outcome: str
    path: str
    value: Any = None
    present: bool = True
    file: str | None = None
    line: int | None = None
    column: int | None = None
    message: str = ""


@dataclass(frozen=True)
class PolicyVerdict:
    """One policy's result for one product.

    Attributes:
        policy: the policy id; ``title``, ``severity`` (as written), ``scope``, ``status``, ``mandatory``
            and ``origin`` (``global`` or ``domain``) repeat the policy.
        verdict: ``passed``, ``failed``, ``error`` (could not be evaluated) or ``skipped`` (deprecated,
            nothing in scope, or a build policy outside a build).
        effective_severity: the severity reported (an error policy in grace before its date: warning).
        blocking: whether this verdict blocks publication.
        checked: elements evaluated; ``failed``: elements that failed or errored.
        evidence: the deciding path and value per element (every failure; a few passes).
        message: a one-line summary.
        evaluated_at: ISO 8601 UTC time of the evaluation.
    """

    policy: str
    title: str
    severity: str
    scope: str
    status: str
    mandatory: bool
    origin: str
    verdict: str
    effective_severity: str
    blocking: bool
    checked: int
    failed: int
    evidence: list[Evidence]
    message: str
    evaluated_at: str
    remediation: str = ""


@dataclass(frozen=True)
class Certification:
    """A product's certification: ``OK`` or ``NOT COMPLIANT``, and the report behind it.

    Attributes:
        product: the product ``id``; ``product_name``, ``domain``, ``version`` describe it.
        status: ``"OK"`` or ``"NOT COMPLIANT"``.
        verdicts: one per policy in force for the product's domain.
        evaluated_at: ISO 8601 UTC time.
    """

    product: str
    product_name: str
    domain: str | None
    version: str | None
    status: str
    verdicts: list[PolicyVerdict] = field(default_factory=list)
    evaluated_at: str = ""

    @property
    def blocks_publication(self) -> bool:
        """Whether a failed ``error`` policy in force blocks publication (the build's gate reads this)."""
        return any(verdict.blocking for verdict in self.verdicts)

    @property
    def blocking(self) -> list[PolicyVerdict]:
        """The verdicts that block publication."""
        return [verdict for verdict in self.verdicts if verdict.blocking]

    @property
    def warnings(self) -> list[PolicyVerdict]:
        """Failed or errored verdicts that do not block."""
        return [v for v in self.verdicts if v.verdict in ("failed", "error") and not v.blocking]

    def summary(self) -> dict[str, int]:
        """Counts of verdicts: passed, failed, error, skipped, blocking."""
        counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for verdict in self.verdicts:
            counts[verdict.verdict] += 1
        counts["blocking"] = len(self.blocking)
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``quanta certify --format json``, the gateway's ``certify/report``)."""
        data = asdict(self)
        data["blocksPublication"] = self.blocks_publication
        data["summary"] = self.summary()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Certification:
        """Rebuild a certification from :meth:`to_dict` output (e.g. read back from the registry)."""
        verdicts = [
            PolicyVerdict(**{**v, "evidence": [Evidence(**e) for e in v.get("evidence", [])]})
            for v in data.get("verdicts", [])
        ]
        keys = ("product", "product_name", "domain", "version", "status", "evaluated_at")
        return cls(**{key: data.get(key) for key in keys}, verdicts=verdicts)  # type: ignore[arg-type]


def certify(
    policy_set: PolicySet,
    product: Any,
    contracts: Mapping[str, Any] | Iterable[Any],
    previous_contracts: Mapping[str, Any] | Iterable[Any] | None = None,
    build_results: Mapping[str, Any] | None = None,
    *,
    domain: Mapping[str, Any] | None = None,
    previous_product: Any = None,
    today: dt.date | None = None,
    policies: Iterable[str] | None = None,
) -> Certification:
    """Evaluate every policy in force for ``product`` and return its certification.

    Args:
        policy_set: from :func:`quanta.governance.load_policies`.
        product: the ODPS product (:class:`quanta.spec.Product` or its plain ``dict``).
        contracts: the product's contracts (output and source), as ``{contract id: Contract}`` or a list.
        previous_contracts: the last published version of each contract, same forms (``None``: none).
        build_results: the build's check results per output port name, each a ``TestReport`` (anything
            with ``to_dict()``), a ``dict`` or a list of check results; ``None`` outside a build, in which
            case ``build``-scope policies are skipped.
        domain: the domain's ``domain.yaml`` content (``name``, ``owner``, ...), when known.
        previous_product: the last published product descriptor, for ``product``-scope change rules.
        today: the date that decides grace periods (default: today, UTC).
        policies: evaluate only these policy ids (``quanta policy test``).

    Returns:
        The :class:`Certification`; ``certification.blocks_publication`` is the gate.
    """
    now = dt.datetime.now(dt.UTC)
    day = today or now.date()
    plain_product = product.to_plain() if hasattr(product, "to_plain") else dict(product)
    domain_name = plain_product.get("domain") or (domain or {}).get("name")
    builder = TargetBuilder(
        product,
        _by_id(contracts),
        _by_id(previous_contracts or {}),
        previous_product,
        dict(domain) if domain is not None else None,
        _build_variable(build_results),
    )
    evaluator = _Evaluator(builder, day)
    wanted = set(policies) if policies is not None else None
    verdicts = [
        evaluator.verdict(policy, now)
        for policy in policy_set.for_domain(domain_name)
        if wanted is None or policy.id in wanted
    ]
    status = "NOT COMPLIANT" if any(v.blocking for v in verdicts) else "OK"
    return Certification(
        product=str(plain_product.get("id") or plain_product.get("name")),
        product_name=str(plain_product.get("name") or plain_product.get("id")),
        domain=domain_name,
        version=str(plain_product["version"]) if plain_product.get("version") is not None else None,
        status=status,
        verdicts=verdicts,
        evaluated_at=now.isoformat(timespec="seconds"),
    )


def _by_id(documents: Mapping[str, Any] | Iterable[Any]) -> dict[str, Any]:
    if isinstance(documents, Mapping):
        return {str(key): value for key, value in documents.items()}
    out = {}
    for document in documents:
        plain = document.to_plain() if hasattr(document, "to_plain") else document
        out[str(plain.get("id"))] = document
    return out


def _build_variable(results: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``build`` variable: ``{ports: {name: report}, checks, passed, failed, warnings, errors}``."""
    if results is None:
        return None
    ports, checks = {}, []
    for name, report in results.items():
        plain = report.to_dict() if hasattr(report, "to_dict") else report
        if isinstance(plain, list):
            plain = {"checks": plain}
        ports[str(name)] = plain
        for check in plain.get("checks") or plain.get("results") or []:
            check = check.to_dict() if hasattr(check, "to_dict") else dict(check)
            checks.append({**check, "port": str(name)})
    counts = {"passed": 0, "failed": 0, "warning": 0, "error": 0}
    for check in checks:
        status = str(check.get("status", ""))
        if status in counts:
            counts[status] += 1
    return {
        "ports": ports,
        "checks": checks,
        "passed": counts["passed"],
        "failed": counts["failed"],
        "warnings": counts["warning"],
        "errors": counts["error"],
    }


#: Compiled rules, one per distinct expression and thread (a compiled program keeps one celpy evaluator,
#: which is not thread-safe; the build certifies products in parallel).
_PROGRAMS = threading.local()
_LOADED_RULES: dict[str, Any] = {}


def _load_rule(name: str) -> Any:
    """The function of the Python rule ``name`` (entry point loaded once), or ``None``."""
    if name not in _LOADED_RULES:
        entry = python_rules().get(name)
        _LOADED_RULES[name] = entry.load() if entry is not None else None
    return _LOADED_RULES[name]


class _Evaluator:
    """Evaluates policies on one product's targets, converting each document to CEL once."""

    def __init__(self, builder: TargetBuilder, day: dt.date) -> None:
        self.builder = builder
        self.day = day
        self._cel_values: dict[int, Any] = {}
        self._when: dict[tuple[str, int], bool | str] = {}

    def program(self, expression: str) -> CelProgram:
        programs = _PROGRAMS.__dict__.setdefault("by_expression", {})
        program = programs.get(expression)
        if program is None:
            program = programs[expression] = CelProgram(expression)
        return program

    def _converted(self, value: Any) -> Any:
        """The CEL form of ``value``; converting a document also indexes every mapping and list inside it,
        so the property and port variables reuse the product's and contract's conversion."""
        key = id(value)
        if key not in self._cel_values:
            converted = to_cel(value)
            stack = [(value, converted)]
            while stack:
                plain, cel = stack.pop()
                if isinstance(plain, dict | list):
                    self._cel_values[id(plain)] = (plain, cel)  # keep plain alive so its id stays unique
                    items = plain.items() if isinstance(plain, dict) else enumerate(plain)
                    stack.extend((child, cel[k]) for k, child in items if isinstance(child, dict | list))
            self._cel_values.setdefault(key, (value, converted))
        return self._cel_values[key][1]

    def cel_variables(self, target: Target, params: dict[str, Any]) -> dict[str, Any]:
        out = {name: self._converted(value) for name, value in target.variables.items()}
        for name in ("contract", "port", "object", "property", "previous"):
            out.setdefault(name, None)
        out["params"] = self._converted(params)
        return out

    def applies(self, policy: Policy, target: Target, variables: dict[str, Any]) -> bool | str:
        """Whether the ``when`` filter selects ``target`` (an error message when it cannot be evaluated);
        shared by every policy with the same filter."""
        if policy.when is None:
            return True
        key = (policy.when, id(target))
        if key not in self._when:
            try:
                self._when[key] = bool(self.program(policy.when).evaluate(variables))
            except CelEvaluationError as error:
                self._when[key] = f"`when` could not be evaluated: {error}"
        return self._when[key]

    def verdict(self, policy: Policy, now: dt.datetime) -> PolicyVerdict:
        stamp = now.isoformat(timespec="seconds")

        def make(
            verdict: str, checked: int, failed: int, evidence: list[Evidence], message: str
        ) -> PolicyVerdict:
            blocking = verdict in ("failed", "error") and policy.can_block(self.day)
            return PolicyVerdict(
                policy.id,
                policy.title,
                policy.severity,
                policy.scope,
                policy.status,
                policy.mandatory,
                policy.origin,
                verdict,
                policy.effective_severity(self.day),
                blocking,
                checked,
                failed,
                evidence,
                message,
                stamp,
                policy.remediation,
            )

        if policy.status == "deprecated":
            return make("skipped", 0, 0, [], "deprecated: not evaluated")
        if policy.scope == "build" and self.builder.build is None:
            return make("skipped", 0, 0, [], "runs during a build only")
        failures, passes, checked, errors = [], [], 0, 0
        for target in self.builder.targets(policy.scope):
            outcome = self.evaluate(policy, target)
            if outcome is None:
                continue
            checked += 1
            if outcome.outcome == "passed":
                passes.append(outcome)
            else:
                failures.append(outcome)
                errors += outcome.outcome == "error"
        if checked == 0:
            return make("skipped", 0, 0, [], f"nothing in scope ({policy.scope})")
        shown = failures + passes[:MAX_PASSED_EVIDENCE]
        if not failures:
            return make(
                "passed", checked, 0, shown, f"{checked} of {checked} {policy.scope} element(s) comply"
            )
        verdict = "error" if errors == len(failures) else "failed"
        first = failures[0]
        detail = f": {first.target} ({first.message})" if first.message else f": {first.target}"
        return make(
            verdict,
            checked,
            len(failures),
            shown,
            f"{len(failures)} of {checked} {policy.scope} element(s) "
            f"{'could not be evaluated' if verdict == 'error' else 'do not comply'}{detail}",
        )

    def evaluate(self, policy: Policy, target: Target) -> Evidence | None:
        """Evaluate ``policy`` on one target; ``None`` when its ``when`` filter leaves the target out."""
        if policy.python is not None:
            return self._python(policy, target)
        variables = self.cel_variables(target, policy.params)
        applies = self.applies(policy, target, variables)
        if applies is not True:
            return (
                None if applies is False else self._evidence(target, "error", "", None, False, str(applies))
            )
        try:
            result = self.program(policy.cel or "false").evaluate(variables)
        except CelEvaluationError as error:
            return self._evidence(target, "error", "", None, False, f"could not be evaluated: {error}")
        if not isinstance(result, bool):
            return self._evidence(
                target, "error", "", result, True, f"the rule returned {result!r}, not true/false"
            )
        outcome = "passed" if result else "failed"
        if not policy.evidence:
            return self._evidence(
                target,
                outcome,
                target.path,
                target.element.get("name") if isinstance(target.element, dict) else None,
                True,
                "",
            )
        found = [resolve(target.element, dotted, target.path) for dotted in policy.evidence]
        # Report the first missing field (what most rules test), else the first field.
        path, value, present = next((f for f in found if not f[2]), found[0])
        extra = "; ".join(f"{p} = {v!r}" for p, v, ok in found if ok and p != path)
        return self._evidence(target, outcome, path, value, present, extra)

    def _python(self, policy: Policy, target: Target) -> Evidence | None:
        function = _load_rule(policy.python or "")
        if function is None:
            return self._evidence(
                target, "error", "", None, False, f"Python rule {policy.python!r} is not installed"
            )
        try:
            result = function(target, dict(policy.params))
        except Exception as error:  # a plug-in's bug must not stop the certification
            return self._evidence(target, "error", "", None, False, f"{type(error).__name__}: {error}")
        if result is None:
            return None
        if isinstance(result, bool):
            result = Outcome(result, "", None, "")
        path = join_path(target.path, result.path) if result.path else target.path
        return self._evidence(
            target, "passed" if result.passed else "failed", path, result.value, True, result.message
        )

    def _evidence(
        self, target: Target, outcome: str, path: str, value: Any, present: bool, message: str
    ) -> Evidence:
        line, column = target.position(path) if path or target.document is not None else (None, None)
        return Evidence(target.label, outcome, path, value, present, target.file, line, column, message)

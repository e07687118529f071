"""Results of a contract test: :class:`CheckResult` per check, :class:`TestReport` for the run.

Renderings: :meth:`TestReport.to_json`, :meth:`TestReport.to_junit` (JUnit XML, one test case per
check), :meth:`TestReport.to_text` (grouped by object and dimension, ending with a summary line) and
:meth:`TestReport.observability_results` (OORS-style ``ObservabilityResult`` records, book ch. 6).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

_property = property  # ``CheckResult`` has a field called ``property``
STATUSES = ("passed", "failed", "error", "skipped", "manual", "not_evaluated")
BLOCKING_SEVERITIES = (None, "error")


@dataclass(slots=True)
class CheckResult:
    """The result of one check.

    Attributes:
        rule_id: the rule ``id`` from the contract, or a stable generated id (``flights.dep_delay.required``).
        name: a readable name.
        kind: the rule kind (a module of :mod:`quanta.checks.rules`).
        criteria: ``schema``, ``dq`` or ``sla``.
        object: the schema object (``None`` for contract-level SLAs).
        property: the property (``None`` for object-level checks).
        element: ``object.property`` (or ``object``).
        path: JSON path of the clause in the contract (``schema[0].properties[3].quality[0]``).
        dimension: ODCS data-quality dimension.
        severity: ``error``, ``warning``, ``info`` or ``None`` (absent: blocking).
        business_impact: ODCS ``businessImpact`` (SLA: ``driver``).
        description: the rule's description.
        status: ``passed``, ``failed``, ``error``, ``skipped``, ``manual`` or ``not_evaluated``.
        value: the measured value, in ``unit`` (counts, percent 0–100, or an SLA time unit).
        operator: the first ODCS operator of the threshold (``mustBeLessThan`` ...), if any.
        threshold: the operand of ``operator`` (a number, or ``[min, max]`` for between, inclusive).
        unit: ``rows``, ``percent`` or an SLA unit.
        expectation: the whole threshold in words (``< 1 percent``).
        reason: why it did not pass, or what was found.
        rows: rows of the object scanned (for counts), if known.
        duration: seconds spent; checks fused into one scan share (and each report) that scan's time.
        samples: up to N violating rows (redacted), for failed checks that have them.
        details: extra facts (actual type, reference dates ...).
    """

    rule_id: str
    name: str
    kind: str
    criteria: str
    object: str | None
    property: str | None
    element: str
    path: str
    status: str
    dimension: str | None = None
    severity: str | None = None
    business_impact: str | None = None
    description: str | None = None
    value: Any = None
    operator: str | None = None
    threshold: Any = None
    unit: str | None = None
    expectation: str | None = None
    reason: str | None = None
    rows: int | None = None
    duration: float = 0.0
    samples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @_property
    def blocking(self) -> bool:
        """True when the check failed (or could not run) and its severity is ``error`` (any case) or
        absent (or empty)."""
        severity = None if self.severity is None else str(self.severity).strip().lower() or None
        return self.status in ("failed", "error") and severity in BLOCKING_SEVERITIES

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible mapping of every field (plus ``blocking``)."""
        # ``_jsonable`` copies nested dicts and lists itself: no ``asdict`` deep copy first (its fields
        # hold plain values, never dataclasses).
        data = {name: getattr(self, name) for name in _FIELDS}
        data["blocking"] = self.blocking
        return _jsonable(data)


_FIELDS = tuple(f.name for f in fields(CheckResult))
#: Exact types :func:`_jsonable` passes through unchanged (a float may be NaN: it is checked below).
_PLAIN = frozenset({str, int, bool})


@dataclass(slots=True)
class TestReport:
    """The outcome of testing one contract against one data location.

    Attributes:
        contract_id: the contract ``id``.
        contract_version: the contract ``version``.
        server: the ``servers`` entry used (its ``server`` name), or ``"data"`` for data passed in.
        dialect: the engine's SQL dialect.
        started_at: when the run started (UTC).
        duration: seconds for the whole run.
        results: one result per check, in contract order.
        queries: the SQL statements that ran, in order (one fused scan per object plus separate ones).
    """

    __test__ = False  # not a pytest test class

    contract_id: str | None
    contract_version: str | None
    server: str | None
    dialect: str
    started_at: dt.datetime
    duration: float = 0.0
    results: list[CheckResult] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    @property
    def blocking_failures(self) -> list[CheckResult]:
        """Failed (or errored) results whose severity is ``error`` or absent: these fail a gate."""
        return [r for r in self.results if r.blocking]

    @property
    def passed(self) -> bool:
        """True when there is no blocking failure."""
        return not self.blocking_failures

    def counts(self) -> dict[str, int]:
        """Number of results per status (every status listed, zeros included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def summary(self) -> str:
        """One line: verdict, checks and status counts, blocking failures and time."""
        counts = self.counts()
        parts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items() if n)
        verdict = "PASSED" if self.passed else "FAILED"
        blocking = len(self.blocking_failures)
        return (
            f"{verdict}: {len(self.results)} checks ({parts or 'none'}); {blocking} blocking; "
            f"{len(self.queries)} queries in {self.duration:.2f}s"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible mapping of the report."""
        return {
            "contractId": self.contract_id,
            "contractVersion": self.contract_version,
            "server": self.server,
            "dialect": self.dialect,
            "startedAt": self.started_at.isoformat(),
            "duration": round(self.duration, 6),
            "passed": self.passed,
            "counts": self.counts(),
            "blockingFailures": [r.rule_id for r in self.blocking_failures],
            "results": [r.to_dict() for r in self.results],
            "queries": list(self.queries),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_junit(self) -> str:
        """The report as JUnit XML: one ``testsuite`` per object, one ``testcase`` per check.

        Blocking ``failed`` results are ``<failure>``, blocking ``error`` ones ``<error>``; failures of
        severity ``warning``/``info`` are passing cases with the finding in ``<system-out>`` (as for the
        gate); ``skipped``, ``manual`` and ``not_evaluated`` are ``<skipped>`` with the reason (never
        reported as passing tests).
        """
        import xml.etree.ElementTree as ET

        counts = self.counts()
        root = ET.Element(
            "testsuites",
            name=f"quanta test {self.contract_id or ''}".strip(),
            tests=str(len(self.results)),
            failures=str(sum(1 for r in self.blocking_failures if r.status == "failed")),
            errors=str(sum(1 for r in self.blocking_failures if r.status == "error")),
            skipped=str(counts["skipped"] + counts["manual"] + counts["not_evaluated"]),
            time=f"{self.duration:.3f}",
        )
        for group, results in _group(self.results, lambda r: r.object or "contract"):
            suite = ET.SubElement(root, "testsuite", name=group, tests=str(len(results)))
            for result in results:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{self.contract_id or 'contract'}.{group}",
                    name=f"{result.name} [{result.rule_id}]",
                    time=f"{result.duration:.3f}",
                )
                message = _line(result)
                if result.status in ("failed", "error") and not result.blocking:
                    # A warning or info: visible, but it does not fail the suite (nor the gate).
                    ET.SubElement(case, "system-out").text = f"{result.severity}: {message}"
                elif result.status == "failed":
                    node = ET.SubElement(case, "failure", message=message, type=result.severity or "error")
                    if result.samples:
                        node.text = json.dumps(_jsonable(result.samples), ensure_ascii=False)
                elif result.status == "error":
                    ET.SubElement(case, "error", message=message)
                elif result.status != "passed":
                    ET.SubElement(case, "skipped", message=f"{result.status}: {result.reason or ''}".strip())
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def to_text(self) -> str:
        """Plain text grouped by object and dimension, ending with the summary line."""
        title = f"Contract {self.contract_id or '?'} {self.contract_version or ''}".rstrip()
        lines = [f"{title} on {self.server or '?'}"]
        for group, results in _group(self.results, lambda r: r.object or "(contract SLAs)"):
            lines.append("")
            lines.append(group)
            for dimension, items in _group(results, lambda r: r.dimension or r.criteria):
                lines.append(f"  {dimension}")
                for result in items:
                    lines.append(f"    {_line(result)}")
                    for sample in result.samples:
                        lines.append(f"        sample: {json.dumps(_jsonable(sample), ensure_ascii=False)}")
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def observability_results(self, emitter: str = "io.quanta.ContractTest") -> list[dict[str, Any]]:
        """The measured results as OORS-style ``ObservabilityResult`` records (book ch. 6, Ex. 6-2/6-3).

        One record per result with a numeric value: ``id`` (UUID), ``kind``, ``apiVersion`` (``1.0.0``),
        ``timestamp``, ``emitter`` (``<emitter>.<kind>``), ``criteria`` (``sla`` or ``dq``; schema checks
        count as ``dq``), ``property`` (the rule's metric or SLA property), ``value``, ``unit`` and
        ``element`` (``object.property``).
        """
        import uuid

        stamp = self.started_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")
        records = []
        for result in self.results:
            if isinstance(result.value, bool) or not isinstance(result.value, int | float):
                continue
            records.append(
                {
                    "id": str(uuid.uuid4()),
                    "kind": "ObservabilityResult",
                    "apiVersion": "1.0.0",
                    "timestamp": stamp,
                    "emitter": f"{emitter}.{result.kind}",
                    "criteria": "sla" if result.criteria == "sla" else "dq",
                    "property": result.details.get("property") or result.kind,
                    "value": result.value,
                    "unit": result.unit or "rows",
                    "element": result.element,
                }
            )
        return records


def _line(result: CheckResult) -> str:
    mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}.get(result.status, result.status)
    text = f"[{mark}] {result.name}"
    if result.value is not None and not isinstance(result.value, str):
        value = f"{result.value:.4g}" if isinstance(result.value, float) else str(result.value)
        text += f": {value}"
        if result.unit:
            text += f" {result.unit}"
    if result.expectation:
        text += f" (expected {result.expectation})"
    if result.severity and result.status in ("failed", "error"):
        text += f" [{result.severity}]"
    if result.reason and result.status != "passed":
        text += f" — {result.reason}"
    return text


def _group(results: Iterable[CheckResult], key: Any) -> list[tuple[str, list[CheckResult]]]:
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return list(groups.items())


def _jsonable(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:  # most values: returned as they are, checked first
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)

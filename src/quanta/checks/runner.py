"""Run a compiled check plan on an engine and turn raw values into :class:`CheckResult` records."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from quanta.checks.plan import Check, CheckPlan
from quanta.checks.plan_cache import ROWS_ALIAS, rendered_plan
from quanta.checks.report import CheckResult, TestReport
from quanta.checks.rules import rule
from quanta.checks.rules.base import Binding, Outcome
from quanta.engine.base import engine_rows

REDACTED = "***"
#: ODCS library metric names of the rule kinds (the ``property`` of observability results).
METRICS = {
    "null_values": "nullValues",
    "missing_values": "missingValues",
    "invalid_values": "invalidValues",
    "duplicate_values": "duplicateValues",
    "row_count": "rowCount",
    "latency": "latency",
    "retention": "retention",
    "frequency": "frequency",
    "time_of_availability": "timeOfAvailability",
}


@dataclass(slots=True)
class RunContext:
    """What checks see while running.

    Attributes:
        engine: the engine the data is on.
        bindings: object name (or related-object key) -> binding.
        now: the run's reference time (aware, UTC).
        samples: how many violating rows to show per failed check.
    """

    engine: Any
    bindings: dict[str, Binding] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    samples: int = 5


def bind(engine: Any, name: str, table: Any, obj: dict[str, Any] | None) -> Binding:
    """Bind schema object ``obj`` (its contract mapping) to ``table`` by reading the table's columns.

    Properties are matched to columns by ``physicalName``, then ``name``; exactly first, then ignoring case.
    The columns come from the engine's ``describe`` (on DuckDB: the bound relation, no Arrow, no SQL text).
    """
    from quanta.engine.base import engine_describe

    types = engine_describe(engine, table)
    lowered = {n.lower(): n for n in types}
    columns: dict[str, str] = {}
    properties: dict[str, dict[str, Any]] = {}
    for prop in (obj or {}).get("properties") or []:
        if not isinstance(prop, dict) or not prop.get("name"):
            continue
        properties[prop["name"]] = prop
        for candidate in (prop.get("physicalName"), prop["name"]):
            if candidate and (candidate in types or str(candidate).lower() in lowered):
                columns[prop["name"]] = candidate if candidate in types else lowered[str(candidate).lower()]
                break
    if obj is None:  # a related object outside the contract: every column under its own name
        columns = {n: n for n in types}
    return Binding(name, table, columns, types, engine.dialect, properties)


def run_plan(plan: CheckPlan, context: RunContext, *, server: str | None) -> TestReport:
    """Run every check of ``plan`` and collect the results.

    Args:
        plan: the compiled contract.
        context: engine, bindings, reference time and sample size.
        server: the server name to report.

    Returns:
        The report, results in plan order.
    """
    started = time.perf_counter()
    report = TestReport(plan.contract_id, plan.contract_version, server, context.engine.dialect, context.now)
    compiled = rendered_plan(plan, context.bindings, context.engine.dialect, context)
    outcomes: dict[int, tuple[Outcome, float, int | None]] = {}
    for index, outcome in compiled.settled.items():
        outcomes[index] = (outcome, 0.0, None)
    for query in compiled.fused:
        sql = query.sql
        report.queries.append(sql)
        began = time.perf_counter()
        try:
            row = _first_row(context.engine, sql)
        except Exception as error:  # the engine's own error types vary; report, never hide
            took = time.perf_counter() - began
            for index in query.columns:
                outcomes[index] = (Outcome("error", None, f"query failed: {_message(error)}"), took, None)
            continue
        took = time.perf_counter() - began
        rows = int(row[ROWS_ALIAS] or 0)
        for index, alias in query.columns.items():
            outcomes[index] = (_judge(plan.checks[index], row[alias], rows, context), took, rows)
    for single_index, single_sql in compiled.singles:
        report.queries.append(single_sql)
        began = time.perf_counter()
        check = plan.checks[single_index]
        try:
            row = _first_row(context.engine, single_sql)
            raw = next(iter(row.values()), None) if row else None
            outcome = _judge(check, raw, None, context)
        except Exception as error:
            outcome = Outcome("error", None, f"query failed: {_message(error)}")
        outcomes[single_index] = (outcome, time.perf_counter() - began, None)
    for index in compiled.python:
        check = plan.checks[index]
        began = time.perf_counter()
        binding = context.bindings.get(check.object) if check.object else None
        try:
            outcome = rule(check.kind).evaluate(check, binding, context)
        except Exception as error:
            outcome = Outcome("error", None, _message(error))
        outcomes[index] = (outcome, time.perf_counter() - began, None)
    for index, check in enumerate(plan.checks):
        outcome, took, rows = outcomes[index]
        result = _result(check, outcome, took, rows)
        if result.status == "failed" and context.samples > 0:
            result.samples = _samples(check, context, report)
        report.results.append(result)
    report.duration = time.perf_counter() - started
    return report


def _judge(check: Check, raw: Any, rows: int | None, context: RunContext) -> Outcome:
    module = rule(check.kind)
    if hasattr(module, "interpret"):
        value = module.interpret(raw, check)
    elif hasattr(module, "measure"):
        value = module.measure(raw, check, rows or 0, context)
    else:
        value = _count_value(module, check, raw, rows)
    if isinstance(value, Outcome):
        return value
    if check.threshold is None:
        return Outcome("error", value, "the check has no threshold")
    if check.threshold.holds(value):
        return Outcome("passed", value)
    return Outcome(
        "failed",
        value,
        " ".join(("measured", _fmt(value), check.threshold.unit)).rstrip()
        + f", expected {check.threshold.describe()}",
    )


def _count_value(module: Any, check: Check, raw: Any, rows: int | None) -> float | int:
    count = int(raw or 0)
    unit = check.threshold.unit if check.threshold else "rows"
    if unit == "percent" and getattr(module, "COUNTS_VIOLATIONS", True):
        return 0.0 if not rows else count * 100.0 / rows
    return count


def _result(check: Check, outcome: Outcome, took: float, rows: int | None) -> CheckResult:
    threshold = check.threshold
    details = dict(outcome.details)
    metric = METRICS.get(check.kind) or check.params.get("property")
    if metric:
        details.setdefault("property", metric)
    value = outcome.value
    return CheckResult(
        rule_id=check.meta.id,
        name=check.meta.name,
        kind=check.kind,
        criteria=check.meta.criteria,
        object=check.object,
        property=check.property,
        element=check.element,
        path=check.meta.path,
        status=outcome.status,
        dimension=check.meta.dimension,
        severity=check.meta.severity,
        business_impact=check.meta.business_impact,
        description=check.meta.description,
        value=value,
        operator=threshold.operator if threshold else None,
        threshold=list(threshold.value)
        if threshold and isinstance(threshold.value, tuple)
        else (threshold.value if threshold else None),
        unit=threshold.unit if threshold else None,
        expectation=threshold.describe() if threshold else None,
        reason=outcome.reason,
        rows=rows,
        duration=took,
        details=details,
    )


def _samples(check: Check, context: RunContext, report: TestReport) -> list[dict[str, Any]]:
    """Up to ``context.samples`` violating rows, with non-public and ``pii`` properties redacted."""
    from sqlglot import exp

    binding = context.bindings.get(check.object) if check.object else None
    if binding is None:
        return []
    module = rule(check.kind)
    try:
        if hasattr(module, "samples"):
            select = module.samples(check, binding, context.samples, context)
        elif hasattr(module, "predicate"):
            columns = [exp.column(name, quoted=True) for name in binding.columns.values()]
            select = exp.select(*columns).from_(binding.table.copy()).where(module.predicate(check, binding))
            select = select.limit(context.samples)
        else:
            return []
        sql = select.sql(context.engine.dialect)
        report.queries.append(sql)
        rows = engine_rows(context.engine, sql)
    except Exception:
        return []
    hidden = _hidden_columns(binding)
    return [{k: (REDACTED if k in hidden and v is not None else v) for k, v in row.items()} for row in rows]


def _hidden_columns(binding: Binding) -> set[str]:
    """The columns samples redact: those of sensitive properties, whole, even when only a field nested
    in them (of an ``object``, or of ``array`` items) is sensitive, since the column carries it."""
    return {binding.columns.get(name, name) for name, prop in binding.properties.items() if _sensitive(prop)}


def _sensitive(prop: dict[str, Any]) -> bool:
    """Whether ``prop`` or a property nested in it has a non-public ``classification`` or the ``pii`` tag."""
    classification = prop.get("classification")
    tags = {str(t).lower() for t in prop.get("tags") or []}
    if (classification and str(classification).lower() != "public") or "pii" in tags:
        return True
    nested = list(prop.get("properties") or [])
    if isinstance(prop.get("items"), dict):
        nested.append(prop["items"])
    return any(_sensitive(child) for child in nested if isinstance(child, dict))


def _first_row(engine: Any, sql: str) -> dict[str, Any]:
    rows = engine_rows(engine, sql)
    return rows[0] if rows else {}


def _message(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.6g}" if isinstance(value, float) else str(value)

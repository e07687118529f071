"""What the registry knows of each product at run time, shaped for the API and the UI.

Every function takes a :class:`~quanta.registry.RegistryReader` and returns plain JSON-compatible data:
the last run and its check results, quality (share of evaluated checks that passed), freshness (time of
the newest published snapshot), run history, check history per port, SLA status and certification.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quanta.registry import RegistryReader

#: Statuses that count as evaluated for quality; ``skipped``, ``manual`` and ``not_evaluated`` do not.
EVALUATED = ("passed", "failed", "error")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def check_counts(checks: list[Any]) -> dict[str, int]:
    """Check results per status, plus ``warned`` (failed checks of severity warning or info)."""
    counts = Counter(c.status for c in checks)
    warned = sum(1 for c in checks if c.status == "failed" and (c.severity or "error") != "error")
    return {
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0) - warned,
        "warned": warned,
        "error": counts.get("error", 0),
        "other": sum(n for s, n in counts.items() if s not in EVALUATED),
    }


def quality(checks: list[Any]) -> float | None:
    """Share of evaluated checks that passed, 0.0 to 1.0; ``None`` when no check was evaluated."""
    evaluated = [c for c in checks if c.status in EVALUATED]
    if not evaluated:
        return None
    return sum(1 for c in evaluated if c.status == "passed") / len(evaluated)


def check_json(check: Any) -> dict[str, Any]:
    """One check result as JSON (field names of the registry's ``CheckRecord``)."""
    return {
        "status": check.status,
        "port": check.port,
        "ruleId": check.rule_id,
        "ruleName": check.rule_name,
        "kind": check.kind,
        "element": check.element,
        "dimension": check.dimension,
        "severity": check.severity,
        "metricValue": check.metric_value,
        "operator": check.operator,
        "threshold": check.threshold,
        "unit": check.unit,
        "message": check.message,
    }


def run_json(reader: RegistryReader, run: Any, *, with_checks: bool = False) -> dict[str, Any]:
    """One run with its check counts (and its checks when ``with_checks``)."""
    checks = reader.check_results(run.id)
    body = {
        "id": run.id,
        "build": run.build_id,
        "product": f"{run.domain}.{run.product}",
        "status": run.status,
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
        "durationSeconds": run.duration_s,
        "error": run.error,
        "checks": check_counts(checks),
        "quality": quality(checks),
    }
    if with_checks:
        body["checkResults"] = [check_json(c) for c in checks]
    return body


def summary(reader: RegistryReader, domain: str, name: str) -> dict[str, Any]:
    """Last run, quality, freshness, rows and certification of one product (``{}`` parts when unknown)."""
    runs = reader.runs(domain, name, limit=1)
    snapshots = reader.snapshots(domain, name)
    latest: dict[str, Any] = {}
    for snap in snapshots:  # newest version first per port
        latest.setdefault(snap.port, snap)
    fresh = max((s.committed_at or s.recorded_at for s in latest.values()), default=None)
    certification = reader.certifications(domain, name, limit=1)
    checks = reader.check_results(runs[0].id) if runs else []
    return {
        "lastRun": run_json(reader, runs[0]) if runs else None,
        "quality": quality(checks),
        "freshness": _iso(fresh),
        "freshnessEpoch": fresh.timestamp() if fresh else 0.0,
        "rows": {port: snap.row_count for port, snap in latest.items()},
        "versions": {port: snap.delta_version for port, snap in latest.items()},
        "certification": certification[0].status if certification else "",
    }


def quality_history(reader: RegistryReader, domain: str, name: str, limit: int = 30) -> list[dict[str, Any]]:
    """Quality of each of the last ``limit`` runs, oldest first (for the quality chart)."""
    items = []
    for run in reversed(reader.runs(domain, name, limit=limit)):
        checks = reader.check_results(run.id)
        items.append(
            {
                "run": run.id,
                "startedAt": _iso(run.started_at),
                "status": run.status,
                "quality": quality(checks),
            }
        )
    return items


def check_history(
    reader: RegistryReader, domain: str, name: str, port: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Check results of ``port`` for each of the last ``limit`` runs, newest first."""
    return [
        {
            "run": run.id,
            "startedAt": _iso(run.started_at),
            "status": run.status,
            "results": [check_json(c) for c in reader.check_results(run.id, port=port)],
        }
        for run in reader.runs(domain, name, limit=limit)
    ]


def certification_report(reader: RegistryReader, domain: str, name: str) -> dict[str, Any] | None:
    """The newest certification, or ``None``.

    Returns:
        ``product``, ``status`` (``OK`` or ``NOT COMPLIANT``), ``version`` (of the descriptor), ``run`` (the
        build run that recorded it), ``certifiedAt``, ``blocking`` and ``warnings`` (the ids of the failed
        policies that block publication / that do not) and ``report``: the governance layer's report as
        the build stored it (``quanta.governance.Certification.to_dict``: every verdict with its evidence).
    """
    found = reader.certifications(domain, name, limit=1)
    if not found:
        return None
    cert = found[0]
    status = "OK" if str(cert.status).upper() in ("OK", "CERTIFIED", "COMPLIANT") else "NOT COMPLIANT"
    report = dict(cert.report)
    verdicts = [v for v in report.get("verdicts") or [] if isinstance(v, dict)]
    failed = [v for v in verdicts if v.get("verdict") in ("failed", "error")]
    return {
        "product": f"{domain}.{name}",
        "status": status,
        "recordedStatus": cert.status,
        "version": cert.version,
        "run": cert.run_id,
        "certifiedAt": _iso(cert.certified_at),
        "blocking": [str(v.get("policy")) for v in failed if v.get("blocking")],
        "warnings": [str(v.get("policy")) for v in failed if not v.get("blocking")],
        "report": report,
    }


def sla_status(
    reader: RegistryReader, domain: str, name: str, port: str, objectives: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The latest status of each SLA objective of ``port`` (the API's ``/sla`` and the product page).

    The last run's check results of the port are matched to each objective by its ``property`` (named in
    the check's ``kind``, ``ruleId`` or ``ruleName``, e.g. ``sla.latency``).

    Args:
        reader: the registry.
        domain: the product's domain.
        name: the product's name.
        port: the output port's name.
        objectives: the port contract's ODCS ``slaProperties`` entries (``property``, ``value``, ``unit``,
            ``element``, ``driver``), as written.

    Returns:
        One item per objective, in contract order: ``property``; ``objective`` (the ``value``, ``unit``,
        ``element`` and ``driver`` the contract states); ``status`` (the check's status: ``passed``,
        ``failed``, ``error``, ``skipped``, ``manual`` or ``not_evaluated``, the latter also when the last
        run measured nothing for the property); ``measured`` (the check's metric value, or ``None``);
        ``unit`` (of the measured value, or ``None``); ``reason`` (the check's message, or why nothing was
        measured; ``None`` when the check passed without a message). Source: ODCS v3.1.0 §Service-Level
        Agreement.
    """
    last = check_history(reader, domain, name, port, limit=1)
    results = last[0]["results"] if last else []
    items = []
    for objective in objectives:
        prop = str(objective.get("property") or "")
        measured = next(
            (
                r
                for r in results
                if prop
                and prop.lower()
                in " ".join(str(r.get(k) or "") for k in ("kind", "ruleId", "ruleName")).lower()
            ),
            None,
        )
        if measured is not None:
            reason = measured["message"] or None
        elif last:
            reason = f"the last run recorded no check of {prop or 'this property'}"
        else:
            reason = "no build recorded yet"
        items.append(
            {
                "property": prop,
                "objective": {
                    k: objective.get(k) for k in ("value", "unit", "element", "driver") if k in objective
                },
                "status": measured["status"] if measured else "not_evaluated",
                "measured": measured["metricValue"] if measured else None,
                "unit": measured["unit"] if measured else None,
                "reason": reason,
            }
        )
    return items

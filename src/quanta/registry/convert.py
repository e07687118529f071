"""Conversions between ORM rows and the registry's frozen records, and JSON-safe values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from quanta.registry import records as r

if TYPE_CHECKING:
    from datetime import datetime

    from quanta.registry import models as m


def port_info(p: m.OutputPort) -> r.PortInfo:
    """Return the record of an ``output_ports`` row."""
    return r.PortInfo(p.name, p.version, p.contract_id, p.contract_version, p.table_uri)


def product_info(p: m.Product, ports: list[r.PortInfo], paused: bool) -> r.ProductInfo:
    """Return the record of a ``products`` row with its ports and paused flag."""
    return r.ProductInfo(
        p.domain,
        p.name,
        p.odps_id,
        p.owner_team,
        p.description,
        p.latest_descriptor_version,
        p.latest_descriptor_fingerprint,
        tuple(ports),
        bool(paused),
        p.created_at,
        p.updated_at,
    )


def build_info(b: m.Build) -> r.BuildInfo:
    """Return the record of a ``builds`` row."""
    return r.BuildInfo(
        b.id, b.status, b.trigger, b.started_at, b.finished_at, dict(b.options or {}), b.host, b.pid, b.error
    )


def run_info(run: m.ProductRun, domain: str, name: str) -> r.RunInfo:
    """Return the record of a ``product_runs`` row of product ``domain.name``."""
    return r.RunInfo(
        run.id,
        run.build_id,
        domain,
        name,
        run.status,
        run.started_at,
        run.finished_at,
        run.fingerprint,
        dict(run.steps or {}),
        run.error,
    )


def snapshot_info(snap: m.Snapshot, domain: str, name: str) -> r.SnapshotInfo:
    """Return the record of a ``snapshots`` row of product ``domain.name``."""
    return r.SnapshotInfo(
        snap.id,
        snap.run_id,
        domain,
        name,
        snap.port,
        snap.table_uri,
        snap.delta_version,
        snap.row_count,
        list(snap.schema_json or []),
        snap.contract_id,
        snap.contract_version,
        snap.fingerprint,
        snap.committed_at,
        snap.recorded_at,
        snap.valid,
        snap.invalid_reason,
    )


def check_record(c: m.CheckResult) -> r.CheckRecord:
    """Return the record of a ``check_results`` row."""
    return r.CheckRecord(
        status=c.status,
        port=c.port,
        rule_id=c.rule_id,
        rule_name=c.rule_name,
        kind=c.kind,
        element=c.element,
        dimension=c.dimension,
        severity=c.severity,
        metric_value=c.metric_value,
        operator=c.operator,
        threshold=c.threshold,
        unit=c.unit,
        message=c.message,
        duration_ms=c.duration_ms,
        id=c.id,
        run_id=c.run_id,
    )


def edge_record(e: m.LineageEdge) -> r.EdgeRecord:
    """Return the record of a ``lineage_edges`` row."""
    return r.EdgeRecord(
        e.kind, e.from_dataset, e.to_dataset, e.from_field, e.to_field, e.transformation, e.run_id
    )


def snapshot_row(snap: r.SnapshotRecord, run_id: str | None, product_id: int, now: datetime) -> m.Snapshot:
    """Return a new ``snapshots`` row for ``snap``, recorded by ``run_id`` at ``now``."""
    from quanta.registry import models as m

    return m.Snapshot(
        run_id=run_id,
        product_id=product_id,
        port=snap.port,
        table_uri=snap.table_uri,
        delta_version=snap.delta_version,
        row_count=snap.row_count,
        schema_json=jsonable(list(snap.schema)),
        contract_id=snap.contract_id,
        contract_version=snap.contract_version,
        fingerprint=snap.fingerprint,
        committed_at=snap.committed_at,
        recorded_at=now,
        valid=True,
    )


def jsonable(value: Any) -> Any:
    """Make a value JSON-compatible (dates as ISO strings, tuples as lists, unknown objects as text)."""
    import datetime as dt
    import decimal
    import math

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "value") and isinstance(value.value, str | int):  # enums
        return value.value
    return str(value)

"""The build's two contract probes: sources on the way in, output ports before they are published.

* :func:`check_source` reads a source through the engine's source readers into the product's engine and
  checks probe 1 of the data product anatomy: the source is *available* and its *schema has not drifted*
  from the source contract (every declared column present; undeclared extra columns are a warning).
* :func:`test_port` runs the output contract's tests (:func:`quanta.checks.api.test_contract`) on the
  staged data.

Both return check results as plain dicts with the fields of a ``CheckResult`` (``rule``, ``name``,
``element``, ``dimension``, ``severity``, ``status``, ``metricValue``, ``operator``, ``threshold``,
``unit``, ``message``), which is what the registry, the JSON output and the CLI use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError

if TYPE_CHECKING:
    from quanta.build.context import ProductRun, StagedPort
    from quanta.mesh.workspace import InputPort, OutputPort

SOURCE_PREFIX = "__quanta_source_"


def _check(
    rule: str, element: str, status: str, message: str, *, severity: str = "error", value: Any = None
) -> dict[str, Any]:
    return {
        "rule": rule,
        "name": rule,
        "element": element,
        "dimension": "availability" if rule == "sourceAvailable" else "conformity",
        "severity": severity,
        "status": status,
        "metricValue": value,
        "operator": None,
        "threshold": None,
        "unit": None,
        "message": message,
    }


def _source_table(port: InputPort) -> tuple[str, list[str]]:
    schema = port.source.schema if port.source is not None else []
    if not schema:
        return port.name, []
    obj = schema[0]
    columns = [str(p.get("physicalName") or p.get("name")) for p in obj.get("properties") or []]
    return str(obj.get("physicalName") or obj.get("name") or port.name), columns


def _read_source(engine: Any, mesh_root: Path, port: InputPort, server: dict[str, Any]) -> None:
    """Register the source under ``port.name`` as a table of the product's engine."""
    from sqlglot import exp

    kind = str(server.get("type") or "").lower()
    table, _ = _source_table(port)
    staging = SOURCE_PREFIX + port.name
    if kind in {"local", "duckdb", "sqlite"}:
        raw = server.get("path") or server.get("database") or server.get("location")
        if not raw:
            raise QuantaError(f"source contract {port.contract_id!r}: the {kind} server has no `path`")
        path = Path(str(raw))
        path = path if path.is_absolute() else mesh_root / path
        fmt = str(server.get("format") or "") or (kind if kind != "local" else None)
        options: dict[str, Any] = {"format": fmt}
        if fmt in {"duckdb", "sqlite"}:
            options["table"] = table
        if server.get("delimiter"):
            options["delimiter"] = str(server["delimiter"])
        engine.register_file(staging, path, **options)
    elif kind in {"postgresql", "postgres"}:
        from quanta.engine import PostgresEngine

        remote = PostgresEngine(
            host=server.get("host"),
            port=server.get("port"),
            database=server.get("database"),
            schema=server.get("schema"),
        )
        try:
            select = exp.select("*").from_(exp.to_table(table, quoted=True)).sql("postgres")
            engine.register(staging, remote.query(select).read_all())
        finally:
            remote.close()
    else:
        raise QuantaError(
            f"source contract {port.contract_id!r}: server type {kind or '(none)'!r} cannot be read by a "
            "build; use local (csv, parquet, json, delta), duckdb, sqlite or postgresql"
        )
    create = exp.Create(
        this=exp.to_table(port.name, quoted=True),
        kind="TABLE",
        replace=True,
        expression=exp.select("*").from_(exp.to_table(staging, quoted=True)),
    )
    engine.execute(create.sql("duckdb"))


def check_source(
    engine: Any, mesh_root: Path, port: InputPort, server: dict[str, Any]
) -> list[dict[str, Any]]:
    """Read a source into ``engine`` as table ``port.name`` and check it is available and has not drifted.

    Args:
        engine: the product's ``DuckDBEngine``.
        mesh_root: the mesh folder (relative source paths resolve against it).
        port: the source input port (its ``source`` contract says where the data is).
        server: the contract's ``servers[]`` entry to read.

    Returns:
        The check results: ``sourceAvailable`` then one ``schemaDrift`` result per declared column that is
        missing (blocking) and one per undeclared column (warning), or a passed ``schemaDrift``.
    """
    element = port.contract_id
    try:
        _read_source(engine, mesh_root, port, server)
    except Exception as error:
        message = getattr(error, "message", None) or str(error)
        return [_check("sourceAvailable", element, "failed", f"source {element} is not available: {message}")]
    checks = [_check("sourceAvailable", element, "passed", f"source {element} was read")]
    _, declared = _source_table(port)
    actual = list(engine.connection.table(port.name).columns)
    lower = {c.lower() for c in actual}
    missing = [c for c in declared if c.lower() not in lower]
    extra = [c for c in actual if c.lower() not in {d.lower() for d in declared}] if declared else []
    for column in missing:
        checks.append(
            _check(
                "schemaDrift",
                f"{element}.{column}",
                "failed",
                f"column {column!r} declared by source contract {element} is missing from the source",
                value=len(missing),
            )
        )
    for column in extra:
        checks.append(
            _check(
                "schemaDrift",
                f"{element}.{column}",
                "failed",
                f"column {column!r} of the source is not declared by source contract {element}",
                severity="warning",
                value=len(extra),
            )
        )
    if not missing and not extra:
        checks.append(
            _check("schemaDrift", element, "passed", "the source has the declared columns", value=0)
        )
    return checks


def test_port(run: ProductRun, port: OutputPort, staged: StagedPort) -> Any:
    """Run the output contract's tests on the staged rows of ``port``.

    Returns:
        The ``TestReport`` of :func:`quanta.checks.api.test_contract`.
    """
    from quanta.checks.api import test_contract

    return test_contract(port.contract, engine=run.engine, data=staged.table)


def report_checks(report: Any) -> list[dict[str, Any]]:
    """Return a report's check results as plain dicts (a list of dicts passes through)."""
    if isinstance(report, list):
        return report
    return [_as_dict(result) for result in getattr(report, "results", [])]


def _as_dict(result: Any) -> dict[str, Any]:
    if isinstance(result, dict):
        return result
    if hasattr(result, "to_dict"):
        return result.to_dict()
    from dataclasses import asdict

    return asdict(result)

"""The build's two contract probes: sources on the way in, output ports before they are published.

* :func:`check_source` probes a source (probe 1 of the data product anatomy: the source is *available*),
  reads it through the engine's source readers (:mod:`quanta.engine.sources`) into the product's engine
  and tests it against its source contract, so a *drifted schema* (a column missing or of another type)
  or a broken promise of the source blocks the product before its transform runs.
* :func:`test_port` runs the output contract's tests (:func:`quanta.checks.api.test_contract`) on the
  staged data, with the published tables that the contract's ``relationships`` point at.

Check results travel as plain dicts (:func:`check_dict`): ``rule``, ``name``, ``kind``, ``element``,
``dimension``, ``severity``, ``status``, ``metricValue``, ``operator``, ``threshold``, ``unit``,
``expectation``, ``message``, ``blocking``, ``durationMs``: what the registry, the JSON output and the
CLI use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quanta.build.context import ProductRun, StagedPort
    from quanta.mesh.workspace import InputPort, OutputPort, ProductSpec, Workspace
    from quanta.spec.documents import Contract

SOURCE_PREFIX = "__quanta_source_"
BLOCKING_SEVERITIES = (None, "", "error")


def check_dict(result: Any) -> dict[str, Any]:
    """Return one check result (a ``quanta.checks`` ``CheckResult`` or a dict) in the build's shape."""
    if isinstance(result, dict) and "metricValue" in result:
        return result
    data = result if isinstance(result, dict) else result.to_dict()
    severity = data.get("severity")
    status = data.get("status")
    return {
        "rule": data.get("rule_id"),
        "name": data.get("name"),
        "kind": data.get("kind"),
        "element": data.get("element"),
        "dimension": data.get("dimension"),
        "severity": severity,
        "status": status,
        "metricValue": data.get("value"),
        "operator": data.get("operator"),
        "threshold": data.get("threshold"),
        "unit": data.get("unit"),
        "expectation": data.get("expectation"),
        "message": data.get("reason"),
        "blocking": status in ("failed", "error") and severity in BLOCKING_SEVERITIES,
        "durationMs": round(float(data.get("duration") or 0.0) * 1000, 3),
    }


def report_checks(report: Any) -> list[dict[str, Any]]:
    """Return the check results of a ``TestReport`` (or of a list of results) as build check dicts."""
    results = report if isinstance(report, list) else getattr(report, "results", [])
    return [check_dict(result) for result in results]


def _availability(element: str, ok: bool, message: str) -> dict[str, Any]:
    return {
        "rule": "sourceAvailable",
        "name": "the source is available",
        "kind": "availability",
        "element": element,
        "dimension": "availability",
        "severity": "error",
        "status": "passed" if ok else "failed",
        "metricValue": None,
        "operator": None,
        "threshold": None,
        "unit": None,
        "expectation": "the source can be read",
        "message": message,
        "blocking": not ok,
        "durationMs": 0.0,
    }


def check_source(
    engine: Any,
    mesh_root: Path,
    port: InputPort,
    server: dict[str, Any],
    staging: Path,
    storage_config: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Read a source into ``engine`` as view ``port.name`` and test it against its source contract.

    The source is read once, through the engine's source readers, into a Parquet file in the run's
    staging folder; the source contract's tests and the transform both read that file.

    Args:
        engine: the product's engine (``DuckDBEngine`` or ``SparkEngine``).
        mesh_root: the mesh folder (relative source paths resolve against it).
        port: the source input port (``port.source`` is its contract).
        server: the contract's ``servers[]`` entry to read.
        staging: the run's staging folder for sources.
        storage_config: ``mesh.yaml``'s ``storage_options`` (for sources on object storage).

    Returns:
        The check results: ``sourceAvailable`` first, then every result of the source contract (schema
        conformance, which reports drift, and its quality rules). A source that is not available yields
        only the failed availability check.
    """
    from sqlglot import exp

    from quanta.checks.api import test_contract
    from quanta.engine import sources, table_expression
    from quanta.errors import QuantaError

    contract = port.source
    assert contract is not None
    element = port.contract_id
    ok, why = sources.probe(server, mesh_root, storage_config)
    if ok is False:
        return [_availability(element, False, f"source {element} is not available: {why}")]
    objects = [o for o in contract.schema if isinstance(o, dict) and o.get("name")]
    obj = objects[0] if objects else {"name": port.name}
    target = staging / f"{port.name}.parquet"
    remote = str(server.get("type", "")).lower() in sources.POSTGRES_TYPES
    try:
        if remote:
            report = _read_remote(server, obj, contract, mesh_root, target)
        else:
            name = sources.register_object(
                engine, server, obj["name"], obj.get("physicalName"), mesh_root, storage_config
            )
            target = engine.write_parquet(
                exp.select("*").from_(table_expression(name)).sql(engine.dialect), target
            )
            engine.drop(name)
        engine.register_file(port.name, target, format="parquet")
    except QuantaError as error:
        return [_availability(element, False, f"source {element} cannot be read: {error.message}")]
    except Exception as error:
        return [_availability(element, False, f"source {element} cannot be read: {error}")]
    checks = [_availability(element, True, why or f"source {element} was read")]
    if objects and not remote:
        report = test_contract(contract, data={obj["name"]: target}, engine=engine, base_dir=mesh_root)
        if obj["name"] != port.name:
            engine.drop(obj["name"])
    return checks + (report_checks(report) if objects else [])


def _read_remote(
    server: dict[str, Any], obj: dict[str, Any], contract: Any, mesh_root: Path, target: Path
) -> Any:
    """Test a database source where it lives, then copy its object to the staged Parquet ``target``.

    The source contract's checks are pushed down to the database (no copy needed to check it); the rows
    are then streamed into Parquet batch by batch for the transform.

    Returns:
        The source contract's ``TestReport``.
    """
    import pyarrow.parquet as pq
    from sqlglot import exp

    from quanta.checks.api import test_contract
    from quanta.engine import sources, table_expression

    database = sources.open_engine(server)
    try:
        report = test_contract(contract, engine=database, base_dir=mesh_root)
        table = sources.register_object(database, server, obj["name"], obj.get("physicalName"), mesh_root)
        reader = database.query(exp.select("*").from_(table_expression(table)).sql(database.dialect))
        with pq.ParquetWriter(str(target), reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    finally:
        database.close()
    return report


def relationship_publishers(
    workspace: Workspace, contract: Contract
) -> dict[str, tuple[ProductSpec, OutputPort]]:
    """The output ports that publish the targets of ``contract``'s ``relationships``, keyed as ``to`` names them.

    A relationship names its target contract with the ``quantaContractId`` custom property; a target
    whose contract no product of the mesh publishes is left out (its check says it was not evaluated).
    """
    from quanta.engine.sources import custom_property

    publishers = workspace.output_contracts()
    found: dict[str, tuple[ProductSpec, OutputPort]] = {}
    for obj in contract.schema:
        for prop in [obj, *(obj.get("properties") or [])]:
            for relationship in prop.get("relationships") or []:
                key = str(relationship.get("to") or "").split(".", 1)[0]
                contract_id = custom_property(relationship, "quantaContractId")
                if key and key not in found and contract_id in publishers:
                    found[key] = publishers[contract_id]
    return found


def related_tables(run: ProductRun, port: OutputPort) -> dict[str, Any]:
    """The data behind the output contract's ``relationships``, keyed as ``to`` names them.

    Each target is read at its latest published version (a product's own staged data when it points at
    itself; see :func:`relationship_publishers`).
    """
    from quanta import storage

    related: dict[str, Any] = {}
    for key, (producer, output) in relationship_publishers(run.workspace, port.contract).items():
        if producer.key == run.key and output.name in run.staged:
            related[key] = run.staged[output.name].path
            continue
        location = run.workspace.table_location(producer, output)
        version = storage.latest_version(location, storage_options=run.storage_options)
        if version is not None:
            related[key] = _snapshot_file(run, key, location, version)
    return related


def published_related(contract_path: str | Path) -> dict[str, str]:
    """For ``quanta test``: the published tables behind the relationships of a contract of a mesh.

    Args:
        contract_path: a contract file; when it is the contract of an output port of the mesh around
            it, its relationships' targets are resolved as the build's gate resolves them.

    Returns:
        ``to`` object -> location of the publishing port's Delta table (its latest version is read);
        empty outside a mesh, for a contract no output port names, or for targets never published.
    """
    from quanta import storage
    from quanta.build.state import storage_options
    from quanta.errors import ConfigError
    from quanta.mesh import load_workspace

    path = Path(contract_path).resolve()
    try:
        workspace = load_workspace(path.parent)
    except ConfigError:  # not inside a mesh
        return {}
    port = next(
        (
            port
            for product in workspace.products.values()
            for port in product.output_ports
            if port.contract.path is not None and Path(port.contract.path).resolve() == path
        ),
        None,
    )
    if port is None:
        return {}
    options = storage_options(workspace)
    related = {}
    for key, (producer, output) in relationship_publishers(workspace, port.contract).items():
        location = workspace.table_location(producer, output)
        if storage.latest_version(location, storage_options=options) is not None:
            related[key] = location
    return related


def _snapshot_file(run: ProductRun, key: str, location: str, version: int) -> Path:
    """One published version as a single Parquet file, for the checks' engine.

    The checks read data they are given by path through the engine's views. A local version made of one
    plain Parquet file (the usual case) is that file itself: Delta data files are immutable, so the path
    pins the version. Otherwise the version is copied into the run's staging area; relationship targets
    are small reference tables, so a copy costs little.
    """
    import pyarrow.parquet as pq

    from quanta import storage
    from quanta.engine.parquet_files import NotPlainParquet, plain_delta_files

    target = run.staging("_related") / f"{key}.parquet"
    if storage.is_remote(location):
        dataset = storage.read_version(location, version, storage_options=run.storage_options)
    else:
        try:
            files = plain_delta_files(location, version)
        except NotPlainParquet as error:
            dataset = error.table.to_pyarrow_dataset()  # the table is already open at that version
        else:
            if len(files) == 1:
                return Path(files[0])
            with pq.ParquetWriter(target, pq.read_schema(files[0])) as writer:
                for name in files:
                    writer.write_table(pq.read_table(name))
            return target
    pq.write_table(dataset.to_table(), target)
    return target


def test_port(run: ProductRun, port: OutputPort, staged: StagedPort) -> Any:
    """Run the output contract's tests on the staged rows of ``port``.

    Returns:
        The ``TestReport`` of :func:`quanta.checks.api.test_contract`.
    """
    from quanta.checks.api import test_contract

    objects = [o for o in port.contract.schema if isinstance(o, dict) and o.get("name")]
    name = objects[0]["name"] if objects else port.name
    return test_contract(
        port.contract,
        data={name: staged.path},
        engine=run.engine,
        related=related_tables(run, port),
        base_dir=run.workspace.root,
    )

"""What runs after the data stages, whatever happened: record the run in the registry, emit lineage.

Also the registry side of a build: :func:`finishers` opens the registry and records the build;
:func:`reconcile_mesh` repairs what an interrupted build left, at start-up, under the mesh lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.build.context import ProductRun
from quanta.build.gate import report_checks
from quanta.build.stages import Stage
from quanta.mesh import ProductSpec, Workspace

if TYPE_CHECKING:
    from quanta.registry import Registry

#: Registry run status of each product status (``quanta.registry.records.RUN_STATUSES``).
RUN_STATUS = {"blocked": "blocked", "error": "failed", "upstream_blocked": "skipped", "skipped": "unchanged"}


def open_mesh_registry(workspace: Workspace) -> Registry:
    """Open (creating or migrating) the registry ``mesh.yaml`` names; ``QUANTA_REGISTRY_URL`` wins."""
    from quanta.registry import open_registry

    return open_registry(workspace.config.registry_url(workspace.root), base_dir=workspace.root)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def product_record(workspace: Workspace, spec: ProductSpec) -> Any:
    """Describe ``spec`` for :meth:`Registry.register_product`: descriptor and contract texts, ports."""
    from quanta.registry import ContractRecord, PortInfo, ProductRecord

    descriptor = spec.descriptor_path.read_text(encoding="utf-8")
    outputs = {port.contract_id for port in spec.output_ports}
    contracts = []
    for contract_id, path in spec.contract_files.items():
        text = path.read_text(encoding="utf-8")
        kind = "output" if contract_id in outputs else "source"
        contracts.append(
            ContractRecord(contract_id, spec.contracts[contract_id].version, text, _sha(text), kind)
        )
    for contract, path in spec.earlier:  # earlier major versions still published next to the newest
        text = path.read_text(encoding="utf-8")
        contracts.append(ContractRecord(str(contract.id), contract.version, text, _sha(text), "output"))
    ports = [
        PortInfo(p.name, p.version, p.contract_id, p.contract.version, workspace.table_location(spec, p))
        for p in spec.output_ports
    ]
    team = spec.descriptor.data.get("team")
    owner = team.get("name") if isinstance(team, Mapping) else None
    domain = workspace.domains.get(spec.domain)
    description = spec.descriptor.data.get("description")
    purpose = description.get("purpose") if isinstance(description, Mapping) else description
    return ProductRecord(
        domain=spec.domain,
        name=spec.name,
        descriptor_yaml=descriptor,
        descriptor_fingerprint=_sha(descriptor),
        odps_id=spec.descriptor.id,
        owner_team=owner or (domain.owner if domain else None),
        description=None if purpose is None else str(purpose),
        descriptor_version=spec.descriptor.version,
        ports=ports,
        contracts=contracts,
    )


def dataset_names(run: ProductRun) -> dict[str, str]:
    """Input port name → lineage dataset name (``domain.product.port`` or the source contract id)."""
    names = {}
    for port in run.product.input_ports:
        snapshot = run.inputs.get(port.name)
        if port.source is not None or snapshot is None or snapshot.producer is None:
            names[port.name] = port.contract_id
        else:
            upstream = next(e for e in run.graph.inputs_of(run.key) if e.input == port.name)
            names[port.name] = f"{upstream.producer}.{upstream.port}"
    return names


def lineage_edges(run: ProductRun) -> list[Any]:
    """The run's lineage: one ``product`` edge per (input, output port), plus ``column`` edges.

    Column edges come from ODCS ``transformSourceObjects`` of each output property: entries are
    ``<input port>.<column>`` (or ``<input port>``, for the whole input), with ``transformLogic`` as the
    transformation.
    """
    from quanta.registry import EdgeRecord

    inputs = dataset_names(run)
    edges = []
    for port in run.product.output_ports:
        target = f"{run.key}.{port.name}"
        edges += [EdgeRecord("product", source, target) for source in dict.fromkeys(inputs.values())]
        for obj in port.contract.schema:
            for prop in obj.get("properties") or []:
                for ref in prop.get("transformSourceObjects") or []:
                    head, _, column = str(ref).partition(".")
                    if head in inputs:
                        edges.append(
                            EdgeRecord(
                                "column",
                                inputs[head],
                                target,
                                column or None,
                                str(prop.get("name")),
                                prop.get("transformLogic"),
                            )
                        )
    return edges


def check_record(check: Mapping[str, Any], port: str) -> Any:
    """Turn one check dict (camelCase or snake_case keys) into a registry ``CheckRecord``."""
    from quanta.registry import CheckRecord

    def get(*names: str) -> Any:
        return next((check[n] for n in names if check.get(n) is not None), None)

    metric = get("metric_value", "metricValue")
    duration = get("duration_ms", "durationMs")
    if duration is None and get("duration", "seconds") is not None:
        duration = float(get("duration", "seconds")) * 1000
    return CheckRecord(
        status=str(get("status")),
        port=port,
        rule_id=get("rule_id", "ruleId", "id", "rule"),
        rule_name=get("rule_name", "ruleName", "name", "rule"),
        kind=get("kind", "rule"),
        element=get("element", "path"),
        dimension=get("dimension"),
        severity=get("severity"),
        metric_value=float(metric)
        if isinstance(metric, int | float) and not isinstance(metric, bool)
        else None,
        operator=get("operator"),
        threshold=get("threshold"),
        unit=get("unit"),
        message=get("message"),
        duration_ms=duration,
    )


@dataclass(frozen=True)
class Record(Stage):
    """Record the product's run in the registry: status, timings, snapshots, every check, lineage edges."""

    name: ClassVar[str] = "record"
    registry: Any = None
    build_id: str = ""

    def on_start(self, run: ProductRun) -> None:
        """Register the product's current files and open its run (status ``running``)."""
        self.registry.register_product(product_record(run.workspace, run.product))
        self.registry.start_run(
            self.build_id,
            run.product.domain,
            run.product.name,
            fingerprint=run.fingerprint,
            run_id=run.run_id,
        )

    def execute(self, run: ProductRun) -> dict[str, Any]:
        from quanta.registry import SnapshotRecord

        result = run.result
        status = RUN_STATUS.get(result.status)
        if status is None:
            status = "warned" if result.count("warned") else "passed"
        snapshots = [
            SnapshotRecord.from_published(
                port.name,
                published,
                contract_id=port.contract_id,
                contract_version=port.contract.version,
                fingerprint=run.fingerprint,
            )
            for port in run.product.output_ports
            if (published := run.published.get(port.name)) is not None
        ]
        checks = [
            check_record(c, f"source:{name}")
            for name, r in run.source_reports.items()
            for c in report_checks(r)
        ]
        checks += [check_record(c, name) for name in run.reports for c in run.port_checks(name)]
        steps = {s.stage: round(s.seconds, 4) for s in result.stages}
        self.registry.finish_run(
            run.run_id,
            status,
            steps=steps,
            error=result.reason if result.status in ("blocked", "error") else None,
            fingerprint=run.fingerprint,
            snapshots=snapshots,
            checks=checks,
            lineage=lineage_edges(run),
        )
        return {"runStatus": status, "checks": len(checks)}


@contextmanager
def finishers(
    workspace: Workspace, build_id: str, options: Mapping[str, Any], *, interrupted: bool
) -> Iterator[tuple[tuple[Stage, ...], dict[str, Any]]]:
    """Open the registry, reconcile it if needed, record the build as running, yield the finisher stages.

    Call it holding the mesh lock.

    Args:
        workspace: the mesh.
        build_id: this build's id.
        options: the build's options, recorded with it.
        interrupted: whether an earlier build left evidence of an interruption (see
            :func:`reconcile_mesh`).

    Yields:
        ``(stages, outcome)``: the record, certification and lineage stages, and a dict holding
        ``reconciled`` (one line per repair made at start-up) and ``paused`` (the products paused
        through the gateway, which are not built), whose ``status`` (and ``error``) the caller
        sets from :func:`finish_status`; on exit the build is marked with it (``failed`` if never set).

    Raises:
        ConfigError: a policy of the mesh is invalid (``quanta policy list`` shows where).
    """
    from quanta.build.certify import Governance, RecordCertification
    from quanta.build.lineage import EmitLineage, LazyEmitter
    from quanta.build.notify import NotifyConsumers
    from quanta.governance import load_policies

    policies = load_policies(workspace.root)  # a bad policy stops the build before anything runs
    registry = open_mesh_registry(workspace)
    emitter = LazyEmitter(workspace)
    try:
        outcome: dict[str, Any] = {
            "status": "failed",
            "error": "the build stopped unexpectedly",
            "reconciled": reconcile_mesh(workspace, registry) if interrupted else [],
        }
        # Products paused through the gateway (control/pause) are not built until resumed.
        outcome["paused"] = frozenset(registry.paused_products())
        registry.start_build(trigger="cli", options=dict(options), build_id=build_id)
        governance = Governance(policies, registry)
        stages: tuple[Stage, ...] = (
            Record(registry=registry, build_id=build_id),
            RecordCertification(governance=governance),
            NotifyConsumers(registry=registry),
        )
        if emitter.enabled:
            namespace = workspace.config.lineage_namespace()
            stages += (EmitLineage(emitter=emitter, namespace=namespace, build_id=build_id),)
        emitter.warm()  # products will run: import the OpenLineage client while the first reads its inputs
        try:
            yield stages, outcome
        finally:
            registry.finish_build(build_id, outcome["status"], outcome.get("error"))
    finally:
        emitter.close()
        registry.close()


def finish_status(statuses: list[str], warned: bool) -> str:
    """The build status from its products' statuses."""
    if "error" in statuses:
        return "failed"
    if "blocked" in statuses:
        return "blocked"
    return "warned" if warned else "succeeded"


def reconcile_mesh(workspace: Workspace, registry: Registry) -> list[str]:
    """Repair what an interrupted build left behind (registry vs. Delta logs, leftover files).

    Call it holding the mesh lock, when :func:`interrupted` says an earlier build did not finish.

    Returns:
        One line per repair, for the build summary.
    """
    from quanta.build.state import storage_options
    from quanta.registry import reconcile

    report = reconcile(registry, workspace.storage_root, storage_options=storage_options(workspace))
    lines = [f"run {run} was interrupted; marked failed" for run in report.failed_runs]
    lines += [
        f"snapshot {uri} v{version} is not in the table log; marked invalid"
        for uri, version in report.invalidated_snapshots
    ]
    lines += [f"committed version {uri} v{version} recorded" for uri, version in report.adopted_versions]
    lines += [f"removed leftover {path}" for path in report.removed_files]
    return lines


#: Written when a build starts and removed when it ends: its presence at start-up means the previous
#: build was interrupted.
RUNNING_MARKER = ".quanta/build.running"


def interrupted(workspace: Workspace) -> bool:
    """Whether an earlier build left evidence of an interruption (call it holding the mesh lock).

    Evidence is the running marker of a build that never finished, or files in the staging area. A full
    reconciliation opens every table, so it runs only then: a build that finished, however it ended,
    recorded every commit it made before removing its marker.
    """
    from quanta.storage import staging_root

    if (workspace.root / RUNNING_MARKER).exists():
        return True
    staging = staging_root(workspace.storage_root)
    return staging.is_dir() and any(staging.iterdir())


def recent_runs(workspace: Workspace, key: str | None, *, limit: int = 20) -> list[dict[str, Any]]:
    """Return the most recent runs (of product ``key`` when given) as dicts, newest first."""
    from quanta.registry import open_reader

    domain, _, name = key.partition(".") if key else (None, "", None)
    with open_reader(workspace.config.registry_url(workspace.root), base_dir=workspace.root) as reader:
        runs = reader.runs(domain, name or None, limit=limit)
        entries = []
        for run in runs:
            checks = reader.check_results(run.id)
            entries.append(
                {
                    "runId": run.id,
                    "buildId": run.build_id,
                    "product": f"{run.domain}.{run.product}",
                    "status": run.status,
                    "startedAt": run.started_at.isoformat(timespec="seconds"),
                    "seconds": None if run.duration_s is None else round(run.duration_s, 2),
                    "passed": sum(1 for c in checks if c.status == "passed"),
                    "warned": sum(
                        1 for c in checks if c.status == "failed" and (c.severity or "error") != "error"
                    ),
                    "failed": sum(
                        1
                        for c in checks
                        if c.status in ("failed", "error") and (c.severity or "error") == "error"
                    ),
                    "fingerprint": run.fingerprint,
                    "error": run.error,
                }
            )
    return entries

"""The state one product's build carries from stage to stage.

A :class:`ProductRun` is created by the runner for each product that runs; every stage reads what the
previous ones left in it and adds its own typed result. It owns the product's engine (one DuckDB
connection or one isolated Spark session per product, so products run in parallel threads without sharing
state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.mesh import BuildPlan, PlannedProduct, ProductGraph, ProductSpec, Workspace


@dataclass(frozen=True)
class InputSnapshot:
    """What one input port reads in this run.

    Attributes:
        port: the input port name (the table name the transform sees).
        contract_id: the contract it names.
        kind: ``"source"`` (raw data through a source contract) or ``"product"`` (a published port).
        location: the source path/URL or the upstream Delta table.
        version: the upstream Delta version read (``None`` for sources).
        identity: the snapshot identity that enters the run fingerprint.
        producer: the upstream product key (``None`` for sources).
    """

    port: str
    contract_id: str
    kind: str
    location: str
    version: int | None
    identity: str | None
    producer: str | None = None


@dataclass(frozen=True)
class StagedPort:
    """A transform's output in the staging area, not yet published.

    Attributes:
        port: the output port name.
        path: the staged Parquet file.
        rows: the number of rows.
        columns: column names in order.
    """

    port: str
    path: Path
    rows: int
    columns: tuple[str, ...]


@dataclass
class ProductRun:
    """Everything one product's stages share.

    Attributes:
        workspace: the mesh.
        graph: the product graph.
        plan: the whole build plan.
        planned: this product's entry in the plan.
        product: this product's files and ports.
        build_id: the id of the whole build.
        run_id: this product's run id (written into Delta commits, the registry and lineage).
        tables: the build's map of published tables, ``(product, port)`` → ``(Delta version,
            fingerprint)``, shared by every product of the build and updated as they publish.
        engines: the build's :class:`~quanta.build.engines.EnginePool`.
        engine: the product's engine, taken from ``engines`` on first use of :meth:`open_engine` (a product
            found unchanged never opens one) and released by the runner.
        inputs: resolved input snapshots, by input port name.
        fingerprint: the run fingerprint, once inputs are resolved (``None``: cannot be known).
        skip: set by ``resolve`` when the product is unchanged and need not run.
        staged: staged output ports, by port name.
        reports: the gate's test reports, by port name.
        checks: the gate's check results in the build's shape, by port name (see :meth:`port_checks`).
        source_reports: the source checks' reports, by input port name.
        published: what ``publish`` committed, by port name (``quanta.storage.PublishedVersion``).
        engine_seconds: time spent inside the engine so far (wall).
        engine_cpu_seconds: CPU time of the product's thread inside the engine so far (the engine's own
            worker threads are not counted).
        started_at: start time (UTC datetime).
        result: the product's :class:`~quanta.build.results.ProductResult` so far, for the stages that
            run after the data stages (record, lineage).
        begun: whether the finishers were told the product started (``None``: not yet).
        governance: the build's :class:`~quanta.build.certify.Governance` (policies and registry), given
            by the certification finisher when the product starts; ``None`` outside a recorded build.
        certification: the product's ``quanta.governance.Certification`` once certified.
        pending_notices: major-change notices owed if the product publishes
            (:class:`quanta.build.notify.PendingNotice`, set by the ``certify`` stage).
        notices: the major-change events sent (payloads, with the consumers listed).
    """

    workspace: Workspace
    graph: ProductGraph
    plan: BuildPlan
    planned: PlannedProduct
    product: ProductSpec
    build_id: str
    run_id: str
    tables: dict[tuple[str, str], tuple[int, str | None]] = field(default_factory=dict)
    engines: Any = None
    engine: Any = None
    inputs: dict[str, InputSnapshot] = field(default_factory=dict)
    fingerprint: str | None = None
    skip: bool = False
    staged: dict[str, StagedPort] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source_reports: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)
    engine_seconds: float = 0.0
    engine_cpu_seconds: float = 0.0
    started_at: Any = None
    result: Any = None
    begun: bool | None = None
    governance: Any = None
    certification: Any = None
    pending_notices: list[Any] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)

    def port_checks(self, port: str) -> list[dict[str, Any]]:
        """The gate's check results of output port ``port`` as build check dicts (empty before the gate).

        Converted once per port (:func:`quanta.build.gate.report_checks`): the gate, the record, the
        lineage and the result all read them.
        """
        if port not in self.reports:
            return []
        found = self.checks.get(port)
        if found is None:
            from quanta.build.gate import report_checks

            found = self.checks[port] = report_checks(self.reports[port])
        return found

    def open_engine(self) -> Any:
        """Return the product's engine (DuckDB or Spark, as the mesh chooses for it), taken from the
        build's pool on first use."""
        if self.engine is None:
            self.engine = self.engines.acquire(self.engine_name)
        return self.engine

    @property
    def engine_name(self) -> str:
        """The engine this product runs on: ``"duckdb"`` or ``"spark"`` (``Workspace.engine_of``)."""
        return self.workspace.engine_of(self.product)

    def cleanup(self) -> None:
        """Remove this run's staging folder (staged files are either published or discarded)."""
        import shutil

        from quanta.storage import staging_root

        shutil.rmtree(staging_root(self.workspace.storage_root) / self.run_id, ignore_errors=True)

    def staging(self, port: str) -> Path:
        """The staging folder of output port ``port`` in this run (created)."""
        from quanta.storage import staging_path

        folder = staging_path(
            self.workspace.storage_root, self.run_id, self.product.domain, self.product.name, port
        )
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def key(self) -> str:
        """The product key."""
        return self.product.key

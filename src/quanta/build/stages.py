"""The stages of one product's build, each a small dataclass returning a typed :class:`StageResult`.

``resolve`` → ``transform`` → ``gate`` → ``certify`` → ``publish`` → ``record`` → ``certification`` →
``lineage``. A stage that cannot
complete raises :class:`StageFailed`; the runner then skips the stages that would publish, still records
the failed run and emits its FAIL event, and marks every downstream product ``upstream_blocked``.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from quanta.build.context import InputSnapshot, ProductRun, StagedPort
from quanta.build.gate import check_source, report_checks, test_port
from quanta.build.results import StageFailed, StageResult
from quanta.build.state import source_identity
from quanta.build.transform import stage_python, stage_sql
from quanta.errors import QuantaError
from quanta.mesh.fingerprint import run_fingerprint
from quanta.mesh.plan import source_server


@contextmanager
def _engine_time(run: ProductRun):
    """Count the block as time inside the engine (wall time, and CPU time of this thread)."""
    start, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        run.engine_seconds += time.perf_counter() - start
        run.engine_cpu_seconds += time.thread_time() - cpu


@dataclass(frozen=True)
class Stage:
    """Base of the stages: a name, and :meth:`run` that does the work and returns a result."""

    name: ClassVar[str] = ""

    def run(self, run: ProductRun) -> StageResult:
        """Run the stage for one product; subclasses implement :meth:`execute`."""
        start = time.perf_counter()
        engine_before = run.engine_seconds
        try:
            detail = self.execute(run)
        except StageFailed as error:
            error.seconds = time.perf_counter() - start
            raise
        except QuantaError as error:
            failure = StageFailed(self.name, run.key, error)
            failure.seconds = time.perf_counter() - start
            raise failure from error
        return StageResult(
            self.name, "ok", time.perf_counter() - start, run.engine_seconds - engine_before, detail or {}
        )

    def execute(self, run: ProductRun) -> dict[str, Any]:  # pragma: no cover - abstract
        """Do the stage's work; return small JSON-compatible facts for the result's ``detail``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Resolve(Stage):
    """Make every input readable under its port name and decide whether the product must run.

    Sources are read through the engine's source readers and checked on the way in (the source is
    available and its schema has not drifted from its contract); upstream ports are read at their latest
    *published* Delta version. The run fingerprint (content + input snapshots) equal to the fingerprint
    of the last published version of every output port means the product is unchanged: ``run.skip``.
    """

    name: ClassVar[str] = "resolve"
    force: bool = False

    def execute(self, run: ProductRun) -> dict[str, Any]:
        edges = {edge.input: edge for edge in run.graph.inputs_of(run.key)}
        for port in run.product.input_ports:
            if port.source is not None:
                server = source_server(port)
                location = _source_location(run, server)
                identity = source_identity(run.workspace, server)
                run.inputs[port.name] = InputSnapshot(
                    port.name, port.contract_id, "source", location, None, identity
                )
                continue
            edge = edges[port.name]
            producer = run.workspace.products[edge.producer]
            output = next(p for p in producer.output_ports if p.name == edge.port)
            location = run.workspace.table_location(producer, output)
            version = run.tables.get((edge.producer, edge.port), (None, None))[0]
            if version is None:
                raise StageFailed(
                    self.name,
                    run.key,
                    f"input port {port.name!r} reads {edge.producer}.{edge.port}, which has no published "
                    f"version yet; build it first (quanta build +{run.key})",
                )
            identity = f"{edge.producer}/{edge.port}@{version}"
            run.inputs[port.name] = InputSnapshot(
                port.name, port.contract_id, "product", location, version, identity, edge.producer
            )
        run.fingerprint = run_fingerprint(
            run.planned.content_fingerprint, {name: snap.identity for name, snap in run.inputs.items()}
        )
        run.skip = not self.force and run.fingerprint is not None and self._unchanged(run)
        detail = {"inputs": {n: s.identity for n, s in run.inputs.items()}, "unchanged": run.skip}
        if run.skip:
            return detail
        run.open_engine()
        detail["engine"] = run.engine_name
        for port in run.product.input_ports:
            snapshot = run.inputs[port.name]
            with _engine_time(run):
                if snapshot.kind == "product":  # exactly the committed version's files, on any engine
                    run.engine.register_file(
                        port.name,
                        snapshot.location,
                        format="delta",
                        version=snapshot.version,
                        storage_options=run.storage_options,
                    )
                else:
                    staging = run.staging("_sources")
                    report = check_source(
                        run.engine,
                        run.workspace.root,
                        port,
                        source_server(port),
                        staging,
                        storage_config=run.workspace.config.storage_options,
                    )
                    run.source_reports[port.name] = report
        blocking = [c for r in run.source_reports.values() for c in report_checks(r) if _blocks(c)]
        if blocking:
            raise StageFailed(
                self.name,
                run.key,
                "; ".join(str(c.get("message") or c.get("rule")) for c in blocking),
                blocked=True,
            )
        return detail

    @staticmethod
    def _unchanged(run: ProductRun) -> bool:
        return all(
            run.tables.get((run.key, port.name), (None, None))[1] == run.fingerprint
            for port in run.planned.ports
        )


def _source_location(run: ProductRun, server: dict[str, Any]) -> str:
    """Where a source is: its absolute path for file servers, its URI on object storage,
    ``host:port/database`` otherwise."""
    from pathlib import Path

    if server.get("location") and str(server.get("type")).lower() == "s3":
        return str(server["location"])
    raw = server.get("path") or server.get("database")
    if raw and str(server.get("type")) in ("local", "duckdb", "sqlite"):
        path = Path(str(raw))
        return str(path if path.is_absolute() else run.workspace.root / path)
    host = f"{server.get('host', '')}:{server.get('port', '')}/{server.get('database', '')}"
    return host if server.get("host") else str(server.get("type"))


def _blocks(check: dict[str, Any]) -> bool:
    return bool(check.get("blocking"))


@dataclass(frozen=True)
class Transform(Stage):
    """Run each output port's transform on the product's engine into the staging area (Parquet)."""

    name: ClassVar[str] = "transform"

    def execute(self, run: ProductRun) -> dict[str, Any]:
        from quanta.engine.parquet_files import parquet_summary

        inputs = [port.name for port in run.product.input_ports]
        rows: dict[str, int] = {}
        for port in run.product.output_ports:
            target = run.staging(port.name) / f"{port.name}.parquet"
            runner = stage_python if port.transform_kind == "python" else stage_sql
            with _engine_time(run):
                staged = runner(run.engine, port.transform, target, inputs)
            count, names = parquet_summary(staged)  # footers only: a file or Spark's part files
            run.staged[port.name] = StagedPort(port.name, staged, count, names)
            rows[port.name] = count
        return {"rows": rows, "engine": run.engine_name}


@dataclass(frozen=True)
class Gate(Stage):
    """Run each output contract's tests on the staged data; a blocking failure stops the product.

    Warnings (failed rules of severity ``warning`` or ``info``) are recorded and shown, never blocking.
    """

    name: ClassVar[str] = "gate"

    def execute(self, run: ProductRun) -> dict[str, Any]:
        for port in run.product.output_ports:
            with _engine_time(run):
                run.reports[port.name] = test_port(run, port, run.staged[port.name])
        checks = [c for name in run.reports for c in run.port_checks(name)]
        blocking = [c for c in checks if _blocks(c)]
        counts = {
            "passed": sum(1 for c in checks if c.get("status") == "passed"),
            "warned": sum(1 for c in checks if c.get("status") == "failed" and not _blocks(c)),
            "failed": len(blocking),
        }
        if blocking:
            names = ", ".join(str(c.get("name") or c.get("rule")) for c in blocking[:5])
            raise StageFailed(
                self.name, run.key, f"{len(blocking)} blocking check(s) failed: {names}", blocked=True
            )
        return {"checks": counts}


@dataclass(frozen=True)
class Certify(Stage):
    """Certify the product (governance policies, contract version bumps) before it is published.

    A failed enforced ``error`` policy or a version bump smaller than the contract changes require blocks
    the product like a failed gate (see :mod:`quanta.build.certify`).
    """

    name: ClassVar[str] = "certify"

    def execute(self, run: ProductRun) -> dict[str, Any]:
        from quanta.build.certify import certify_run

        return certify_run(run)


@dataclass(frozen=True)
class Publish(Stage):
    """Commit each staged port as one new version of its Delta table (atomic per table)."""

    name: ClassVar[str] = "publish"

    def execute(self, run: ProductRun) -> dict[str, Any]:
        from quanta import storage

        versions: dict[str, int] = {}
        for port, planned in zip(run.product.output_ports, run.planned.ports, strict=True):
            with _engine_time(run):
                published = storage.publish(
                    run.staged[port.name].path,
                    planned.location,
                    run_id=run.run_id,
                    contract_id=port.contract_id,
                    contract_version=port.contract.version,
                    fingerprint=run.fingerprint,
                    storage_options=run.storage_options,
                )
            run.published[port.name] = published
            run.tables[(run.key, port.name)] = (published.version, run.fingerprint)
            versions[port.name] = published.version
        return {"versions": versions}


#: The stages that produce and publish data, in order (``record`` and ``lineage`` run after, always).
DATA_STAGES: tuple[type[Stage], ...] = (Resolve, Transform, Gate, Certify, Publish)

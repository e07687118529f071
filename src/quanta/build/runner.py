"""The build runner: products in dependency order, independent ones in parallel, stages in sequence.

:func:`run_plan` executes a :class:`~quanta.mesh.BuildPlan`. Each product runs on its own engine (a
DuckDB connection, or an isolated Spark session) in a worker thread (``jobs`` at a time). A product whose
stage fails publishes nothing; every product downstream of it is reported ``upstream_blocked`` and never
started, while products on other branches carry on. :func:`build` wraps it with the mesh lock, start-up reconciliation and planning.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime

from quanta.build.certify import certification_summary
from quanta.build.context import ProductRun
from quanta.build.events import BuildEvent, ProgressCallback, ignore
from quanta.build.gate import report_checks
from quanta.build.results import BuildResult, PortResult, ProductResult, StageFailed, StageResult
from quanta.build.stages import DATA_STAGES, Resolve, Stage
from quanta.engine.libraries import import_engine_libraries
from quanta.mesh import BuildPlan, ProductGraph, ProductSpec, Workspace
from quanta.mesh.plan import PlannedProduct, lifecycle_dict


def new_id() -> str:
    """Return a new run or build id (a UUID4 string, as OpenLineage run ids are)."""
    return str(uuid.uuid4())


class Runner:
    """Runs the stages of the products of one plan.

    Args:
        workspace: the mesh.
        graph: its product graph.
        plan: the plan to run.
        jobs: products run at the same time (at least 1).
        on_event: progress callback (called from worker threads).
        finishers: stages run after the data stages whatever happened (record, lineage); they receive
            the run and must not raise for a failed product.
    """

    def __init__(
        self,
        workspace: Workspace,
        graph: ProductGraph,
        plan: BuildPlan,
        *,
        jobs: int = 1,
        on_event: ProgressCallback = ignore,
        finishers: Sequence[Stage] = (),
        build_id: str | None = None,
        tables: dict[tuple[str, str], tuple[int, str | None]] | None = None,
        paused: frozenset[str] = frozenset(),
    ) -> None:
        self.workspace = workspace
        self.paused = paused
        self.graph = graph
        self.plan = plan
        self.jobs = max(1, int(jobs))
        self.on_event = on_event
        self.finishers = tuple(finishers)
        self.build_id = build_id or new_id()
        if tables is None:
            from quanta.build.state import published_tables

            tables = published_tables(workspace)
        self.tables = tables
        from quanta.build.engines import EnginePool

        self.engines = EnginePool(
            workspace.root / ".quanta" / "tmp",
            workspace.config.memory_limit,
            workspace.config.spark.settings(),
        )

    def run(self) -> list[ProductResult]:
        """Run every product of the plan; return their results in plan order."""
        selected = {p.key for p in self.plan.products}
        waiting = {
            p.key: (self.graph.upstream(p.key) | self._references(p.key)) & selected
            for p in self.plan.products
        }
        results: dict[str, ProductResult] = {}
        try:
            self._schedule(waiting, selected, results)
        finally:
            self.engines.close()
        return [results[p.key] for p in self.plan.products]

    def _schedule(
        self, waiting: dict[str, set[str]], selected: set[str], results: dict[str, ProductResult]
    ) -> None:
        running: dict[Future[ProductResult], str] = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="quanta-build") as pool:
            while waiting or running:
                for key in [k for k, ups in waiting.items() if ups <= results.keys()]:
                    del waiting[key]
                    if key in self.paused:
                        results[key] = self._paused(key)
                        continue
                    if self.plan.product(key).action == "retired":
                        results[key] = self._not_run(key, "retired", self.plan.product(key).reason)
                        continue
                    failed = sorted(u for u in self.graph.upstream(key) & selected if not _served(results[u]))
                    if failed:
                        results[key] = self._blocked_by(key, failed)
                        continue
                    running[pool.submit(self._run_product, key)] = key
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)] = future.result()

    def _references(self, key: str) -> set[str]:
        """Products whose published data the gate of ``key`` reads (relationship targets).

        They are built first when selected, so a foreign-key check sees their new version; a product
        downstream of ``key`` is never waited for (that would be a deadlock).
        """
        from quanta.engine.sources import custom_property

        publishers = self.workspace.output_contracts()
        found: set[str] = set()
        for port in self.workspace.products[key].output_ports:
            for obj in port.contract.schema:
                for prop in [obj, *(obj.get("properties") or [])]:
                    for relationship in prop.get("relationships") or []:
                        target = publishers.get(custom_property(relationship, "quantaContractId"))
                        if target is not None:
                            found.add(target[0].key)
        return found - {key} - self.graph.descendants(key)

    def _blocked_by(self, key: str, failed: Iterable[str]) -> ProductResult:
        return self._not_run(key, "upstream_blocked", f"upstream {', '.join(failed)} did not publish")

    def _paused(self, key: str) -> ProductResult:
        """A paused product is not built; its last published version stays served to its consumers."""
        return self._not_run(key, "paused", "paused by its owners (control/resume to build it again)")

    def _not_run(self, key: str, status: str, reason: str) -> ProductResult:
        """The result of a product this build does not run: its ports keep their published versions."""
        planned = self.plan.product(key)
        ports = tuple(
            PortResult(
                p.name, p.contract_id, p.location, p.published_version, lifecycle=lifecycle_dict(p.lifecycle)
            )
            for p in planned.ports
        )
        result = ProductResult(key, status, reason, ports=ports)
        self.on_event(BuildEvent("product_finished", key, status=result.status, detail={"reason": reason}))
        return result

    def _run_product(self, key: str) -> ProductResult:
        # Before any stage: two product threads must never be the first to import sqlglot or pyarrow at once.
        import_engine_libraries()
        planned, product = _without_retired(self.plan.product(key), self.workspace.products[key])
        run = ProductRun(
            self.workspace,
            self.graph,
            self.plan,
            planned,
            product,
            self.build_id,
            new_id(),
            tables=self.tables,
            engines=self.engines,
            started_at=datetime.now(UTC),
        )
        start = time.perf_counter()
        self.on_event(BuildEvent("product_started", key, detail={"reason": planned.reason}))
        stages: list[StageResult] = []
        failure: StageFailed | None = None
        try:
            for stage_type in DATA_STAGES:
                stage = Resolve(force=self.plan.force) if stage_type is Resolve else stage_type()
                stages.append(self._stage(run, stage))
                if run.skip:
                    break
                if stage_type is Resolve:
                    self._begin(run)
        except StageFailed as error:
            failure = error
            stages.append(StageResult(error.stage, "failed", error.seconds, detail={"error": error.message}))
            self.on_event(
                BuildEvent(
                    "stage_finished", key, error.stage, "failed", error.seconds, {"error": error.message}
                )
            )
        except Exception as error:  # an unexpected failure still must not take the other products down
            failure = StageFailed(_current_stage(stages), key, f"{type(error).__name__}: {error}")
            stages.append(StageResult(failure.stage, "failed", 0.0, detail={"error": failure.message}))
        result = self._result(run, stages, failure, time.perf_counter() - start)
        if not run.skip:
            begun = self._begin(run)
            for finisher in self.finishers if begun else ():
                try:
                    stages.append(self._stage(run, finisher, result))
                except Exception as error:  # recording problems are reported; published data stays
                    message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
                    stages.append(StageResult(finisher.name, "failed", 0.0, detail={"error": message}))
            result = self._result(run, stages, failure, time.perf_counter() - start)
        if run.engine is not None:
            self.engines.release(run.engine)
        run.cleanup()
        self.on_event(
            BuildEvent(
                "product_finished",
                key,
                status=result.status,
                seconds=result.seconds,
                detail={"reason": result.reason, "rows": result.rows},
            )
        )
        return result

    def _begin(self, run: ProductRun) -> bool:
        """Tell the finishers the product runs (once); return whether they accepted it."""
        if run.begun is None:
            try:
                for finisher in self.finishers:
                    if hasattr(finisher, "on_start"):
                        finisher.on_start(run)
                run.begun = True
            except Exception as error:
                run.begun = False
                message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
                self.on_event(
                    BuildEvent("stage_finished", run.key, "record", "failed", detail={"error": message})
                )
        return bool(run.begun)

    def _stage(self, run: ProductRun, stage: Stage, result: ProductResult | None = None) -> StageResult:
        self.on_event(BuildEvent("stage_started", run.key, stage.name))
        run.result = result  # finishers read the product's outcome
        outcome = stage.run(run)
        self.on_event(
            BuildEvent("stage_finished", run.key, stage.name, outcome.status, outcome.seconds, outcome.detail)
        )
        return outcome

    def _result(
        self, run: ProductRun, stages: list[StageResult], failure: StageFailed | None, seconds: float
    ) -> ProductResult:
        if failure is not None:
            status = "blocked" if failure.blocked else "error"
            reason = failure.message
        elif run.skip:
            status, reason = "skipped", "unchanged"
        else:
            status, reason = "published", run.planned.reason
        ports = []
        for port in self.plan.product(run.key).ports:
            if port.retired:  # not built: its table is no longer served
                ports.append(
                    PortResult(
                        port.name,
                        port.contract_id,
                        port.location,
                        port.published_version,
                        lifecycle=lifecycle_dict(port.lifecycle),
                    )
                )
                continue
            published = run.published.get(port.name)
            staged = run.staged.get(port.name)
            version = published.version if published is not None else port.published_version
            checks = tuple(run.port_checks(port.name))
            ports.append(
                PortResult(
                    port.name,
                    port.contract_id,
                    port.location,
                    version,
                    staged.rows if staged is not None else None,
                    published is not None,
                    checks,
                    lifecycle_dict(port.lifecycle),
                )
            )
        return ProductResult(
            run.key,
            status,
            reason,
            seconds,
            run.engine_seconds,
            tuple(stages),
            tuple(ports),
            {name: tuple(report_checks(r)) for name, r in run.source_reports.items()},
            None if run.skip else run.run_id,
            run.fingerprint,
            run.engine_cpu_seconds,
            certification_summary(run.certification, run.workspace.root),
            tuple(run.notices),
        )


def _without_retired(planned: PlannedProduct, product: ProductSpec) -> tuple[PlannedProduct, ProductSpec]:
    """The product as its run sees it: without its retired output ports (they are not built)."""
    retired = {port.name for port in planned.ports if port.retired}
    if not retired:
        return planned, product
    return (
        dataclasses.replace(planned, ports=tuple(p for p in planned.ports if p.name not in retired)),
        dataclasses.replace(
            product, output_ports=tuple(p for p in product.output_ports if p.name not in retired)
        ),
    )


def _served(result: ProductResult) -> bool:
    if result.status == "paused":  # downstream reads its last published version, if it has one
        return all(port.version is not None for port in result.ports)
    return result.status in ("published", "skipped")


def _current_stage(stages: list[StageResult]) -> str:
    names = [s.name for s in DATA_STAGES]
    return names[len(stages)] if len(stages) < len(names) else "build"


def run_plan(
    workspace: Workspace,
    graph: ProductGraph,
    plan: BuildPlan,
    *,
    jobs: int = 1,
    on_event: ProgressCallback = ignore,
    finishers: Sequence[Stage] = (),
    build_id: str | None = None,
    tables: dict[tuple[str, str], tuple[int, str | None]] | None = None,
    paused: frozenset[str] = frozenset(),
) -> BuildResult:
    """Run ``plan`` and return the build's result (no lock, no reconciliation: see :func:`build`).

    Products in ``paused`` are not run (status ``paused``)."""
    start = time.perf_counter()
    runner = Runner(
        workspace,
        graph,
        plan,
        jobs=jobs,
        on_event=on_event,
        finishers=finishers,
        build_id=build_id,
        tables=tables,
        paused=paused,
    )
    on_event(BuildEvent("build_started", detail={"products": [p.key for p in plan.products]}))
    products = runner.run()
    return BuildResult(runner.build_id, plan.mesh, tuple(products), time.perf_counter() - start)

"""The ``lineage`` stage: OpenLineage run events for each product run (START, then COMPLETE or FAIL).

Events are built by :mod:`quanta.lineage` (schema, data quality assertion, column lineage, output
statistics and symlink facets) and sent through the transport ``mesh.yaml`` configures (a JSON-lines file
by default). A delivery failure never fails a build: it is reported in the stage's result.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from quanta.build.context import ProductRun
from quanta.build.stages import Stage
from quanta.mesh import Workspace


class LazyEmitter:
    """The mesh's :class:`quanta.lineage.LineageEmitter`, created when the first event is sent.

    A build in which nothing runs emits nothing, and so never imports the OpenLineage client. A build
    that will run products calls :meth:`warm` first: importing openlineage-python costs about 0.5 s
    (its package imports every transport: requests, httpx, asyncio, fsspec), which a background thread
    then spends while the first product reads its inputs instead of on the product's own thread.

    Args:
        workspace: the mesh whose ``lineage`` settings say where events go.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._emitter: Any = None
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """Whether the mesh sends events anywhere (``transport`` is not ``none``)."""
        return self.workspace.config.lineage.transport != "none"

    @property
    def failures(self) -> list[str]:
        """Delivery failures so far."""
        return [] if self._emitter is None else self._emitter.failures

    def warm(self) -> None:
        """Import the OpenLineage client and open the transport in a background thread, once.

        The import happens under :func:`quanta.lineage.events.import_client`'s lock and this emitter's
        lock, the very locks a product thread takes before it touches openlineage-python, so the
        package is never imported by two threads at once (a half-imported module seen from a second
        thread is an ``ImportError``); a product that needs the client first simply waits for it. A
        failure here is not reported: the first :meth:`emit` tries again and reports it.
        """
        if self._warming is not None or not self.enabled:
            return
        import quanta.lineage  # noqa: F401 - our own package, imported here so no thread races for it

        self._warming = threading.Thread(target=self._warm, name="quanta-lineage-warm-up", daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        from quanta.lineage.events import import_client

        with contextlib.suppress(Exception):  # emit() opens the transport again and reports the failure
            import_client()
            self._open()

    def _open(self) -> Any:
        with self._lock:
            if self._emitter is None:
                from quanta.lineage import LineageEmitter

                settings = self.workspace.config.lineage.model_dump(exclude_none=True)
                self._emitter = LineageEmitter.from_config(settings, base_dir=self.workspace.root)
        return self._emitter

    def emit(self, event: Any) -> bool:
        """Send one event; return whether it was delivered."""
        return self._open().emit(event)

    def close(self) -> None:
        """Wait for a warm-up still running, then flush and close the transport, if it was opened."""
        if self._warming is not None:
            self._warming.join()
        if self._emitter is not None:
            self._emitter.close()


def _inputs(run: ProductRun, namespace: str) -> list[Any]:
    from quanta.lineage import Dataset

    datasets = []
    for name, snapshot in run.inputs.items():
        if snapshot.kind == "source":
            datasets.append(Dataset(namespace, snapshot.contract_id, location=snapshot.location))
        else:
            edge = next(e for e in run.graph.inputs_of(run.key) if e.input == name)
            datasets.append(
                Dataset(
                    namespace,
                    f"{edge.producer}.{edge.port}",
                    location=snapshot.location,
                    version=snapshot.version,
                )
            )
    return datasets


def _input_names(run: ProductRun) -> dict[str, str]:
    names = {}
    for port in run.product.input_ports:
        if port.source is not None:
            names[port.name] = port.contract_id
        else:
            edge = next(e for e in run.graph.inputs_of(run.key) if e.input == port.name)
            names[port.name] = f"{edge.producer}.{edge.port}"
    return names


def _outputs(run: ProductRun, namespace: str) -> list[Any]:
    from quanta.lineage import Dataset, assertions_from_checks, column_lineage_from_contract

    datasets = []
    for port, planned in zip(run.product.output_ports, run.planned.ports, strict=True):
        published = run.published.get(port.name)
        checks = run.port_checks(port.name)
        assertions = assertions_from_checks(
            {"status": c["status"], "rule_name": c["name"], "rule_id": c["rule"], "element": c["element"]}
            for c in checks
        )
        properties = [p for obj in port.contract.schema for p in obj.get("properties") or []]
        schema = (
            published.schema
            if published is not None
            else [{"name": str(p.get("name")), "type": str(p.get("logicalType") or "")} for p in properties]
        )
        datasets.append(
            Dataset(
                namespace,
                f"{run.key}.{port.name}",
                schema=schema,
                location=planned.location,
                version=published.version if published is not None else None,
                row_count=published.row_count if published is not None else None,
                assertions=assertions,
                column_lineage=column_lineage_from_contract(properties, _input_names(run)),
            )
        )
    return datasets


@dataclass(frozen=True)
class EmitLineage(Stage):
    """Emit the product run's OpenLineage events."""

    name: ClassVar[str] = "lineage"
    emitter: Any = None
    namespace: str = ""
    build_id: str = ""

    def _sql(self, run: ProductRun) -> str | None:
        ports = run.product.output_ports
        if len(ports) == 1 and ports[0].transform_kind == "sql":
            return ports[0].transform.read_text(encoding="utf-8")
        return None

    def _event(self, run: ProductRun, kind: str, **extra: Any) -> Any:
        from quanta.lineage import run_event

        return run_event(
            kind,
            run_id=run.run_id,
            job=run.key,
            namespace=self.namespace,
            inputs=_inputs(run, self.namespace),
            parent_run_id=self.build_id,
            sql=self._sql(run),
            **extra,
        )

    def on_start(self, run: ProductRun) -> None:
        """Emit the START event (with the inputs being read)."""
        self.emitter.emit(self._event(run, "START", event_time=run.started_at))

    def execute(self, run: ProductRun) -> dict[str, Any]:
        result = run.result
        failed = result.status in ("blocked", "error")
        event = self._event(
            run,
            "FAIL" if failed else "COMPLETE",
            outputs=_outputs(run, self.namespace),
            error=result.reason if failed else None,
        )
        delivered = self.emitter.emit(event)
        detail: dict[str, Any] = {"event": "FAIL" if failed else "COMPLETE", "delivered": delivered}
        if not delivered and self.emitter.failures:
            detail["error"] = self.emitter.failures[-1]
        return detail

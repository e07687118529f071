"""Typed results of a build: per stage, per port, per product and for the whole build.

A stage returns a :class:`StageResult`; a stage that cannot complete raises :class:`StageFailed`. The
runner turns both into a :class:`ProductResult`, and a build into a :class:`BuildResult` whose
:meth:`BuildResult.to_dict` is the ``quanta build --format json`` document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from quanta.errors import QuantaError

StageStatus = Literal["ok", "failed", "skipped"]
#: ``published``: new versions committed; ``skipped``: unchanged (no-op); ``blocked``: the gate failed;
#: ``upstream_blocked``: not run because an upstream product did not publish; ``error``: a stage failed
#: for another reason (transform error, unavailable source...); ``retired``: every output port is retired
#: (status ``retired`` or past its ``endOfLife``), so the product is not built; ``paused``: paused by its
#: owners.
ProductStatus = Literal["published", "skipped", "blocked", "upstream_blocked", "error", "retired", "paused"]


@dataclass(frozen=True)
class StageResult:
    """What one stage did for one product.

    Attributes:
        stage: the stage name (``resolve``, ``transform``, ``gate``, ``publish``, ``record``, ``lineage``).
        status: ``ok``, ``failed`` or ``skipped``.
        seconds: wall-clock duration.
        engine_seconds: the part of ``seconds`` spent inside the engine (SQL, checks, Delta writes).
        detail: stage-specific facts (JSON-compatible).
    """

    stage: str
    status: StageStatus
    seconds: float
    engine_seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


class StageFailed(QuantaError):
    """A stage could not complete for a product; nothing of that product is published.

    Attributes:
        stage: the stage that failed.
        product: the product key.
        cause: the underlying error (a :class:`QuantaError` for a user's mistake).
        blocked: whether the failure is a gate decision (blocking checks failed) rather than an error.
        seconds: how long the stage ran before failing.
    """

    def __init__(
        self, stage: str, product: str, cause: BaseException | str, *, blocked: bool = False
    ) -> None:
        text = cause if isinstance(cause, str) else (getattr(cause, "message", None) or str(cause))
        super().__init__(f"{product}: {stage} failed: {text}")
        self.stage = stage
        self.product = product
        self.cause = cause
        self.blocked = blocked
        self.seconds = 0.0


@dataclass(frozen=True)
class PortResult:
    """One output port after the build.

    Attributes:
        name: port name.
        contract_id: its contract.
        location: the Delta table (``<storage>/<domain>/<product>/<port>``).
        version: the Delta version served after the build (new or previous), ``None`` if never published.
        rows: rows of the staged (and, when published, served) data; ``None`` when not run.
        published: whether this build committed a new version.
        checks: every check result of the gate, as JSON-compatible dicts (rule, status, metric value,
            operator, threshold, severity...).
        lifecycle: the port's lifecycle (``status``, ``reason``, ``endOfSupport``, ``endOfLife``); a
            ``retired`` port is not built.
    """

    name: str
    contract_id: str
    location: str
    version: int | None
    rows: int | None = None
    published: bool = False
    checks: tuple[dict[str, Any], ...] = ()
    lifecycle: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "contractId": self.contract_id,
            "location": self.location,
            "deltaVersion": self.version,
            "rows": self.rows,
            "published": self.published,
            "checks": list(self.checks),
            "lifecycle": self.lifecycle,
        }


@dataclass(frozen=True)
class ProductResult:
    """One product after the build.

    Attributes:
        product: ``domain.product``.
        status: see :data:`ProductStatus`.
        reason: why it was skipped or blocked, or the error message.
        seconds: wall-clock duration.
        engine_seconds: time spent inside the engine.
        stages: the stages that ran, in order.
        ports: its output ports.
        sources: source checks (availability, schema drift) by input port, as check dicts.
        run_id: the registry run id, when recorded.
        fingerprint: the run fingerprint.
        engine_cpu_seconds: CPU time of the product's thread inside the engine.
        certification: the product's certification in this build (``status`` ``OK`` / ``NOT COMPLIANT``,
            ``blocksPublication``, ``summary``, ``findings``: each failed policy as a check dict), ``None``
            when it was not certified (unchanged, or stopped before its gate).
        notices: the ``contract.major_change`` events this build sent for the product (the notice, the old
            and new ports, and the consumers holding agreements on the old version).
    """

    product: str
    status: ProductStatus
    reason: str = ""
    seconds: float = 0.0
    engine_seconds: float = 0.0
    stages: tuple[StageResult, ...] = ()
    ports: tuple[PortResult, ...] = ()
    sources: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    run_id: str | None = None
    fingerprint: str | None = None
    engine_cpu_seconds: float = 0.0
    certification: dict[str, Any] | None = None
    notices: tuple[dict[str, Any], ...] = ()

    @property
    def checks(self) -> list[dict[str, Any]]:
        """Every check result of the product: sources first, then output ports."""
        found = [c for checks in self.sources.values() for c in checks]
        return found + [c for port in self.ports for c in port.checks]

    def count(self, status: str) -> int:
        """Number of checks with ``status`` (``passed``, ``failed``...); ``warned`` counts failed warnings."""
        if status == "warned":
            return sum(1 for c in self.checks if c.get("status") == "failed" and not _blocking(c))
        if status == "failed":
            return sum(1 for c in self.checks if c.get("status") in ("failed", "error") and _blocking(c))
        return sum(1 for c in self.checks if c.get("status") == status)

    @property
    def rows(self) -> int | None:
        """Rows of the first output port (``None`` when it did not run)."""
        return next((port.rows for port in self.ports if port.rows is not None), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "product": self.product,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "engineSeconds": round(self.engine_seconds, 3),
            "engineCpuSeconds": round(self.engine_cpu_seconds, 3),
            "runId": self.run_id,
            "fingerprint": self.fingerprint,
            "checks": {k: self.count(k) for k in ("passed", "warned", "failed")},
            "stages": [
                {"stage": s.stage, "status": s.status, "seconds": round(s.seconds, 3), **s.detail}
                for s in self.stages
            ],
            "sources": {name: list(checks) for name, checks in self.sources.items()},
            "ports": [port.to_dict() for port in self.ports],
            "certification": self.certification,
            "notices": list(self.notices),
        }


def _blocking(check: dict[str, Any]) -> bool:
    return str(check.get("severity") or "error").lower() == "error"


@dataclass(frozen=True)
class BuildResult:
    """A whole build.

    Attributes:
        build_id: unique id of this build.
        mesh: mesh name.
        products: one result per selected product, in build order.
        seconds: wall-clock duration, lock and start-up included.
        reconciled: repairs made at start-up (registry entries fixed after an interrupted build).
    """

    build_id: str
    mesh: str
    products: tuple[ProductResult, ...]
    seconds: float
    reconciled: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """Whether any product was blocked or failed (the CLI then exits 1)."""
        return any(p.status in ("blocked", "error") for p in self.products)

    @property
    def engine_seconds(self) -> float:
        """Time spent inside the engine over every product (may exceed wall time with ``--jobs``)."""
        return sum(p.engine_seconds for p in self.products)

    def findings(self) -> list[tuple[str, dict[str, Any]]]:
        """Every failed, errored or warned check and policy as ``(product, check)``, in build order."""
        return [
            (p.product, c)
            for p in self.products
            for c in [*p.checks, *(p.certification or {}).get("findings", ())]
            if c.get("status") in ("failed", "error")
        ]

    def to_dict(self) -> dict[str, Any]:
        """The ``quanta build --format json`` document."""
        return {
            "buildId": self.build_id,
            "mesh": self.mesh,
            "seconds": round(self.seconds, 3),
            "blocked": self.blocked,
            "reconciled": list(self.reconciled),
            "products": [p.to_dict() for p in self.products],
        }

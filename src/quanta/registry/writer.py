"""``Registry``: the writes a build makes, on top of :class:`~quanta.registry.reader.RegistryReader`.

The order a build follows (publish first, record second, so the Delta log stays the source of truth)::

    build_id = registry.start_build(trigger="cli", options={...})
    registry.register_product(ProductRecord(...))           # descriptor, contracts, ports
    run_id = registry.start_run(build_id, domain, product, fingerprint=fp)
    with registry.product_lock(domain, product):
        published = quanta.storage.publish(staged, uri, run_id=run_id, ...)
        registry.finish_run(run_id, "passed", snapshots=[SnapshotRecord.from_published(port, published)],
                            checks=report.results, lineage=edges, steps={"gate": 0.4})
    registry.finish_build(build_id, "succeeded")

Every write is one transaction, and the outbox event that announces it is written in that same transaction.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError
from quanta.registry import records as r
from quanta.registry.reader import RegistryReader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from quanta.registry import models as m


class RegistryError(QuantaError):
    """A write refers to something the registry does not hold, or conflicts with a concurrent write."""


class Registry(RegistryReader):
    """Read and write access to the registry; what ``quanta build`` and the API's writes use.

    Create it with :func:`quanta.registry.open_registry`.
    """

    def __init__(self, engine, url: str) -> None:
        super().__init__(engine, url)
        self._build_locks: dict[str, Any] = {}

    @contextmanager
    def _write(self) -> Iterator[Session]:
        from sqlalchemy.orm import Session

        with self.engine.connect().execution_options(quanta_write=True) as conn:
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session
            conn.commit()

    def _require_product(self, session: Session, domain: str, product: str) -> int:
        pid = self._product_id(session, domain, product)
        if pid is None:
            raise RegistryError(
                f"product {domain}.{product} is not registered: call register_product() before recording "
                "its runs."
            )
        return pid

    @staticmethod
    def _event(session: Session, type_: str, product: str | None, payload: Mapping[str, Any]) -> None:
        from quanta.registry import models as m

        session.add(m.Event(type=type_, product=product, payload=_jsonable(payload), created_at=m.utcnow()))

    def _insert_ignore(self, session: Session, model: type, values: dict[str, Any]) -> None:
        """INSERT ... ON CONFLICT DO NOTHING (both dialects), so concurrent builders never collide."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(model).values(**values).on_conflict_do_nothing())

    # -- products -------------------------------------------------------------------------------------

    def register_product(self, record: r.ProductRecord) -> None:
        """Create or update a product, record its descriptor and contract texts and replace its ports.

        A descriptor or contract text is stored once per fingerprint; a ``product.registered`` event is
        written when the product is new or its descriptor changed.

        Args:
            record: the product as read from its files.
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._write() as s:
            now = m.utcnow()
            self._insert_ignore(
                s,
                m.Product,
                {"domain": record.domain, "name": record.name, "created_at": now, "updated_at": now},
            )
            product = s.scalars(
                select(m.Product)
                .where(m.Product.domain == record.domain, m.Product.name == record.name)
                .with_for_update()
            ).one()
            changed = product.latest_descriptor_fingerprint != record.descriptor_fingerprint
            product.odps_id = record.odps_id
            product.owner_team = record.owner_team
            product.description = record.description
            product.latest_descriptor_version = record.descriptor_version
            product.latest_descriptor_fingerprint = record.descriptor_fingerprint
            if changed:
                product.updated_at = now
            self._insert_ignore(
                s,
                m.DescriptorVersion,
                {
                    "product_id": product.id,
                    "version": record.descriptor_version,
                    "fingerprint": record.descriptor_fingerprint,
                    "raw_yaml": record.descriptor_yaml,
                    "recorded_at": now,
                },
            )
            for contract in record.contracts:
                self._insert_ignore(
                    s,
                    m.ContractVersion,
                    {
                        "contract_id": contract.contract_id,
                        "version": contract.version,
                        "kind": contract.kind,
                        "product_id": product.id,
                        "fingerprint": contract.fingerprint,
                        "raw_yaml": contract.raw_yaml,
                        "recorded_at": now,
                    },
                )
            existing = {
                p.name: p
                for p in s.scalars(select(m.OutputPort).where(m.OutputPort.product_id == product.id))
            }
            for port in record.ports:
                row = existing.pop(port.name, None) or m.OutputPort(product_id=product.id, name=port.name)
                row.version, row.contract_id = port.version, port.contract_id
                row.contract_version, row.table_uri = port.contract_version, port.table_uri
                s.add(row)
            for stale in existing.values():
                s.delete(stale)
            if changed:
                self._event(
                    s,
                    "product.registered",
                    r.product_key(record.domain, record.name),
                    {"version": record.descriptor_version, "fingerprint": record.descriptor_fingerprint},
                )

    def set_paused(
        self, domain: str, product: str, paused: bool, reason: str | None = None
    ) -> r.ProductStateInfo:
        """Pause or resume a product (a paused product is not built and its snapshots stay as they are)."""
        return self._update_state(domain, product, lambda st: {"paused": paused, "paused_reason": reason})

    def set_configuration(
        self,
        domain: str,
        product: str,
        configuration: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> r.ProductStateInfo:
        """Replace a product's configuration JSON.

        Args:
            domain: domain name.
            product: product name.
            configuration: the new configuration (JSON-compatible).
            expected_version: the ``row_version`` the caller read; when given and the state changed since,
                :class:`RegistryError` is raised instead of overwriting the other change.
        """
        return self._update_state(
            domain, product, lambda st: {"configuration": dict(configuration)}, expected_version
        )

    def _update_state(
        self, domain, product, change, expected_version: int | None = None
    ) -> r.ProductStateInfo:
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._write() as s:
            pid = self._require_product(s, domain, product)
            self._insert_ignore(
                s,
                m.ProductState,
                {
                    "product_id": pid,
                    "paused": False,
                    "configuration": {},
                    "updated_at": m.utcnow(),
                    "row_version": 0,
                },
            )
            state = s.scalars(
                select(m.ProductState).where(m.ProductState.product_id == pid).with_for_update()
            ).one()
            if expected_version is not None and state.row_version != expected_version:
                raise RegistryError(
                    f"the state of {domain}.{product} changed since it was read (version "
                    f"{state.row_version}, expected {expected_version}): read it again and retry."
                )
            before = state.paused
            for key, value in change(state).items():
                setattr(state, key, value)
            state.updated_at = m.utcnow()
            s.flush()
            if state.paused != before:
                self._event(
                    s,
                    "product.paused" if state.paused else "product.resumed",
                    r.product_key(domain, product),
                    {"reason": state.paused_reason},
                )
            else:
                self._event(s, "product.state_changed", r.product_key(domain, product), {})
            return r.ProductStateInfo(
                domain,
                product,
                state.paused,
                state.paused_reason,
                dict(state.configuration or {}),
                state.updated_at,
                state.row_version,
            )

    # -- builds and runs ------------------------------------------------------------------------------

    def start_build(
        self, *, trigger: str = "cli", options: Mapping[str, Any] | None = None, build_id: str | None = None
    ) -> str:
        """Record a new build as ``running`` and return its id.

        The builder also holds the build's lock (:meth:`build_lock`) for as long as the build runs, which is
        how :func:`quanta.registry.reconcile` in another process knows the build is alive.

        Args:
            trigger: what started it: ``cli``, ``api``, ``schedule``, ``test``.
            options: the build options (selection, ``--force``, ``--jobs`` ...), JSON-compatible.
            build_id: an id to use (a new UUID when ``None``).
        """
        from quanta.registry import models as m

        build_id = build_id or str(uuid.uuid4())
        lock = self.build_lock(build_id)
        if lock is not None:
            lock.acquire()
        self._build_locks[build_id] = lock
        with self._write() as s:
            s.add(
                m.Build(
                    id=build_id,
                    started_at=m.utcnow(),
                    status="running",
                    trigger=trigger,
                    options=_jsonable(options or {}),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )
            self._event(s, "build.started", None, {"build": build_id, "trigger": trigger})
        return build_id

    def finish_build(self, build_id: str, status: str, error: str | None = None) -> r.BuildInfo:
        """Mark a build finished with ``status`` (succeeded, warned, blocked, failed)."""
        from quanta.registry import models as m
        from quanta.registry.reader import _build

        _check_status(status, r.BUILD_STATUSES[1:], "build")
        try:
            with self._write() as s:
                build = s.get(m.Build, build_id)
                if build is None:
                    raise RegistryError(f"no build {build_id} in the registry")
                build.status, build.finished_at, build.error = status, m.utcnow(), error
                self._event(s, "build.finished", None, {"build": build_id, "status": status, "error": error})
                return _build(build)
        finally:
            self._release_build_lock(build_id)

    def start_run(
        self,
        build_id: str,
        domain: str,
        product: str,
        *,
        fingerprint: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Record that a product starts running in a build; return the run id (a UUID, usable as an
        OpenLineage ``runId``).
        """
        from quanta.registry import models as m

        run_id = run_id or str(uuid.uuid4())
        with self._write() as s:
            pid = self._require_product(s, domain, product)
            s.add(
                m.ProductRun(
                    id=run_id,
                    build_id=build_id,
                    product_id=pid,
                    status="running",
                    started_at=m.utcnow(),
                    fingerprint=fingerprint,
                    steps={},
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: str,
        *,
        steps: Mapping[str, float] | None = None,
        error: str | None = None,
        fingerprint: str | None = None,
        snapshots: Iterable[r.SnapshotRecord] = (),
        checks: Iterable[Any] = (),
        lineage: Iterable[r.EdgeRecord] = (),
    ) -> r.RunInfo:
        """Record the outcome of a product run in ONE transaction, with its outbox events.

        Args:
            run_id: the id :meth:`start_run` returned.
            status: passed, warned, blocked, failed, skipped or unchanged.
            steps: seconds spent per step, e.g. ``{"transform": 1.2, "gate": 0.3, "publish": 0.5}``.
            error: the error message of a failed run.
            fingerprint: the run's fingerprint, when it was not known at start.
            snapshots: the Delta versions the run published (publish BEFORE calling this).
            checks: check results: :class:`~quanta.registry.records.CheckRecord`, mappings or objects with
                the same attribute names (see :meth:`CheckRecord.coerce`).
            lineage: lineage edges of the run.

        Returns:
            The finished run.
        """
        from quanta.registry import models as m
        from quanta.registry.reader import _run

        _check_status(status, r.RUN_STATUSES[1:], "run")
        with self._write() as s:
            run = s.get(m.ProductRun, run_id)
            if run is None:
                raise RegistryError(f"no product run {run_id} in the registry: call start_run() first.")
            product = s.get(m.Product, run.product_id)
            assert product is not None
            key = r.product_key(product.domain, product.name)
            now = m.utcnow()
            run.status, run.finished_at, run.error = status, now, error
            run.steps = _jsonable(dict(steps or {}))
            if fingerprint is not None:
                run.fingerprint = fingerprint
            published = []
            for snap in snapshots:
                s.add(_snapshot_row(snap, run_id, run.product_id, now))
                published.append(
                    {
                        "port": snap.port,
                        "table": snap.table_uri,
                        "version": snap.delta_version,
                        "rows": snap.row_count,
                    }
                )
            counts: dict[str, int] = {}
            for check in checks:
                rec = check if isinstance(check, r.CheckRecord) else r.CheckRecord.coerce(check)
                counts[rec.status] = counts.get(rec.status, 0) + 1
                s.add(
                    m.CheckResult(
                        run_id=run_id,
                        port=rec.port,
                        rule_id=rec.rule_id,
                        rule_name=rec.rule_name,
                        kind=rec.kind,
                        element=rec.element,
                        dimension=rec.dimension,
                        severity=rec.severity,
                        status=rec.status,
                        metric_value=rec.metric_value,
                        operator=rec.operator,
                        threshold=_jsonable(rec.threshold),
                        unit=rec.unit,
                        message=rec.message,
                        duration_ms=rec.duration_ms,
                    )
                )
            for edge in lineage:
                s.add(
                    m.LineageEdge(
                        run_id=run_id,
                        kind=edge.kind,
                        from_dataset=edge.from_dataset,
                        from_field=edge.from_field,
                        to_dataset=edge.to_dataset,
                        to_field=edge.to_field,
                        transformation=edge.transformation,
                    )
                )
            for snap in published:
                self._event(s, "snapshot.published", key, {"run": run_id, **snap})
            self._event(
                s,
                "run.finished",
                key,
                {"run": run_id, "build": run.build_id, "status": status, "checks": counts, "error": error},
            )
            s.flush()
            return _run(run, product.domain, product.name)

    def record_snapshot(
        self, run_id: str | None, domain: str, product: str, snapshot: r.SnapshotRecord
    ) -> int:
        """Record one snapshot outside :meth:`finish_run` (used by reconciliation); return its id."""
        from quanta.registry import models as m

        with self._write() as s:
            pid = self._require_product(s, domain, product)
            row = _snapshot_row(snapshot, run_id, pid, m.utcnow())
            s.add(row)
            s.flush()
            self._event(
                s,
                "snapshot.published",
                r.product_key(domain, product),
                {
                    "run": run_id,
                    "port": snapshot.port,
                    "table": snapshot.table_uri,
                    "version": snapshot.delta_version,
                    "rows": snapshot.row_count,
                },
            )
            return row.id

    def invalidate_snapshot(self, snapshot_id: int, reason: str) -> None:
        """Mark a snapshot invalid (its Delta version is gone); downstream builds stop reading it."""
        from quanta.registry import models as m

        with self._write() as s:
            snap = s.get(m.Snapshot, snapshot_id)
            if snap is None or not snap.valid:
                return
            snap.valid, snap.invalid_reason = False, reason
            product = s.get(m.Product, snap.product_id)
            assert product is not None
            self._event(
                s,
                "snapshot.invalidated",
                r.product_key(product.domain, product.name),
                {"port": snap.port, "table": snap.table_uri, "version": snap.delta_version, "reason": reason},
            )

    def record_certification(
        self,
        domain: str,
        product: str,
        status: str,
        report: Mapping[str, Any],
        *,
        version: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Record a product's certification (``OK`` or ``NOT COMPLIANT``) with its policy report."""
        from quanta.registry import models as m

        _check_status(status, r.CERTIFICATION_STATUSES, "certification")
        with self._write() as s:
            pid = self._require_product(s, domain, product)
            s.add(
                m.Certification(
                    product_id=pid,
                    version=version,
                    status=status,
                    report=_jsonable(report),
                    run_id=run_id,
                    certified_at=m.utcnow(),
                )
            )
            self._event(
                s,
                "certification.recorded",
                r.product_key(domain, product),
                {"status": status, "version": version, "run": run_id},
            )

    def add_event(
        self, type_: str, product: str | None = None, payload: Mapping[str, Any] | None = None
    ) -> None:
        """Append an event to the outbox (for writers that record nothing else in the same transaction)."""
        with self._write() as s:
            self._event(s, type_, product, payload or {})

    def fail_interrupted(self, build_id: str, reason: str) -> list[str]:
        """Mark a build and its ``running`` product runs as ``failed`` with ``reason``; return the run ids."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._write() as s:
            runs = s.scalars(
                select(m.ProductRun).where(
                    m.ProductRun.build_id == build_id, m.ProductRun.status == "running"
                )
            ).all()
            now = m.utcnow()
            for run in runs:
                run.status, run.finished_at, run.error = "failed", now, reason
                product = s.get(m.Product, run.product_id)
                assert product is not None
                self._event(
                    s,
                    "run.finished",
                    r.product_key(product.domain, product.name),
                    {"run": run.id, "build": build_id, "status": "failed", "error": reason},
                )
            build = s.get(m.Build, build_id)
            if build is not None and build.status == "running":
                build.status, build.finished_at, build.error = "failed", now, reason
                self._event(
                    s, "build.finished", None, {"build": build_id, "status": "failed", "error": reason}
                )
            return [run.id for run in runs]

    # -- locks ----------------------------------------------------------------------------------------

    def product_lock(self, domain: str, product: str, timeout: float | None = None):
        """Return a context manager that serialises one product's publish-and-record across builders.

        PostgreSQL: a session-level advisory lock (builders on several machines sharing the registry).
        SQLite file: an ``flock`` on ``<registry>.locks/<domain>.<product>.lock``.

        Args:
            domain: domain name.
            product: product name.
            timeout: seconds to wait (``None``: wait as long as it takes).

        Raises:
            LockHeld: on entering, when ``timeout`` passed.
        """
        from quanta.registry.db import sqlite_path
        from quanta.registry.locks import AdvisoryLock, FileProductLock, advisory_key

        name = r.product_key(domain, product)
        if self.dialect == "postgresql":
            return AdvisoryLock(self.engine, advisory_key("product", name), f"product {name}", timeout)
        path = sqlite_path(self.url)
        directory = path.with_name(path.name + ".locks") if path else _memory_lock_dir()
        return FileProductLock(directory, name, timeout)

    def build_lock(self, build_id: str):
        """Return the (not yet acquired) lock a builder holds while its build runs, or ``None``.

        PostgreSQL: an advisory lock; SQLite file: an ``flock`` on ``<registry>.locks/build-<id>.lock``;
        in-memory SQLite: none. Reconciliation probes it to tell a live build from an interrupted one.
        """
        from quanta.registry.db import sqlite_path
        from quanta.registry.locks import AdvisoryLock, MeshLock, advisory_key

        if self.dialect == "postgresql":
            return AdvisoryLock(self.engine, advisory_key("build", build_id), f"build {build_id}", timeout=0)
        path = sqlite_path(self.url)
        if path is None:
            return None
        return MeshLock(path.with_name(path.name + ".locks") / f"build-{build_id}.lock", build_id=build_id)

    def _release_build_lock(self, build_id: str) -> None:
        lock = self._build_locks.pop(build_id, None)
        if lock is not None:
            lock.release()
            if hasattr(lock, "path"):
                lock.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Release build locks and the database connections."""
        for build_id in list(self._build_locks):
            self._release_build_lock(build_id)
        super().close()


def _memory_lock_dir():
    import tempfile
    from pathlib import Path

    return Path(tempfile.gettempdir()) / f"quanta-locks-{os.getpid()}"


def _snapshot_row(snap: r.SnapshotRecord, run_id: str | None, product_id: int, now) -> m.Snapshot:
    from quanta.registry import models as m

    return m.Snapshot(
        run_id=run_id,
        product_id=product_id,
        port=snap.port,
        table_uri=snap.table_uri,
        delta_version=snap.delta_version,
        row_count=snap.row_count,
        schema_json=_jsonable(list(snap.schema)),
        contract_id=snap.contract_id,
        contract_version=snap.contract_version,
        fingerprint=snap.fingerprint,
        committed_at=snap.committed_at,
        recorded_at=now,
        valid=True,
    )


def _check_status(status: str, allowed: tuple[str, ...], what: str) -> None:
    if status not in allowed:
        raise RegistryError(f"{status!r} is not a {what} status: use one of {', '.join(allowed)}.")


def _jsonable(value: Any) -> Any:
    """Make a value JSON-compatible (dates as ISO strings, tuples as lists, unknown objects as text)."""
    import datetime as dt
    import decimal
    import math

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "value") and isinstance(value.value, str | int):  # enums
        return value.value
    return str(value)

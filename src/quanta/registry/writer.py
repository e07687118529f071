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

from quanta.registry import records as r
from quanta.registry.convert import build_info, jsonable, run_info, snapshot_row
from quanta.registry.errors import RegistryError, check_status
from quanta.registry.reader import RegistryReader
from quanta.registry.state import StateWrites

#: Why a run of a finished build that was still ``running`` is marked ``failed``.
UNFINISHED_RUN = "the build finished before this run's end could be recorded (see the build's output)"

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Registry(StateWrites, RegistryReader):
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
        """Append an outbox event in the session's transaction.

        Event ids must become visible in increasing order, or a reader polling ``after=<last id>`` could
        skip an event whose transaction commits late. SQLite has one writer at a time; on PostgreSQL the
        transaction first takes a transaction-level advisory lock, held until it commits, so the
        transactions that write events commit one after the other.
        """
        from sqlalchemy import insert, text

        from quanta.registry import models as m
        from quanta.registry.locks import advisory_key

        if session.get_bind().dialect.name == "postgresql" and not session.info.get("quanta_events_locked"):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key("events")})
            session.info["quanta_events_locked"] = True
        values = {"type": type_, "product": product, "payload": jsonable(payload), "created_at": m.utcnow()}
        session.execute(insert(m.Event.__table__).values(**values))  # Core: no ORM bulk-insert machinery

    def _insert_ignore(self, session: Session, model: type, values: dict[str, Any]) -> None:
        """INSERT ... ON CONFLICT DO NOTHING (both dialects), so concurrent builders never collide."""
        from quanta.registry.db import conflict_insert

        insert = conflict_insert(self.dialect)
        session.execute(insert(model.__table__).values(**values).on_conflict_do_nothing())

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

        if self._registered_as(record):
            return  # a rebuild of unchanged files: nothing to write
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

    def _registered_as(self, record: r.ProductRecord) -> bool:
        """Whether the registry already holds exactly this product, its ports and its contract texts."""
        from sqlalchemy import select, tuple_

        from quanta.registry import models as m

        product = self.product(record.domain, record.name)
        if product is None or (
            product.descriptor_fingerprint,
            product.odps_id,
            product.owner_team,
            product.description,
            product.descriptor_version,
        ) != (
            record.descriptor_fingerprint,
            record.odps_id,
            record.owner_team,
            record.description,
            record.descriptor_version,
        ):
            return False
        if sorted(product.ports, key=lambda p: p.name) != sorted(record.ports, key=lambda p: p.name):
            return False
        wanted = {(c.contract_id, c.fingerprint) for c in record.contracts}
        if not wanted:
            return True
        with self._read() as s:
            query = select(m.ContractVersion.contract_id, m.ContractVersion.fingerprint).where(
                tuple_(m.ContractVersion.contract_id, m.ContractVersion.fingerprint).in_(list(wanted))
            )
            return {tuple(row) for row in s.execute(query)} == wanted

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
                    options=jsonable(options or {}),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )
            self._event(s, "build.started", None, {"build": build_id, "trigger": trigger})
        return build_id

    def finish_build(self, build_id: str, status: str, error: str | None = None) -> r.BuildInfo:
        """Mark a build finished with ``status`` (succeeded, warned, blocked, failed)."""
        from quanta.registry import models as m

        check_status(status, r.BUILD_STATUSES[1:], "build")
        try:
            with self._write() as s:
                build = s.get(m.Build, build_id)
                if build is None:
                    raise RegistryError(f"no build {build_id} in the registry")
                # A run whose own finish could not be written (its recording stage failed and said so
                # in the build output) must not stay "running" for ever: nothing would reconcile it,
                # since only builds left running are looked at after a crash.
                self._fail_running_runs(s, build_id, UNFINISHED_RUN)
                build.status, build.finished_at, build.error = status, m.utcnow(), error
                self._event(s, "build.finished", None, {"build": build_id, "status": status, "error": error})
                return build_info(build)
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
        from sqlalchemy import insert

        from quanta.registry import models as m

        check_status(status, r.RUN_STATUSES[1:], "run")
        with self._write() as s:
            run = s.get(m.ProductRun, run_id)
            if run is None:
                raise RegistryError(f"no product run {run_id} in the registry: call start_run() first.")
            product = s.get(m.Product, run.product_id)
            assert product is not None
            key = r.product_key(product.domain, product.name)
            now = m.utcnow()
            run.status, run.finished_at, run.error = status, now, error
            run.steps = jsonable(dict(steps or {}))
            if fingerprint is not None:
                run.fingerprint = fingerprint
            published = []
            for snap in snapshots:
                s.add(snapshot_row(snap, run_id, run.product_id, now))
                published.append(
                    {
                        "port": snap.port,
                        "table": snap.table_uri,
                        "version": snap.delta_version,
                        "rows": snap.row_count,
                    }
                )
            counts: dict[str, int] = {}
            rows = []
            for check in checks:
                rec = check if isinstance(check, r.CheckRecord) else r.CheckRecord.coerce(check)
                counts[rec.status] = counts.get(rec.status, 0) + 1
                rows.append(
                    {
                        "run_id": run_id,
                        "port": rec.port,
                        "rule_id": rec.rule_id,
                        "rule_name": rec.rule_name,
                        "kind": rec.kind,
                        "element": rec.element,
                        "dimension": rec.dimension,
                        "severity": rec.severity,
                        "status": rec.status,
                        "metric_value": rec.metric_value,
                        "operator": rec.operator,
                        "threshold": jsonable(rec.threshold),
                        "unit": rec.unit,
                        "message": rec.message,
                        "duration_ms": rec.duration_ms,
                    }
                )
            if rows:  # one executemany, not one ORM object per check
                s.execute(insert(m.CheckResult.__table__), rows)
            edges = [
                {
                    "run_id": run_id,
                    "kind": e.kind,
                    "from_dataset": e.from_dataset,
                    "from_field": e.from_field,
                    "to_dataset": e.to_dataset,
                    "to_field": e.to_field,
                    "transformation": e.transformation,
                }
                for e in lineage
            ]
            if edges:
                s.execute(insert(m.LineageEdge.__table__), edges)
            for snap in published:
                self._event(s, "snapshot.published", key, {"run": run_id, **snap})
            self._event(
                s,
                "run.finished",
                key,
                {"run": run_id, "build": run.build_id, "status": status, "checks": counts, "error": error},
            )
            s.flush()
            return run_info(run, product.domain, product.name)

    def record_snapshot(
        self, run_id: str | None, domain: str, product: str, snapshot: r.SnapshotRecord
    ) -> int:
        """Record one snapshot outside :meth:`finish_run` (used by reconciliation); return its id."""
        from quanta.registry import models as m

        with self._write() as s:
            pid = self._require_product(s, domain, product)
            row = snapshot_row(snapshot, run_id, pid, m.utcnow())
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

    def fail_interrupted(self, build_id: str, reason: str) -> list[str]:
        """Mark a build and its ``running`` product runs as ``failed`` with ``reason``; return the run ids."""
        from quanta.registry import models as m

        with self._write() as s:
            failed = self._fail_running_runs(s, build_id, reason)
            build = s.get(m.Build, build_id)
            if build is not None and build.status == "running":
                build.status, build.finished_at, build.error = "failed", m.utcnow(), reason
                self._event(
                    s, "build.finished", None, {"build": build_id, "status": "failed", "error": reason}
                )
            return failed

    def _fail_running_runs(self, s: Session, build_id: str, reason: str) -> list[str]:
        """Mark the build's product runs still ``running`` as ``failed`` with ``reason`` (in session ``s``)."""
        from sqlalchemy import select

        from quanta.registry import models as m

        runs = s.scalars(
            select(m.ProductRun).where(m.ProductRun.build_id == build_id, m.ProductRun.status == "running")
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

"""Start-up reconciliation of the registry with the published Delta tables, after a crash.

The rule: **publish first, record second; the Delta table log is the source of truth.** A build commits a
port's new Delta version and only then records the snapshot, in one registry transaction. A crash
(``kill -9``) can therefore leave only these states, and :func:`reconcile` repairs each of them:

1. *Crash before the commit*: the table is at its previous version; data files the interrupted writer
   already wrote are unreferenced. They are deleted; the run left ``running`` becomes ``failed``.
2. *Crash after the commit, before the record*: the table has a version made by a Quanta run that the
   registry does not know. The commit passed its gate (Quanta publishes only after the gate), so the
   version is **adopted**: recorded as a snapshot of that run, from the commit's own metadata (run id,
   contract id and version, fingerprint) and the version's row count and schema. The run becomes
   ``failed`` ("interrupted after publishing"), so the next build rebuilds the product and records
   its checks.
3. *A recorded snapshot whose Delta version does not exist* (a table deleted or restored by hand): the
   snapshot is marked invalid and downstream builds stop reading it. (Only a crash leaves tables and
   registry out of step, so tables are checked when an interrupted build is found, or with ``full=True``.)
4. *Builds and runs left ``running``* by a dead builder become ``failed`` with the error "interrupted".
   A builder holds its build's lock while it runs (a PostgreSQL advisory lock, or an ``flock`` beside a
   SQLite registry), and the lock dies with the process: a build whose lock is free is interrupted.
   Builds of live builders, and the tables of the products they are running, are left alone.

Commits not made by Quanta (no ``quanta.runId`` in the commit) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from quanta.registry.locks import LockHeld
from quanta.registry.locks import MeshLock as _MeshLock
from quanta.registry.records import SnapshotRecord

if TYPE_CHECKING:
    from quanta.registry.writer import Registry

INTERRUPTED = "interrupted: the builder stopped before finishing this run (crash or kill)"


@dataclass(slots=True)
class ReconcileReport:
    """What :func:`reconcile` repaired.

    Attributes:
        failed_runs: product runs that were ``running`` and became ``failed``.
        failed_builds: builds that were ``running`` and became ``failed``.
        invalidated_snapshots: ``(table_uri, delta_version)`` of snapshots marked invalid.
        adopted_versions: ``(table_uri, delta_version)`` of committed versions that were recorded.
        removed_files: staging folders and uncommitted data files that were deleted.
    """

    failed_runs: list[str] = field(default_factory=list)
    failed_builds: list[str] = field(default_factory=list)
    invalidated_snapshots: list[tuple[str, int]] = field(default_factory=list)
    adopted_versions: list[tuple[str, int]] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was repaired."""
        return any(
            (
                self.failed_runs,
                self.failed_builds,
                self.invalidated_snapshots,
                self.adopted_versions,
                self.removed_files,
            )
        )


def _build_alive(registry: Registry, build) -> bool:
    """A build is alive while its builder holds the build's lock (released by the kernel or the server
    when the builder dies, even by ``kill -9``)."""
    if build.id in registry._build_locks:
        return True
    probe = registry.build_lock(build.id)
    if probe is None:  # in-memory SQLite: only this process can have written it
        return False
    if isinstance(probe, _MeshLock):
        try:
            probe.acquire()
        except LockHeld:
            return True
        probe.release()
        probe.path.unlink(missing_ok=True)
        return False
    if probe.try_acquire():
        probe.release()
        return False
    return True


def reconcile(
    registry: Registry,
    storage_root: str | Path,
    *,
    tables: Iterable[str] | None = None,
    storage_options: dict[str, str] | None = None,
    remove_leftovers: bool = True,
    full: bool = False,
) -> ReconcileReport:
    """Make the registry consistent with the Delta tables after a crash (see the module docs for the rule).

    Call it at start-up, holding the mesh lock (:class:`quanta.registry.MeshLock`), before a build.

    Args:
        registry: the open registry.
        storage_root: the mesh's storage root.
        tables: table locations to check; by default every table the registry knows plus every table
            found under a local storage root.
        storage_options: object-store options for delta-rs.
        remove_leftovers: also delete staging folders of dead runs and uncommitted data files.
        full: check every table even when no interrupted build was found (to catch tables deleted or
            rolled back by hand). By default the tables are checked only when an interrupted build was
            found: a crash is the only way Quanta leaves them out of step with the registry, and opening
            every table log costs a few milliseconds per table.

    Returns:
        What was repaired.
    """
    from quanta import storage

    report = ReconcileReport()

    # 4. builds and runs of dead builders
    live_runs: set[str] = set()
    live_products: set[tuple[str, str]] = set()
    for build in registry.builds(limit=None, status="running"):
        if _build_alive(registry, build):
            for run in registry.runs(build_id=build.id, status="running", limit=None):
                live_runs.add(run.id)
                live_products.add((run.domain, run.product))
            continue
        report.failed_runs.extend(registry.fail_interrupted(build.id, INTERRUPTED))
        report.failed_builds.append(build.id)

    if not (full or report.failed_builds):
        if remove_leftovers:
            report.removed_files = storage.remove_leftovers(storage_root, keep_runs=live_runs, tables=[])
        return report

    recorded_by_uri = _recorded(registry)
    found = list(tables) if tables is not None else [*recorded_by_uri, *storage.find_tables(storage_root)]
    uris = sorted(
        {storage.normalize_root(u) for u in [*found, *registry.table_uris()]}
        if tables is None
        else {storage.normalize_root(u) for u in found}
    )
    products = {(p.domain, p.name): p for p in registry.products()}
    port_owner = {
        storage.normalize_root(port.table_uri): (p.domain, p.name, port.name)
        for p in products.values()
        for port in p.ports
        if port.table_uri
    }
    for uri in uris:
        versions = storage.list_versions(uri, storage_options=storage_options)
        existing = {v.version: v for v in versions}
        recorded = recorded_by_uri.get(uri, [])
        # 3. snapshots whose version is missing (or was made by another run than recorded)
        for snap_id, version, run_id in recorded:
            commit = existing.get(version)
            if commit is None or (
                commit.run_id is not None and run_id is not None and commit.run_id != run_id
            ):
                reason = (
                    f"Delta version {version} is not in the table log of {uri}"
                    if commit is None
                    else f"Delta version {version} of {uri} was committed by run {commit.run_id}, "
                    f"not {run_id}"
                )
                registry.invalidate_snapshot(snap_id, reason)
                report.invalidated_snapshots.append((uri, version))
        # 2. commits made by Quanta runs and never recorded
        recorded_versions = {version for _, version, _ in recorded}
        owner = port_owner.get(uri) or _owner_from_path(uri, storage_root)
        for commit in sorted(versions, key=lambda v: v.version):
            if commit.run_id is None or commit.version in recorded_versions or commit.run_id in live_runs:
                continue
            if owner is None or (owner[0], owner[1]) not in products:
                continue
            report.adopted_versions.append(_adopt(registry, uri, commit, owner, storage_options))
    if remove_leftovers:
        idle = [
            u
            for u in uris
            if (port_owner.get(u) or _owner_from_path(u, storage_root) or ("", ""))[:2] not in live_products
        ]
        report.removed_files = storage.remove_leftovers(
            storage_root, keep_runs=live_runs, tables=idle, storage_options=storage_options
        )
    return report


def _recorded(registry: Registry) -> dict[str, list[tuple[int, int, str | None]]]:
    """Valid snapshots as ``(id, delta version, run id)`` by normalised table location."""
    from sqlalchemy import select

    from quanta import storage
    from quanta.registry import models as m

    by_uri: dict[str, list[tuple[int, int, str | None]]] = {}
    with registry._read() as s:
        rows = s.execute(
            select(m.Snapshot.id, m.Snapshot.table_uri, m.Snapshot.delta_version, m.Snapshot.run_id).where(
                m.Snapshot.valid.is_(True)
            )
        )
        for snap_id, uri, version, run in rows:
            by_uri.setdefault(storage.normalize_root(uri), []).append((int(snap_id), int(version), run))
    return by_uri


def _owner_from_path(uri: str, storage_root: str | Path) -> tuple[str, str, str] | None:
    from quanta.storage import normalize_root

    root = normalize_root(storage_root)
    if not uri.startswith(root + "/"):
        return None
    parts = uri[len(root) + 1 :].split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _adopt(registry: Registry, uri: str, commit, owner, storage_options) -> tuple[str, int]:
    from quanta import storage

    domain, product, port = owner
    dataset = storage.read_version(uri, commit.version, storage_options=storage_options)
    run = registry.run(commit.run_id) if commit.run_id else None
    record = SnapshotRecord(
        port=port,
        table_uri=uri,
        delta_version=commit.version,
        row_count=dataset.count_rows(),
        schema=storage.schema_to_json(dataset.schema),
        contract_id=commit.contract_id,
        contract_version=commit.contract_version,
        fingerprint=commit.fingerprint,
        committed_at=commit.timestamp,
    )
    registry.record_snapshot(run.id if run else None, domain, product, record)
    if run is not None and run.status == "failed" and run.error == INTERRUPTED:
        _mark_adopted(registry, run.id, commit.version)
    return (uri, commit.version)


def _mark_adopted(registry: Registry, run_id: str, version: int) -> None:
    from quanta.registry import models as m

    with registry._write() as s:
        run = s.get(m.ProductRun, run_id)
        if run is not None:
            run.error = (
                f"interrupted after publishing Delta version {version}: the version was adopted by "
                "reconciliation; its check results were not recorded, so the next build rebuilds the product"
            )

"""One build of a mesh: resolve → transform → gate → publish → record → lineage, product by product.

:func:`build` is the entry point (mesh lock, reconciliation, plan, parallel run); the stages live in
:mod:`quanta.build.stages`, the scheduler in :mod:`quanta.build.runner`.
"""

from __future__ import annotations

from collections.abc import Iterable

from quanta.build.events import BuildEvent, ProgressCallback, ignore
from quanta.build.results import BuildResult, PortResult, ProductResult, StageFailed, StageResult
from quanta.mesh import BuildPlan, Workspace

#: The mesh lock file, relative to the mesh root: held (``flock``) for the whole build.
LOCK_FILE = ".quanta/build.lock"

__all__ = [
    "LOCK_FILE",
    "BuildEvent",
    "BuildResult",
    "PortResult",
    "ProductResult",
    "ProgressCallback",
    "StageFailed",
    "StageResult",
    "build",
    "plan",
    "reconcile_if_interrupted",
]


def plan(workspace: Workspace, selectors: Iterable[str] = (), *, force: bool = False) -> BuildPlan:
    """Plan a build of ``workspace`` against what is published now (reads the Delta logs, no lock).

    Raises:
        ConfigError: the product graph is invalid.
        UsageError: a selector names no product.
    """
    from quanta.build.state import prior_state
    from quanta.mesh import make_plan

    return make_plan(workspace, selectors, force=force, state=prior_state(workspace))


def reconcile_if_interrupted(workspace: Workspace) -> list[str]:
    """Repair what an interrupted build left, before a command that only reads the record shows it.

    ``quanta status``, ``quanta runs`` and ``quanta serve`` call it at start-up, so after ``kill -9`` the
    next command of any kind, not only the next build, finds the registry consistent with the Delta
    tables. It costs two file checks when nothing was interrupted. It takes the mesh lock without
    waiting: a build that holds it is alive, reconciles at its own start, and its runs are not stale.

    Returns:
        One line per repair (see :func:`quanta.build.record.reconcile_mesh`); empty when nothing was
        interrupted, a build is running, or the mesh folder is read-only (nothing can be repaired there).
    """
    from quanta.build.record import RUNNING_MARKER, interrupted, open_mesh_registry, reconcile_mesh
    from quanta.registry import LockHeld, MeshLock

    if not interrupted(workspace):
        return []
    try:
        with MeshLock(workspace.root / LOCK_FILE):
            if not interrupted(workspace):  # a build finished between the two checks
                return []
            registry = open_mesh_registry(workspace)
            try:
                lines = reconcile_mesh(workspace, registry)
            finally:
                registry.close()
            (workspace.root / RUNNING_MARKER).unlink(missing_ok=True)
            return lines
    except (LockHeld, PermissionError):
        return []


def build(
    workspace: Workspace,
    selectors: Iterable[str] = (),
    *,
    jobs: int = 1,
    force: bool = False,
    on_event: ProgressCallback = ignore,
    lock_wait: float = 0.0,
) -> BuildResult:
    """Build the selected products of ``workspace``.

    Holds the mesh lock for the whole build, repairs what an interrupted build left (reconciliation),
    plans against the published tables, then runs every product that changed.

    Args:
        workspace: the loaded mesh.
        selectors: ``PRODUCT``, ``+PRODUCT``, ``PRODUCT+``; none selects every product.
        jobs: products run in parallel.
        force: rebuild unchanged products too.
        on_event: progress callback (called from worker threads).
        lock_wait: seconds to wait for another build of the mesh to finish.

    Returns:
        The build's result; ``result.blocked`` tells whether a product was blocked or failed.

    Raises:
        LockHeld: another build holds the mesh lock (:class:`quanta.registry.MeshLock`) longer than
            ``lock_wait``; the message names the holding process.
        ConfigError: the product graph is invalid.
        UsageError: a selector names no product.
    """
    import dataclasses
    import functools

    from quanta.build.record import RUNNING_MARKER, finish_status, finishers, interrupted
    from quanta.build.runner import new_id, run_plan
    from quanta.build.state import prior_state, published_tables
    from quanta.mesh import build_graph, make_plan
    from quanta.registry import MeshLock

    selectors = list(selectors)
    build_id = new_id()
    marker = workspace.root / RUNNING_MARKER
    with MeshLock(workspace.root / LOCK_FILE, build_id=build_id, timeout=lock_wait):
        was_interrupted = interrupted(workspace)
        graph = build_graph(workspace)
        tables = published_tables(workspace)
        the_plan = make_plan(
            workspace, selectors, force=force, state=prior_state(workspace, tables), graph=graph
        )
        run = functools.partial(
            run_plan,
            workspace,
            graph,
            the_plan,
            jobs=jobs,
            on_event=on_event,
            build_id=build_id,
            tables=tables,
        )
        if not was_interrupted and not the_plan.to_build:
            return run()  # nothing to do: no registry, no lineage
        marker.write_text(build_id)
        options = {"selectors": selectors, "jobs": jobs, "force": force}
        with finishers(workspace, build_id, options, interrupted=was_interrupted) as (stages, outcome):
            result = run(finishers=stages, paused=outcome["paused"])
            warned = any(p.count("warned") for p in result.products)
            outcome["status"] = finish_status([p.status for p in result.products], warned)
            outcome["error"] = None
        marker.unlink(missing_ok=True)
    return dataclasses.replace(result, reconciled=tuple(outcome["reconciled"]))

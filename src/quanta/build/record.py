"""The stages that run after the data stages, whatever happened: record (registry) and lineage.

Also the start-up reconciliation of the registry with the published tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from quanta.build.stages import Stage
from quanta.mesh import Workspace


@contextmanager
def finishers(workspace: Workspace) -> Iterator[tuple[Stage, ...]]:
    """Open the registry and the lineage transport of ``workspace``; yield the record and lineage stages."""
    yield ()


def reconcile_mesh(workspace: Workspace) -> list[str]:
    """Repair what an interrupted build left behind; return one line per repair."""
    return []

"""What earlier builds left, read from the published tables themselves (the Delta logs).

Each Delta commit Quanta makes carries the run fingerprint (see :mod:`quanta.storage`), so the table log
is the source of truth for "is this product unchanged?": no registry round trip, and nothing to get out
of step after a crash. The logs are read once per build; the runner then keeps the map up to date as
products publish (it holds the mesh lock, so nobody else publishes meanwhile).
"""

from __future__ import annotations

from quanta.mesh import PriorState, Workspace

#: ``(product key, port name)`` → ``(Delta version, run fingerprint of that commit)``.
TableState = dict[tuple[str, str], tuple[int, str | None]]


def published_tables(workspace: Workspace) -> TableState:
    """Read the newest commit of every output port's table (ports never published are absent)."""
    from quanta import storage

    tables: TableState = {}
    for product in workspace.products.values():
        for port in product.output_ports:
            latest = storage.list_versions(workspace.table_location(product, port), limit=1)
            if latest:
                tables[(product.key, port.name)] = (latest[0].version, latest[0].fingerprint)
    return tables


def prior_state(workspace: Workspace, tables: TableState | None = None) -> PriorState:
    """Return the fingerprint and Delta version last published for every product of ``workspace``.

    A product's fingerprint is known only when every one of its output ports was last published by the
    same run fingerprint (a product interrupted between two ports is therefore rebuilt).

    Args:
        workspace: the mesh.
        tables: the published tables, when already read (see :func:`published_tables`).
    """
    tables = published_tables(workspace) if tables is None else tables
    fingerprints: dict[str, str] = {}
    for product in workspace.products.values():
        seen = {tables.get((product.key, port.name), (None, None))[1] for port in product.output_ports}
        if len(seen) == 1 and None not in seen:
            fingerprints[product.key] = seen.pop()
    versions = {key: version for key, (version, _) in tables.items()}
    return PriorState(fingerprints, versions)

"""What earlier builds left, read from the published tables themselves (the Delta logs).

Each Delta commit Quanta makes carries the run fingerprint (see :mod:`quanta.storage`), so the table log
is the source of truth for "is this product unchanged?": no registry round trip, and nothing to get out
of step after a crash.
"""

from __future__ import annotations

from quanta.mesh import PriorState, Workspace


def prior_state(workspace: Workspace) -> PriorState:
    """Return the fingerprint and Delta version last published for every product of ``workspace``.

    A product's fingerprint is known only when every one of its output ports was last published by the
    same run fingerprint (a product interrupted between two ports is therefore rebuilt).
    """
    from quanta import storage

    fingerprints: dict[str, str] = {}
    versions: dict[tuple[str, str], int] = {}
    for product in workspace.products.values():
        seen: set[str | None] = set()
        for port in product.output_ports:
            latest = storage.list_versions(workspace.table_location(product, port), limit=1)
            if latest:
                versions[(product.key, port.name)] = latest[0].version
                seen.add(latest[0].fingerprint)
            else:
                seen.add(None)
        if len(seen) == 1 and None not in seen:
            fingerprints[product.key] = seen.pop()
    return PriorState(fingerprints, versions)

"""What earlier builds left, read from the published tables themselves (the Delta logs).

Each Delta commit Quanta makes carries the run fingerprint (see :mod:`quanta.storage`), so the table log
is the source of truth for "is this product unchanged?": no registry round trip, and nothing to get out
of step after a crash. The logs are read once per build; the runner then keeps the map up to date as
products publish (it holds the mesh lock, so nobody else publishes meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quanta.errors import QuantaError
from quanta.mesh import PriorState, Workspace

#: ``(product key, port name)`` → ``(Delta version, run fingerprint of that commit)``.
TableState = dict[tuple[str, str], tuple[int, str | None]]


def storage_options(workspace: Workspace) -> dict[str, str] | None:
    """Return the object-store options of the mesh's storage root, ``None`` when it is local.

    Credentials come from the ``AWS_*`` environment variables; ``mesh.yaml``'s ``storage_options`` fills
    in the non-secret settings the environment leaves unset (``quanta.storage.options``).

    Raises:
        ConfigError: ``storage_options`` in ``mesh.yaml`` holds a credential or an unknown key.
    """
    from quanta import storage

    return storage.options(workspace.storage_root, workspace.config.storage_options)


def source_identity(workspace: Workspace, server: Mapping[str, Any]) -> str | None:
    """Return the identity of a source's current data (what the run fingerprint records for it).

    Local files are identified by :func:`quanta.mesh.fingerprint.source_identity`; objects on an object
    store by their keys, sizes and modification times (:func:`quanta.engine.objectstore.object_identity`),
    ``None`` when the store cannot be listed (the product then runs, and its source check reports why).
    """
    from quanta.engine import objectstore
    from quanta.mesh.fingerprint import source_identity as local_identity

    if str(server.get("type") or "").lower() not in objectstore.OBJECT_STORE_TYPES:
        return local_identity(workspace.root, server)
    try:
        location = objectstore.server_location(server)
        options = objectstore.storage_options(location, workspace.config.storage_options)
        return objectstore.object_identity(location, options)
    except (OSError, QuantaError):  # unreachable store or bad location: not knowable now
        return None


def remote_sources(workspace: Workspace) -> dict[str, str | None]:
    """Identities of the sources on object storage, by source contract id (for the plan)."""
    from quanta.engine.objectstore import OBJECT_STORE_TYPES
    from quanta.mesh.plan import source_server

    found: dict[str, str | None] = {}
    for product in workspace.products.values():
        for port in product.input_ports:
            if port.source is None or port.contract_id in found:
                continue
            server = source_server(port)
            if str(server.get("type") or "").lower() in OBJECT_STORE_TYPES:
                found[port.contract_id] = source_identity(workspace, server)
    return found


def published_tables(workspace: Workspace) -> TableState:
    """Read the newest commit of every output port's table (ports never published are absent)."""
    from quanta import storage

    options = storage_options(workspace)
    tables: TableState = {}
    for product in workspace.products.values():
        for port in product.output_ports:
            location = workspace.table_location(product, port)
            latest = storage.list_versions(location, limit=1, storage_options=options)
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
    return PriorState(fingerprints, versions, remote_sources(workspace))

"""The record: products, runs, snapshots, check results, lineage, certifications and events (SQLAlchemy).

``open_registry(url) -> Registry`` connects to a SQLite file (default) or a PostgreSQL server and migrates
its schema with the Alembic revisions shipped in ``quanta/registry/migrations``. ``RegistryReader`` holds
every query the API and ``quanta status`` need; ``Registry`` adds the writes a build makes.
``reconcile(registry, storage_root)`` repairs the record after a crash. See ``docs/registry-and-storage.md``.

SQLAlchemy is imported only when one of these names is first used, so ``quanta --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.lazy import lazy_exports

_EXPORTS = {
    "open_registry": "quanta.registry.open",
    "open_reader": "quanta.registry.open",
    "Registry": "quanta.registry.writer",
    "RegistryError": "quanta.registry.errors",
    "RegistryReader": "quanta.registry.reader",
    "reconcile": "quanta.registry.reconcile",
    "ReconcileReport": "quanta.registry.reconcile",
    "MeshLock": "quanta.registry.locks",
    "LockHeld": "quanta.registry.locks",
    "RegistryVersionError": "quanta.registry.migrate",
    "resolve_url": "quanta.registry.db",
    "ENV_URL": "quanta.registry.db",
    "DEFAULT_URL": "quanta.registry.db",
    "BuildInfo": "quanta.registry.records",
    "CertificationInfo": "quanta.registry.records",
    "CheckRecord": "quanta.registry.records",
    "ContractInfo": "quanta.registry.records",
    "ContractRecord": "quanta.registry.records",
    "DescriptorInfo": "quanta.registry.records",
    "EdgeRecord": "quanta.registry.records",
    "EventInfo": "quanta.registry.records",
    "PortInfo": "quanta.registry.records",
    "ProductInfo": "quanta.registry.records",
    "ProductRecord": "quanta.registry.records",
    "ProductStateInfo": "quanta.registry.records",
    "RunInfo": "quanta.registry.records",
    "SnapshotInfo": "quanta.registry.records",
    "SnapshotRecord": "quanta.registry.records",
}

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "BuildInfo",
    "CertificationInfo",
    "CheckRecord",
    "ContractInfo",
    "ContractRecord",
    "DescriptorInfo",
    "EdgeRecord",
    "EventInfo",
    "LockHeld",
    "MeshLock",
    "PortInfo",
    "ProductInfo",
    "ProductRecord",
    "ProductStateInfo",
    "ReconcileReport",
    "Registry",
    "RegistryError",
    "RegistryReader",
    "RegistryVersionError",
    "RunInfo",
    "SnapshotInfo",
    "SnapshotRecord",
    "open_reader",
    "open_registry",
    "reconcile",
    "resolve_url",
]

if TYPE_CHECKING:
    from quanta.registry.db import DEFAULT_URL, ENV_URL, resolve_url
    from quanta.registry.errors import RegistryError
    from quanta.registry.locks import LockHeld, MeshLock
    from quanta.registry.migrate import RegistryVersionError
    from quanta.registry.open import open_reader, open_registry
    from quanta.registry.reader import RegistryReader
    from quanta.registry.reconcile import ReconcileReport, reconcile
    from quanta.registry.records import (
        BuildInfo,
        CertificationInfo,
        CheckRecord,
        ContractInfo,
        ContractRecord,
        DescriptorInfo,
        EdgeRecord,
        EventInfo,
        PortInfo,
        ProductInfo,
        ProductRecord,
        ProductStateInfo,
        RunInfo,
        SnapshotInfo,
        SnapshotRecord,
    )
    from quanta.registry.writer import Registry


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

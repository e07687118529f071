"""Fixtures of the registry tests: ONE conformance suite runs against SQLite and PostgreSQL.

``registry_url`` is parametrised over both backends; the PostgreSQL case uses a fresh database on the
session's real server (``postgres_url`` in ``tests/conftest.py``) and is marked ``postgres``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from quanta.registry import ContractRecord, PortInfo, ProductRecord, Registry, open_registry


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty registry database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture()
def registry(registry_url: str) -> Iterator[Registry]:
    """An open, migrated registry on each backend."""
    with open_registry(registry_url) as reg:
        yield reg


def product_record(domain: str, name: str, storage_root: Path | str = "/tmp/tables", version: str = "1.0.0"):
    """A product with one output port named like the product, as the build would register it."""
    descriptor = f"apiVersion: v1.0.0\nkind: DataProduct\nid: {domain}-{name}\nversion: {version}\n"
    contract = f"id: {domain}.{name}.{name}\nversion: {version}\n"
    return ProductRecord(
        domain=domain,
        name=name,
        descriptor_yaml=descriptor,
        descriptor_fingerprint=hashlib.sha256(descriptor.encode()).hexdigest(),
        odps_id=f"{domain}-{name}",
        owner_team=f"{domain}-team",
        descriptor_version=version,
        ports=[
            PortInfo(
                name, version, f"{domain}.{name}.{name}", version, f"{storage_root}/{domain}/{name}/{name}"
            )
        ],
        contracts=[
            ContractRecord(
                f"{domain}.{name}.{name}", version, contract, hashlib.sha256(contract.encode()).hexdigest()
            )
        ],
    )

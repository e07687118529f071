"""Certifications stored in a real registry (SQLite file), read back by ``quanta certify``, and the
last published contract used for change control."""

from __future__ import annotations

import hashlib

from quanta.governance import certify, find_products, load_policies
from quanta.governance.service import (
    diff_against_registry,
    product_certification,
    published_contracts,
    store_certification,
)


def register(registry, product) -> None:
    from quanta.registry import ContractRecord, ProductRecord

    def record(contract_id, contract):
        text = contract.path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        return ContractRecord(contract_id, contract.version, text, digest, "output")

    descriptor = (product.folder / "product.odps.yaml").read_text(encoding="utf-8")
    registry.register_product(
        ProductRecord(
            domain=product.domain,
            name=product.name,
            descriptor_yaml=descriptor,
            descriptor_fingerprint=hashlib.sha256(descriptor.encode()).hexdigest(),
            contracts=[record(key, value) for key, value in product.contracts.items()],
        )
    )


def test_a_recorded_certification_is_what_certify_shows(mesh):
    from quanta.registry import open_registry

    orders = next(p for p in find_products(mesh) if p.key == "sales.orders")
    assert product_certification(mesh, "sales.orders").source == "files"  # no registry file yet
    assert not (mesh / ".quanta" / "registry.db").exists()  # and looking did not create one
    certification = certify(load_policies(mesh), orders.product, orders.contracts, domain=orders.domain_info)
    with open_registry(f"sqlite:///{mesh / '.quanta' / 'registry.db'}") as registry:
        register(registry, orders)
        store_certification(registry, certification, "sales", "orders")
    view = product_certification(mesh, "sales.orders")
    assert view.source == "registry" and view.recorded_at
    assert view.certification == certification
    assert product_certification(mesh, "sales.orders", fresh=True).source == "files"


def publish(registry, product) -> None:
    """Record the product and a snapshot of its port gated on its contract's version."""
    from quanta.registry import SnapshotRecord

    register(registry, product)
    (contract_id, contract), *_ = product.contracts.items()
    snapshot = SnapshotRecord("orders", "file:///tables/orders", 0, 1, (), contract_id, contract.version)
    registry.record_snapshot(None, product.domain, product.name, snapshot)


def test_change_control_against_the_published_contract(mesh):
    from quanta.registry import open_registry

    orders = next(p for p in find_products(mesh) if p.key == "sales.orders")
    url = f"sqlite:///{mesh / '.quanta' / 'registry.db'}"
    with open_registry(url) as registry:
        register(registry, orders)
    assert published_contracts(mesh, orders) == {}  # recorded, but no snapshot published yet
    with open_registry(url) as registry:
        publish(registry, orders)
    assert set(published_contracts(mesh, orders)) == {"sales.orders.orders"}
    path = mesh / "domains/sales/orders/contracts/orders.odcs.yaml"
    path.write_text(path.read_text().replace("logicalType: integer", "logicalType: string"), encoding="utf-8")
    # A later build records the edited text of the same version (and is blocked): still not published.
    edited = next(p for p in find_products(mesh) if p.key == "sales.orders")
    with open_registry(url) as registry:
        register(registry, edited)
    result = diff_against_registry(path, mesh)
    assert result.required == "major" and not result.bump_ok
    certification = product_certification(mesh, "sales.orders", fresh=True).certification
    assert certification.status == "NOT COMPLIANT"
    assert {v.policy for v in certification.blocking} == {"contract-version-bump", "contract-lifecycle"}

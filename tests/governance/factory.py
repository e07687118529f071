"""A small, realistic mesh written to disk for governance tests and the benchmark.

Every product complies with the built-in pack unless a test edits it: an owner team and support channel,
a PII property classified and masked, completeness rules, latency and retention SLAs, primary keys and
descriptions everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def dump(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML to ``path`` (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return path


def contract(domain: str, product: str, port: str, *, pii: bool = False, columns: int = 4) -> dict[str, Any]:
    """An ODCS v3.1.0 output contract ``<domain>.<product>.<port>`` with a key, PII and quality rules."""
    properties: list[dict[str, Any]] = [
        {
            "name": f"{port}_id",
            "logicalType": "integer",
            "physicalType": "BIGINT",
            "primaryKey": True,
            "primaryKeyPosition": 1,
            "required": True,
            "unique": True,
            "description": f"Identifier of the {port} record.",
            "quality": [{"metric": "nullValues", "mustBe": 0, "dimension": "completeness"}],
        },
        {
            "name": "updated_at",
            "logicalType": "timestamp",
            "physicalType": "TIMESTAMP",
            "required": True,
            "description": "When the record last changed.",
        },
    ]
    if pii:
        properties.append(
            {
                "name": "email",
                "logicalType": "string",
                "physicalType": "VARCHAR",
                "classification": "restricted",
                "tags": ["pii"],
                "description": "Contact e-mail address.",
                "customProperties": [{"property": "quantaMask", "value": "hash"}],
            }
        )
    for index in range(columns - len(properties)):
        properties.append(
            {
                "name": f"metric_{index}",
                "logicalType": "number",
                "physicalType": "DOUBLE",
                "description": f"Measure number {index}.",
                "logicalTypeOptions": {"minimum": 0},
            }
        )
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": f"{domain}.{product}.{port}",
        "name": f"{product} {port}",
        "version": "1.0.0",
        "status": "active",
        "domain": domain,
        "description": {"purpose": f"The {port} of {product}, one row per {port}."},
        "schema": [
            {
                "name": port,
                "physicalType": "table",
                "description": f"One row per {port}.",
                "properties": properties,
                "quality": [{"metric": "rowCount", "mustBeGreaterThan": 0, "dimension": "completeness"}],
            }
        ],
        "slaProperties": [
            {"property": "latency", "value": 1, "unit": "d", "element": f"{port}.updated_at"},
            {"property": "retention", "value": 5, "unit": "y"},
        ],
        "team": {"name": f"{domain}-team"},
    }


def product(domain: str, name: str, ports: list[str], inputs: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """An ODPS v1.0.0 product with a team, a support channel and one output port per name in ``ports``."""
    return {
        "apiVersion": "v1.0.0",
        "kind": "DataProduct",
        "id": f"{domain}.{name}",
        "name": name,
        "version": "1.0.0",
        "status": "active",
        "domain": domain,
        "description": {"purpose": f"The {name} product."},
        "team": {
            "name": f"{domain}-team",
            "members": [{"username": f"owner@{domain}.example", "role": "owner"}],
        },
        "support": [{"channel": f"#{domain}-data", "tool": "slack", "url": f"https://chat.example/{domain}"}],
        "inputPorts": [{"name": port, "version": "1.0.0", "contractId": cid} for port, cid in inputs],
        "outputPorts": [
            {"name": port, "version": "1.0.0", "type": "tables", "contractId": f"{domain}.{name}.{port}"}
            for port in ports
        ],
    }


def write_product(
    root: Path, domain: str, name: str, ports: list[str], *, pii: bool = False, **kwargs
) -> Path:
    """Write a product and its output contracts; return the product folder."""
    folder = root / "domains" / domain / name
    dump(folder / "product.odps.yaml", product(domain, name, ports, **kwargs))
    for port in ports:
        dump(folder / "contracts" / f"{port}.odcs.yaml", contract(domain, name, port, pii=pii))
        transform = folder / "transforms" / f"{port}.sql"
        transform.parent.mkdir(parents=True, exist_ok=True)
        transform.write_text(f"SELECT 1 AS {port}_id, current_timestamp AS updated_at\n", encoding="utf-8")
    return folder


def write_mesh(root: Path, *, builtin: bool = True) -> Path:
    """A three-product mesh: ``sales.customers`` (with PII), ``sales.orders``, ``marketing.segments``."""
    dump(
        root / "mesh.yaml",
        {"name": "shop", "policies": ["quanta:builtin", "policies"] if builtin else ["policies"]},
    )
    dump(root / "domains" / "sales" / "domain.yaml", {"name": "sales", "owner": "sales-team"})
    dump(root / "domains" / "marketing" / "domain.yaml", {"name": "marketing", "owner": "marketing-team"})
    write_product(root, "sales", "customers", ["customers"], pii=True)
    write_product(root, "sales", "orders", ["orders"])
    write_product(
        root, "marketing", "segments", ["segments"], inputs=[("customers", "sales.customers.customers")]
    )
    return root


def write_scaled_mesh(root: Path, products: int = 200, domains: int = 20) -> Path:
    """A generated mesh of ``products`` products over ``domains`` domains (benchmark input)."""
    dump(root / "mesh.yaml", {"name": "scale", "policies": ["quanta:builtin"]})
    for index in range(products):
        domain = f"domain{index % domains:02d}"
        dump(root / "domains" / domain / "domain.yaml", {"name": domain, "owner": f"{domain}-team"})
        write_product(root, domain, f"product{index:03d}", ["main"], pii=index % 3 == 0)
    return root

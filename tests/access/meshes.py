"""A small, real mesh for the access tests: 6 ports in 3 domains, 6 teams, PII properties, Delta tables.

Ports (``domain.product.port``), owners and what is sensitive:

==================================  ===========  ===============================  =======================
port                                owner        sensitive properties (mask)      approval
==================================  ===========  ===============================  =======================
operations.flights.flights          ops          tailnum (pii tag, hash),         owner team
                                                 pilot (confidential, null)
operations.flights.delays           ops          —                                quantaAutoApprove (ODPS)
hr.people.employees                 finance      email (pii, hash),               fiona, then gus
                                                 salary (restricted, null)        (two-level roles)
hr.people.headcount                 finance      —                                owner team / fiona
reference.airports.airports         refdata      —                                quantaAutoApprove (ODCS)
reference.carriers.carriers         refdata      phone (pii, hash)                owner team
==================================  ===========  ===============================  =======================

Teams: ``ops`` {olga} and ``analytics`` {ana, bob} in ``mesh.yaml``; ``finance`` {fiona} and
``governance`` {gus} in ``teams/``; ``refdata`` {rita} from the ODPS ``team`` of the reference products.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

#: The published rows of every port (what an unmasked read returns).
DATA: dict[str, dict[str, list[Any]]] = {
    "operations.flights.flights": {
        "flight": [1, 2, 3, 4],
        "carrier": ["UA", "AA", "UA", "DL"],
        "origin": ["JFK", "LGA", "JFK", "EWR"],
        "tailnum": ["N101", "N202", "N303", None],
        "pilot": ["Ann", "Ben", "Cid", "Dee"],
    },
    "operations.flights.delays": {"carrier": ["UA", "AA", "DL"], "avg_delay": [12.5, 3.0, 7.25]},
    "hr.people.employees": {
        "id": [1, 2, 3],
        "name": ["Fiona", "Olga", "Ana"],
        "email": ["f@q.org", "o@q.org", "a@q.org"],
        "salary": [100.0, 90.0, 80.0],
    },
    "hr.people.headcount": {"team": ["ops", "finance"], "people": [12, 4]},
    "reference.airports.airports": {"faa": ["JFK", "LGA", "EWR"], "name": ["Kennedy", "LaGuardia", "Newark"]},
    "reference.carriers.carriers": {"carrier": ["UA", "AA", "DL"], "phone": ["555-1", "555-2", "555-3"]},
}

#: For each port: (a non-sensitive column, a sensitive column or None).
COLUMNS: dict[str, tuple[str, str | None]] = {
    "operations.flights.flights": ("carrier", "tailnum"),
    "operations.flights.delays": ("avg_delay", None),
    "hr.people.employees": ("name", "email"),
    "hr.people.headcount": ("people", None),
    "reference.airports.airports": ("name", None),
    "reference.carriers.carriers": ("carrier", "phone"),
}

_PROPERTIES: dict[str, list[dict[str, Any]]] = {
    "operations.flights.flights": [
        {"name": "flight", "logicalType": "integer"},
        {"name": "carrier", "logicalType": "string"},
        {"name": "origin", "logicalType": "string"},
        {"name": "tailnum", "logicalType": "string", "tags": ["PII"]},
        {
            "name": "pilot",
            "logicalType": "string",
            "classification": "confidential",
            "customProperties": [{"property": "quantaMask", "value": "null"}],
        },
    ],
    "operations.flights.delays": [
        {"name": "carrier", "logicalType": "string"},
        {"name": "avg_delay", "logicalType": "number"},
    ],
    "hr.people.employees": [
        {"name": "id", "logicalType": "integer"},
        {"name": "name", "logicalType": "string"},
        {"name": "email", "logicalType": "string", "tags": ["pii"]},
        {
            "name": "salary",
            "logicalType": "number",
            "classification": "restricted",
            "customProperties": [{"property": "quantaMask", "value": "null"}],
        },
    ],
    "hr.people.headcount": [
        {"name": "team", "logicalType": "string"},
        {"name": "people", "logicalType": "integer"},
    ],
    "reference.airports.airports": [
        {"name": "faa", "logicalType": "string"},
        {"name": "name", "logicalType": "string", "classification": "public"},
    ],
    "reference.carriers.carriers": [
        {"name": "carrier", "logicalType": "string"},
        {"name": "phone", "logicalType": "string", "tags": ["pii"]},
    ],
}


def _yaml(path: Path, data: Any) -> None:
    from ruamel.yaml import YAML

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(data, handle)


def contract(port: str, version: str = "1.0.0") -> dict[str, Any]:
    """The ODCS contract of a port of this mesh (at ``version``)."""
    domain, _, name = port.split(".")
    data: dict[str, Any] = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": port,
        "name": name,
        "version": version,
        "status": "active",
        "domain": domain,
        "schema": [{"name": name, "logicalType": "object", "properties": _PROPERTIES[port]}],
    }
    if port == "hr.people.employees":
        data["roles"] = [
            {
                "role": "hr_reader",
                "access": "read",
                "firstLevelApprovers": "fiona",
                "secondLevelApprovers": "governance",
            }
        ]
    if port == "hr.people.headcount":
        data["roles"] = [{"role": "hr_stats", "access": "read", "firstLevelApprovers": "fiona"}]
    if port == "reference.airports.airports":
        data["customProperties"] = [{"property": "quantaAutoApprove", "value": True}]
    return data


def write_mesh(root: Path, *, publish: bool = True) -> Path:
    """Write the mesh under ``root`` (and publish every port as a Delta table); return ``root``."""
    _yaml(
        root / "mesh.yaml",
        {
            "name": "accesstest",
            "teams": [
                {"name": "ops", "members": ["olga"]},
                {"name": "analytics", "description": "Analysts", "members": ["ana", {"username": "bob"}]},
            ],
        },
    )
    _yaml(root / "teams" / "finance.yaml", {"name": "finance", "members": ["fiona"]})
    _yaml(root / "teams" / "governance.yaml", {"members": [{"username": "gus", "role": "steward"}]})
    owners = {"operations": "ops", "hr": "finance", "reference": "refdata"}
    products: dict[tuple[str, str], list[str]] = {}
    for port in DATA:
        domain, product, name = port.split(".")
        products.setdefault((domain, product), []).append(name)
    for domain, owner in owners.items():
        _yaml(root / "domains" / domain / "domain.yaml", {"name": domain, "owner": owner})
    for (domain, product), ports in products.items():
        folder = root / "domains" / domain / product
        descriptor: dict[str, Any] = {
            "apiVersion": "v1.0.0",
            "kind": "DataProduct",
            "id": f"{domain}.{product}",
            "name": product,
            "status": "active",
            "domain": domain,
            "outputPorts": [],
        }
        if domain == "reference":
            descriptor["team"] = {"name": "refdata", "members": [{"username": "rita", "role": "owner"}]}
        for name in ports:
            key = f"{domain}.{product}.{name}"
            entry: dict[str, Any] = {"name": name, "version": "1.0.0", "contractId": key, "type": "tables"}
            if key == "operations.flights.delays":
                entry["customProperties"] = [{"property": "quantaAutoApprove", "value": "true"}]
            descriptor["outputPorts"].append(entry)
            _yaml(folder / "contracts" / f"{name}.odcs.yaml", contract(key))
            (folder / "transforms").mkdir(parents=True, exist_ok=True)
            (folder / "transforms" / f"{name}.sql").write_text("SELECT 1 AS x\n")
        _yaml(folder / "product.odps.yaml", descriptor)
    if publish:
        for port in DATA:
            publish_port(root, port)
    return root


def publish_port(root: Path, port: str, data: dict[str, list[Any]] | None = None) -> None:
    """Append one version of ``port``'s Delta table (the rows of :data:`DATA` unless given)."""
    from deltalake import write_deltalake

    domain, product, name = port.split(".")
    location = root / ".quanta" / "tables" / domain / product / name
    location.parent.mkdir(parents=True, exist_ok=True)
    write_deltalake(str(location), pa.table(data or DATA[port]), mode="append")

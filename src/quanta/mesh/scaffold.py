"""Scaffolding: an empty mesh (``quanta init``) and a new product (``quanta new product``).

The files written are valid ODPS v1.0.0 / ODCS v3.1.0 documents that pass strict lint, so a team starts
from something that builds and only fills in its own logic.
"""

from __future__ import annotations

import re
from pathlib import Path

from quanta.errors import UsageError
from quanta.mesh.config import MESH_FILE

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

MESH_TEMPLATE = """\
# Quanta mesh configuration. Every field is optional; the values below are the defaults.
name: {name}
storage: .quanta/tables                    # published Delta tables: <storage>/<domain>/<product>/<port>
registry: sqlite:///.quanta/registry.db    # or postgresql+psycopg://...; QUANTA_REGISTRY_URL wins
engine: duckdb
lineage:
  transport: file                          # or http (with url:), or none
  path: .quanta/lineage.jsonl
policies: [policies]
"""

GITIGNORE = ".quanta/\nsources/\n"

DOMAIN_TEMPLATE = """\
name: {domain}
description: The {domain} domain.
owner: {domain}-team
"""

DESCRIPTOR_TEMPLATE = """\
apiVersion: v1.0.0
kind: DataProduct
id: {domain}.{name}
name: {name}
version: 0.1.0
status: draft
domain: {domain}
description:
  purpose: Describe what {name} offers and to whom.
team:
  name: {domain}-team
  members:
    - username: owner@example.com
      role: owner
support:
  - channel: "#{domain}-data"
    tool: slack
    scope: interactive
    url: https://chat.example.com/{domain}-data
inputPorts:
  - name: raw
    version: 1.0.0
    contractId: source.{domain}.{name}
outputPorts:
  - name: {name}
    description: The {name} table.
    type: tables
    version: 1.0.0
    contractId: {domain}.{name}.{name}
"""

SOURCE_CONTRACT_TEMPLATE = """\
apiVersion: v3.1.0
kind: DataContract
id: source.{domain}.{name}
name: {name} source
version: 1.0.0
status: draft
domain: {domain}
description:
  purpose: Raw {name} records, as delivered; checked on the way in (available, schema not drifted).
servers:
  - server: local
    type: local
    path: sources/{domain}/{name}.csv
    format: csv
schema:
  - name: raw
    physicalType: table
    description: One row per raw {name} record.
    properties:
      - name: id
        logicalType: integer
        primaryKey: true
        primaryKeyPosition: 1
        required: true
        description: Identifier of the record.
      - name: label
        logicalType: string
        description: A label for the record.
"""

OUTPUT_CONTRACT_TEMPLATE = """\
apiVersion: v3.1.0
kind: DataContract
id: {domain}.{name}.{name}
name: {name}
version: 1.0.0
status: draft
domain: {domain}
description:
  purpose: What consumers of {domain}.{name}.{name} can rely on.
schema:
  - name: {name}
    physicalType: table
    description: One row per {name} record.
    properties:
      - name: id
        logicalType: integer
        primaryKey: true
        primaryKeyPosition: 1
        required: true
        unique: true
        description: Identifier of the record.
      - name: label
        logicalType: string
        description: A label for the record.
    quality:
      - type: library
        metric: rowCount
        mustBeGreaterThan: 0
        severity: error
        dimension: completeness
slaProperties:
  - property: latency
    value: 1
    unit: d
  - property: retention
    value: 1
    unit: y
"""

TRANSFORM_TEMPLATE = """\
-- The {name} output port of {domain}.{name}. Input ports appear as tables named after the port.
SELECT
    id,
    label
FROM raw
"""

SOURCE_SAMPLE = "id,label\n1,first\n2,second\n"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def init_mesh(directory: str | Path, *, name: str | None = None) -> Path:
    """Create an empty mesh in ``directory``: ``mesh.yaml``, ``domains/``, ``policies/``, ``.gitignore``.

    Args:
        directory: the folder to create or fill; it must not already hold a ``mesh.yaml``.
        name: the mesh name (default: the folder name).

    Returns:
        The mesh folder.

    Raises:
        UsageError: the folder already holds a mesh.
    """
    root = Path(directory)
    if (root / MESH_FILE).exists():
        raise UsageError(f"{root / MESH_FILE} already exists: {root} is already a mesh")
    root.mkdir(parents=True, exist_ok=True)
    mesh_name = name or re.sub(r"[^A-Za-z0-9_-]", "-", root.resolve().name) or "mesh"
    for folder in ("domains", "policies"):
        (root / folder).mkdir(exist_ok=True)
    if not (root / ".gitignore").exists():
        _atomic_write(root / ".gitignore", GITIGNORE)
    _atomic_write(root / MESH_FILE, MESH_TEMPLATE.format(name=mesh_name))
    return root


def new_product(mesh_root: Path, domain: str, name: str) -> list[Path]:
    """Scaffold product ``domain.name``: descriptor, source and output contracts, SQL transform, sample data.

    The domain folder (with ``domain.yaml``) is created when missing.

    Args:
        mesh_root: the mesh folder.
        domain: domain name (lower case letters, digits, ``_``).
        name: product name (same rule).

    Returns:
        The files written.

    Raises:
        UsageError: a name is not a valid identifier or the product exists.
    """
    for label, value in (("domain", domain), ("product", name)):
        if not _NAME.match(value):
            raise UsageError(
                f"{label} name {value!r} is not valid: use lower case letters, digits and _, "
                "starting with a letter"
            )
    folder = mesh_root / "domains" / domain / name
    if folder.exists():
        raise UsageError(f"{folder} already exists")
    values = {"domain": domain, "name": name}
    files = {
        folder / "product.odps.yaml": DESCRIPTOR_TEMPLATE,
        folder / "contracts" / f"source.{name}.odcs.yaml": SOURCE_CONTRACT_TEMPLATE,
        folder / "contracts" / f"{name}.odcs.yaml": OUTPUT_CONTRACT_TEMPLATE,
        folder / "transforms" / f"{name}.sql": TRANSFORM_TEMPLATE,
    }
    domain_file = mesh_root / "domains" / domain / "domain.yaml"
    if not domain_file.exists():
        files[domain_file] = DOMAIN_TEMPLATE
    sample = mesh_root / "sources" / domain / f"{name}.csv"
    if not sample.exists():
        files[sample] = SOURCE_SAMPLE
    for path, template in files.items():
        _atomic_write(path, template.format(**values) if template is not SOURCE_SAMPLE else template)
    return sorted(files)

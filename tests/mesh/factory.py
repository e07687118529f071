"""Write small synthetic meshes for tests and benchmarks: products with SQL transforms over tiny CSVs.

Every product written here is a real mesh product (ODPS descriptor, ODCS contracts, transform); the
builder of a test chooses the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from quanta.mesh.scaffold import init_mesh

DESCRIPTOR = """\
apiVersion: v1.0.0
kind: DataProduct
id: {domain}.{name}
name: {name}
version: 1.0.0
status: active
domain: {domain}
inputPorts:
{inputs}
outputPorts:
  - name: {port}
    version: {version}
    contractId: {domain}.{name}.{port}
"""

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: {id}
name: {name}
version: {version}
status: active
{servers}schema:
  - name: {name}
    physicalType: table
    properties:
      - name: id
        logicalType: integer
        required: true
      - name: value
        logicalType: integer
"""


def new_mesh(root: Path, name: str = "test") -> Path:
    """Create an empty mesh at ``root``."""
    return init_mesh(root, name=name)


def add_source(root: Path, name: str, rows: int = 3) -> Path:
    """Write ``sources/<name>.csv`` with columns ``id,value`` and ``rows`` rows."""
    path = root / "sources" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,value\n" + "".join(f"{i},{i * 10}\n" for i in range(1, rows + 1)))
    return path


def add_product(
    root: Path,
    domain: str,
    name: str,
    *,
    source: str | None = None,
    reads: Sequence[tuple[str, str, str]] = (),
    sql: str | None = None,
    version: str = "1.0.0",
    quality: str = "",
) -> Path:
    """Write product ``domain.name`` with one output port named like the product.

    Args:
        root: the mesh folder.
        domain: domain name.
        name: product name (also the output port's name).
        source: read ``sources/<source>.csv`` through a source contract (input port ``raw``).
        reads: ``(input port, contract id, version)`` of upstream output ports to read.
        sql: the transform (default: ``SELECT * FROM raw`` or a union of the inputs).
        version: the output port's and contract's version.
        quality: YAML lines appended to the output contract's schema object (indented 4 spaces).

    Returns:
        The product folder.
    """
    folder = root / "domains" / domain / name
    (folder / "contracts").mkdir(parents=True, exist_ok=True)
    (folder / "transforms").mkdir(parents=True, exist_ok=True)
    inputs = []
    if source:
        inputs.append(f"  - name: raw\n    version: 1.0.0\n    contractId: source.{source}")
        servers = (
            f"servers:\n  - server: local\n    type: local\n    path: sources/{source}.csv\n    format: csv\n"
        )
        (folder / "contracts" / f"source.{source}.odcs.yaml").write_text(
            CONTRACT.format(id=f"source.{source}", name=source, version="1.0.0", servers=servers)
        )
    inputs += [f"  - name: {port}\n    version: {ver}\n    contractId: {cid}" for port, cid, ver in reads]
    (folder / "product.odps.yaml").write_text(
        DESCRIPTOR.format(
            domain=domain, name=name, port=name, version=version, inputs="\n".join(inputs) or "  []"
        )
    )
    contract = CONTRACT.format(id=f"{domain}.{name}.{name}", name=name, version=version, servers="")
    (folder / "contracts" / f"{name}.odcs.yaml").write_text(contract + quality)
    names = (["raw"] if source else []) + [port for port, _, _ in reads]
    default = (
        "\nUNION ALL\n".join(f"SELECT id, value FROM {n}" for n in names) or "SELECT 1 AS id, 1 AS value"
    )
    (folder / "transforms" / f"{name}.sql").write_text((sql or default) + "\n")
    return folder


def five_product_mesh(root: Path) -> Path:
    """A mesh at ``root``: a and b read sources; c unions a and b; d reads c; e reads b (another branch)."""
    root = new_mesh(root)
    add_source(root, "s1", rows=3)
    add_source(root, "s2", rows=2)
    add_product(root, "one", "a", source="s1")
    add_product(root, "one", "b", source="s2")
    add_product(root, "two", "c", reads=[("a", "one.a.a", "1.0.0"), ("b", "one.b.b", "1.0.0")])
    add_product(
        root, "two", "d", reads=[("c", "two.c.c", "1.0.0")], sql="SELECT id, value * 2 AS value FROM c"
    )
    add_product(root, "three", "e", reads=[("b", "one.b.b", "1.0.0")])
    return root

"""Content fingerprints: what decides that a product is unchanged and its build can be skipped.

A product's *content* fingerprint hashes the bytes of its descriptor, contracts and transforms. A
*run* fingerprint adds the identity of every input snapshot: the Delta version of each upstream port,
and for a source the size and modification time of its files. An unchanged run fingerprint is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from quanta.mesh.workspace import ProductSpec

#: Bumped when the fingerprint recipe changes, so every product rebuilds once.
FINGERPRINT_FORMAT = "quanta-fingerprint-1"


def content_fingerprint(product: ProductSpec) -> str:
    """Return the SHA-256 (hex) of the product's descriptor, contracts and transforms.

    File paths enter relative to the product folder, so moving a mesh does not change it.
    """
    digest = hashlib.sha256(FINGERPRINT_FORMAT.encode())
    for path in product.files():
        digest.update(b"\0" + str(path.relative_to(product.path)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_fingerprint(content: str, inputs: Mapping[str, str | None]) -> str | None:
    """Return the fingerprint of one run: content plus input snapshot identities.

    Args:
        content: the product's content fingerprint.
        inputs: input port name → snapshot identity (e.g. ``"operations.flights/flights@3"``); ``None``
            when an input's identity cannot be known (a database source), which makes the run always due.

    Returns:
        The hex digest, or ``None`` when some input has no identity.
    """
    if any(value is None for value in inputs.values()):
        return None
    digest = hashlib.sha256(content.encode())
    for name in sorted(inputs):
        digest.update(f"\0{name}={inputs[name]}".encode())
    return digest.hexdigest()


def source_identity(mesh_root: Path, server: Mapping[str, object]) -> str | None:
    """Return the identity of a source's current data, or ``None`` when it cannot be known cheaply.

    ``local`` and ``sqlite``/``duckdb`` servers are identified by the size and modification time of their
    files (every file, for a folder or a glob); other servers (PostgreSQL) have no identity, so products
    reading them are always rebuilt. Sources on object storage (``s3``) are identified by the build, which
    can reach the store (``quanta.build.state.source_identity``): here they have none.

    Args:
        mesh_root: the mesh folder, against which relative paths resolve.
        server: the contract's ``servers[]`` entry.
    """
    kind = str(server.get("type") or "")
    raw = server.get("path") or server.get("location") or server.get("database")
    if kind not in {"local", "sqlite", "duckdb"} or not raw:
        return None
    pattern = str(raw)
    base = Path(pattern) if Path(pattern).is_absolute() else mesh_root / pattern
    if any(ch in pattern for ch in "*?["):
        files = sorted(base.parent.glob(base.name))
    elif base.is_dir():
        files = sorted(p for p in base.rglob("*") if p.is_file())
    else:
        files = [base] if base.exists() else []
    if not files:
        return "missing"
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        name = (
            path.relative_to(mesh_root) if path.is_relative_to(mesh_root) else path
        )  # a moved mesh is unchanged
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]

"""References between ODPS products and ODCS contracts (the mesh rules of ``quanta lint``).

* Inside a mesh (the nearest folder upwards holding ``mesh.yaml``): every output port's ``contractId``
  must be the ``id`` of an ODCS contract in the mesh, and every input port's ``contractId`` must be an
  output contract of some product or a *source contract* (a contract in the product's own folder that no
  output port uses). An unresolved reference is an **error** naming the product file and the mesh.
* Outside a mesh: references are resolved against the product file's folder and its subfolders, and an
  unresolved one is a **warning** (the contracts may live elsewhere).
* A port ``version`` whose major differs from the contract's major ``version`` is a warning: real
  products version their ports on their own.

* Inside a mesh, no two contracts share an ``id`` (except files of one product folder at different
  major versions: a port published at two majors side by side), and relationships that name an object
  of another contract are resolved against every contract of the mesh (:func:`mesh_objects`).
* An input port that reads a retired contract version (``status: retired`` or past its ``endOfLife``)
  is an error naming both files (the build would refuse it too).

Codes: ``odps.unresolved-contract``, ``odps.port-version``, ``odps.retired-input``,
``odcs.duplicate-contract-id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, SpecError
from quanta.spec.sunset import Lifecycle, contract_lifecycle

MESH_FILE = "mesh.yaml"


@dataclass(frozen=True)
class ContractRef:
    """Where a contract id is defined: its file, its ``version`` and its lifecycle (see ``sunset``)."""

    file: Path
    version: str | None
    lifecycle: Lifecycle | None = None


def find_mesh_root(start: Path) -> Path | None:
    """Return the nearest folder at or above ``start`` that holds ``mesh.yaml``, or ``None``.

    Args:
        start: a file or folder.
    """
    folder = start.resolve()
    if folder.is_file() or not folder.exists():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / MESH_FILE).is_file():
            return candidate
    return None


@dataclass(frozen=True)
class MeshIndex:
    """What the reference checks need to know about every document under a root folder.

    Attributes:
        contracts: contract ``id`` → where it is defined.
        outputs: contract ``id`` → the product files whose output ports name it.
        objects: schema object name → its property names, over every contract.
    """

    contracts: dict[str, list[ContractRef]]
    outputs: dict[str, list[Path]]
    objects: dict[str, set[str]]


def mesh_objects(root: Path, *, lenient: bool = False) -> dict[str, set[str]]:
    """Return the schema objects of every contract under ``root`` (object name → property names).

    Args:
        root: a mesh root (see :func:`find_mesh_root`).
        lenient: read the contracts leniently.
    """
    return _index(root.resolve(), lenient).objects


@cache
def _index(root: Path, lenient: bool) -> MeshIndex:
    """Index every contract and product under ``root`` (read once per lint run)."""
    from quanta.spec.catalog import CONTRACT, PRODUCT
    from quanta.spec.lint import _walk, kind_from_name
    from quanta.spec.loader import load_yaml

    index = MeshIndex({}, {}, {})
    for file in _walk(root):
        try:
            data = load_yaml(file, lenient=lenient).data
        except SpecError:
            continue  # reported by the file's own lint result
        kind = data.get("kind") if data.get("kind") in (CONTRACT, PRODUCT) else kind_from_name(file)
        if kind == CONTRACT:
            _index_contract(index, file, data)
        elif kind == PRODUCT and isinstance(data.get("outputPorts"), list):
            for port in data["outputPorts"]:
                if isinstance(port, dict) and isinstance(port.get("contractId"), str):
                    index.outputs.setdefault(port["contractId"], []).append(file)
    return index


def _index_contract(index: MeshIndex, file: Path, data: dict) -> None:
    if isinstance(data.get("id"), str):
        version = data.get("version")
        index.contracts.setdefault(data["id"], []).append(
            ContractRef(file, None if version is None else str(version), contract_lifecycle(data))
        )
    for obj in data.get("schema") if isinstance(data.get("schema"), list) else []:
        if isinstance(obj, dict) and isinstance(obj.get("name"), str):
            props = obj.get("properties") if isinstance(obj.get("properties"), list) else []
            names = {p["name"] for p in props if isinstance(p, dict) and isinstance(p.get("name"), str)}
            index.objects.setdefault(obj["name"], set()).update(names)


def duplicate_contract_ids(contract: Any, mesh: Path, *, lenient: bool = False) -> list[Diagnostic]:
    """Report a contract whose ``id`` another contract of the mesh also uses (``odcs.duplicate-contract-id``).

    Args:
        contract: a loaded :class:`~quanta.spec.Contract` with its ``path``.
        mesh: the mesh root the contract lives in.
        lenient: read the other contracts leniently.

    Returns:
        One error naming the other files, or nothing.
    """
    if not contract.id or contract.path is None:
        return []
    refs = _index(mesh.resolve(), lenient).contracts.get(contract.id, [])
    here = Path(contract.path).resolve()
    mine = _major(contract.version)
    others = [
        str(r.file)
        for r in refs
        if r.file.resolve() != here
        and not (r.file.resolve().parent == here.parent and mine and _major(r.version) not in (None, mine))
    ]
    if not others:
        return []
    line, column = contract.source.position(("id",))
    message = (
        f"contract id {contract.id!r} is also used by {', '.join(others)}; every contract of a mesh needs "
        "its own id (<domain>.<product>.<port>, or source.<name>)"
    )
    return [
        Diagnostic("odcs.duplicate-contract-id", message, "error", "id", line, column, str(contract.path))
    ]


def _major(version: object) -> str | None:
    text = str(version).lstrip("vV") if version is not None else ""
    head = text.split(".", 1)[0]
    return head if head.isdigit() else None


def check_product_references(product_file: Path, *, lenient: bool = False) -> list[Diagnostic]:
    """Check the contract references of one product file.

    Args:
        product_file: an ODPS product file.
        lenient: read the contracts leniently while indexing them.

    Returns:
        Errors (inside a mesh) or warnings (outside one) for unresolved references, and warnings for
        port versions whose major differs from the contract's.
    """
    from quanta.spec.loader import load_yaml
    from quanta.spec.paths import format_path

    try:
        loaded = load_yaml(product_file, lenient=lenient)
    except SpecError:
        return []
    mesh = find_mesh_root(product_file)
    scope = mesh or product_file.resolve().parent
    index = _index(scope.resolve(), lenient)
    contracts, outputs = index.contracts, index.outputs
    own_folder = product_file.resolve().parent
    severity = "error" if mesh else "warning"
    where = f"the mesh at {mesh}" if mesh else f"{scope} (no {MESH_FILE} above this product)"
    found: list[Diagnostic] = []

    def report(code: str, message: str, path: tuple, level: str) -> None:
        line, column = loaded.position(path)
        found.append(Diagnostic(code, message, level, format_path(path), line, column, str(product_file)))  # type: ignore[arg-type]

    data = loaded.data
    for direction in ("outputPorts", "inputPorts"):
        ports = data.get(direction)
        if not isinstance(ports, list):
            continue
        for i, port in enumerate(ports):
            if not isinstance(port, dict) or not isinstance(port.get("contractId"), str):
                continue
            cid, name = port["contractId"], port.get("name", f"#{i}")
            path = (direction, i, "contractId")
            refs = contracts.get(cid, [])
            if direction == "inputPorts" and refs:
                # an input names an output contract of some product, or a source contract of its own
                is_output = cid in outputs
                is_source = any(_inside(r.file, own_folder) for r in refs) and not is_output
                if not (is_output or is_source):
                    refs = []
            if not refs:
                kind = (
                    "ODCS contract"
                    if direction == "outputPorts"
                    else "output contract of a product or source contract of this product"
                )
                report(
                    "odps.unresolved-contract",
                    f"{direction[:-5]} port {name!r} names contractId {cid!r}, "
                    f"but no {kind} in {where} has that id; add the contract or fix the id",
                    path,
                    severity,
                )
                continue
            port_major = _major(port.get("version"))
            same = [r for r in refs if _major(r.version) == port_major] if port_major else []
            contract_major = _major(refs[0].version)
            if direction == "inputPorts" and cid in outputs and same and data.get("status") != "retired":
                retired = [r for r in same if r.lifecycle is not None and r.lifecycle.retired]
                if len(retired) == len(same):
                    report(
                        "odps.retired-input",
                        f"input port {name!r} reads contract {cid!r} version {port.get('version')}, which is "
                        f"retired ({retired[0].lifecycle.reason}) in {retired[0].file}; move to a newer "
                        "major version of the port or remove the input port",
                        (direction, i, "version"),
                        severity,
                    )
            if port.get("version") is not None and port_major and contract_major and not same:
                report(
                    "odps.port-version",
                    f"{direction[:-5]} port {name!r} has version {port['version']} but "
                    f"contract {cid!r} ({refs[0].file}) is at version {refs[0].version}; the major versions "
                    "differ",
                    (direction, i, "version"),
                    "warning",
                )
    return found


def _inside(file: Path, folder: Path) -> bool:
    try:
        file.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def clear_cache() -> None:
    """Forget the indexes of mesh folders (``lint_paths`` calls it, since files may have changed)."""
    _index.cache_clear()


def check_references(product_files: list[Path], *, lenient: bool = False) -> dict[str, list[Diagnostic]]:
    """Check the references of several product files.

    Args:
        product_files: ODPS product files.
        lenient: read contracts leniently while indexing them.

    Returns:
        Diagnostics by product file (as the string given).
    """
    return {str(f): check_product_references(f, lenient=lenient) for f in product_files}

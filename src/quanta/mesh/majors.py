"""Output ports listed at several major versions: published names and the contract of each listing.

See :mod:`quanta.mesh.workspace` for the layout. A port ``name`` listed once is published under that
name; listed at several majors, the lowest keeps it and each later major ``N`` becomes ``<name>_vN``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.errors import ConfigError

if TYPE_CHECKING:
    from quanta.mesh.workspace import ProductSpec
    from quanta.spec import Contract


def major_of(version: Any) -> int | None:
    """The major number of a ``MAJOR.MINOR.PATCH`` version (a leading ``v`` allowed), or ``None``."""
    head = str(version or "").strip().lstrip("vV").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def published_names(product: ProductSpec, ports: list[dict[str, Any]]) -> list[str | None]:
    """The published name of each output port listing (``None`` where the name or version is missing).

    A name listed once is published as is; listed at several majors, the lowest keeps the name and each
    later major ``N`` becomes ``<name>_vN``.

    Raises:
        ConfigError: one name listed twice at the same major version.
    """
    majors: dict[str, dict[int, int]] = {}
    for index, port in enumerate(ports):
        name, major = port.get("name"), major_of(port.get("version"))
        if not name or major is None:
            continue
        seen = majors.setdefault(str(name), {})
        if major in seen:
            raise ConfigError(
                f"{product.where('outputPorts', index, 'version')}: output port {name!r} is listed twice at "
                f"major version {major} (also outputPorts[{seen[major]}]); list each major version once"
            )
        seen[major] = index
    names: list[str | None] = []
    for port in ports:
        name, major = port.get("name"), major_of(port.get("version"))
        listed = majors.get(str(name), {})
        if name and major is not None and len(listed) > 1 and major != min(listed):
            names.append(f"{name}_v{major}")
        else:
            names.append(None if not name else str(name))
    return names


def port_contract(product: ProductSpec, index: int, contract_id: str, version: str) -> Contract | None:
    """The contract an output port names: the one with its ``id`` at the port's major version.

    A contract id with a single file is used whatever its version (``quanta lint`` warns on a major
    mismatch); with several files, the port's major version chooses.

    Raises:
        ConfigError: several files share the id and none is at the port's major version.
    """
    newest = product.contracts.get(contract_id)
    candidates = [c for c, _ in product.earlier if c.id == contract_id]
    if newest is None or not candidates:
        return newest
    candidates.append(newest)
    chosen = [c for c in candidates if major_of(c.version) == major_of(version)]
    if not chosen:
        files = ", ".join(f"{product.contract_file(c)} ({c.version})" for c in candidates)
        raise ConfigError(
            f"{product.where('outputPorts', index, 'version')}: output port version {version} names contract "
            f"{contract_id!r}, which has no file at major version {major_of(version)} (files: {files})"
        )
    return chosen[0]

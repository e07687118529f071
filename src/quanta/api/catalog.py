"""The marketplace's view of the mesh's products, read from their ODPS descriptors and ODCS contracts.

The book's marketplace "minimises metadata duplication": metadata stays at its source, the product's
descriptor and contracts in git, and is read when the marketplace starts or is refreshed. The runtime
state (runs, snapshots, check results, certification, pause) comes from the registry; see
:mod:`quanta.api.services`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quanta.spec import Contract, Product
    from quanta.spec.sunset import Lifecycle

PII_CLASSIFICATIONS = frozenset({"restricted", "confidential", "pii", "sensitive"})


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    """One schema property of a port's contract, as the UI shows it.

    Attributes:
        object: the schema object (table) name.
        name: the property (column) name.
        logical_type: ODCS ``logicalType``.
        description: ODCS ``description``.
        required: ODCS ``required``.
        primary_key: ODCS ``primaryKey``.
        classification: ODCS ``classification``.
        pii: whether the property is personal or restricted data (classification or a ``pii`` tag).
        sources: ODCS ``transformSourceObjects`` (column lineage), as written.
        transform_logic: ODCS ``transformLogic``.
    """

    object: str
    name: str
    logical_type: str = ""
    description: str = ""
    required: bool = False
    primary_key: bool = False
    classification: str = ""
    pii: bool = False
    sources: tuple[str, ...] = ()
    transform_logic: str = ""


@dataclass(frozen=True, slots=True)
class PortInfo:
    """An output port with its contract.

    ``name`` is the published name (``<name>_vN`` for a later major version listed next to an earlier
    one, see :mod:`quanta.mesh.workspace`); ``lifecycle`` is judged again with ``lifecycle.at()`` when
    shown; ``successor`` names the next major version's port, if listed.
    """

    name: str
    version: str
    contract_id: str
    description: str
    type: str
    contract: Contract
    properties: tuple[PropertyInfo, ...] = ()
    lifecycle: Lifecycle | None = None
    successor: str | None = None

    @property
    def sla(self) -> list[dict[str, Any]]:
        """The contract's ``slaProperties`` as plain data."""
        return [dict(item) for item in self.contract.to_plain().get("slaProperties") or []]


@dataclass(frozen=True, slots=True)
class InputInfo:
    """An input port: ``upstream`` is the producing product's key, or ``None`` for a raw source."""

    name: str
    version: str
    contract_id: str
    upstream: str | None
    upstream_port: str | None


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """One data product of the mesh."""

    key: str
    domain: str
    name: str
    title: str
    version: str
    status: str
    purpose: str
    usage: str
    limitations: str
    tags: tuple[str, ...]
    owner: str
    descriptor: Product
    ports: tuple[PortInfo, ...]
    inputs: tuple[InputInfo, ...] = ()

    def port(self, name: str) -> PortInfo | None:
        """Return the output port called ``name``, or ``None``."""
        return next((p for p in self.ports if p.name == name), None)

    @property
    def description(self) -> str:
        """Purpose, usage and limitations in one text (for search and summaries)."""
        return " ".join(part for part in (self.purpose, self.usage, self.limitations) if part)

    @property
    def schema_text(self) -> str:
        """Every property name and description of every port, for full-text search."""
        return " ".join(
            f"{p.object} {p.name} {p.description}" for port in self.ports for p in port.properties
        )


@dataclass
class Catalog:
    """Every product of a mesh, by key ``domain.product``."""

    root: Path
    name: str
    registry_url: str | None = None
    products: dict[str, ProductInfo] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> ProductInfo | None:
        """Return the product ``key`` (``domain.product``), or ``None``."""
        return self.products.get(key)

    def downstream(self, key: str) -> list[str]:
        """Keys of the products that read an output port of ``key``."""
        return sorted(p.key for p in self.products.values() if any(i.upstream == key for i in p.inputs))


def load_catalog(mesh_root: str | Path) -> Catalog:
    """Read every product of the mesh at ``mesh_root``.

    Args:
        mesh_root: the mesh folder or a folder inside it.

    Returns:
        The catalog.

    Raises:
        ConfigError: no mesh there, or a descriptor names a contract it does not have.
        SpecError: a descriptor or contract is not valid YAML.
    """
    from quanta.mesh.workspace import load_workspace

    workspace = load_workspace(mesh_root)
    from quanta.mesh.graph import compatible

    def publisher(contract_id: str, version: str) -> tuple[str | None, str | None]:
        found = workspace.publishers(contract_id)
        chosen = next(((p, o) for p, o in found if compatible(version, o.version)), None)
        chosen = chosen or (found[-1] if found else None)
        return (chosen[0].key, chosen[1].name) if chosen else (None, None)

    catalog = Catalog(root=workspace.root, name=workspace.config.name, registry_url=workspace.config.registry)
    for domain in workspace.domains.values():
        catalog.domains[domain.name] = domain.description or ""
    for spec in workspace.products.values():
        domain = workspace.domains.get(spec.domain)
        data = spec.descriptor.to_plain()
        description = data.get("description") or {}
        if not isinstance(description, dict):
            description = {"purpose": str(description)}
        ports = tuple(_port(spec, port, data) for port in spec.output_ports)
        inputs = tuple(
            InputInfo(
                name=i.name,
                version=i.version,
                contract_id=i.contract_id,
                upstream=publisher(i.contract_id, i.version)[0] if i.source is None else None,
                upstream_port=publisher(i.contract_id, i.version)[1] if i.source is None else None,
            )
            for i in spec.input_ports
        )
        catalog.products[spec.key] = ProductInfo(
            key=spec.key,
            domain=spec.domain,
            name=spec.name,
            title=str(data.get("name") or spec.name),
            version=str(data.get("version") or ""),
            status=str(data.get("status") or ""),
            purpose=str(description.get("purpose") or ""),
            usage=str(description.get("usage") or ""),
            limitations=str(description.get("limitations") or ""),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            owner=_owner(data) or (domain.owner if domain else "") or "",
            descriptor=spec.descriptor,
            ports=ports,
            inputs=inputs,
        )
    return catalog


def _owner(data: dict[str, Any]) -> str:
    team = data.get("team")
    if isinstance(team, dict):
        return str(team.get("name") or "")
    return str(team or "")


def _port(spec: Any, port: Any, descriptor: dict[str, Any]) -> PortInfo:
    """The marketplace view of one output port listing (``port`` a ``quanta.mesh.OutputPort``)."""
    listed = descriptor.get("outputPorts") or []
    declared = listed[port.index] if port.index < len(listed) else {}
    contract = port.contract
    successor = spec.successor(port)
    return PortInfo(
        name=port.name,
        version=port.version,
        contract_id=port.contract_id,
        description=_text(declared.get("description") or contract.to_plain().get("description")),
        type=str(declared.get("type") or ""),
        contract=contract,
        properties=tuple(_properties(contract.to_plain())),
        lifecycle=spec.lifecycle(port),
        successor=None if successor is None else successor.name,
    )


def _text(value: Any) -> str:
    """ODPS/ODCS descriptions are a string or an object with ``purpose``/``usage``/``limitations``."""
    if isinstance(value, dict):
        return " ".join(str(value[k]) for k in ("purpose", "usage", "limitations") if value.get(k))
    return "" if value is None else str(value)


def _properties(contract: dict[str, Any]) -> Iterable[PropertyInfo]:
    for obj in contract.get("schema") or []:
        for prop in obj.get("properties") or []:
            classification = str(prop.get("classification") or "")
            tags = {str(t).lower() for t in prop.get("tags") or ()}
            sources = prop.get("transformSourceObjects") or ()
            yield PropertyInfo(
                object=str(obj.get("name") or ""),
                name=str(prop.get("name") or ""),
                logical_type=str(prop.get("logicalType") or ""),
                description=str(prop.get("description") or ""),
                required=bool(prop.get("required")),
                primary_key=bool(prop.get("primaryKey")),
                classification=classification,
                pii=classification.lower() in PII_CLASSIFICATIONS or "pii" in tags,
                sources=tuple(str(s) for s in sources),
                transform_logic=str(prop.get("transformLogic") or ""),
            )

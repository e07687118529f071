"""Workspace discovery: the mesh folder, its domains, products, contracts and transforms.

The layout (see ``docs/building-products.md``)::

    <mesh>/mesh.yaml
    <mesh>/domains/<domain>/domain.yaml
    <mesh>/domains/<domain>/<product>/product.odps.yaml
    <mesh>/domains/<domain>/<product>/contracts/*.odcs.yaml
    <mesh>/domains/<domain>/<product>/transforms/<outputPortName>.sql | .py

A product's output port names its contract by ``contractId``; an input port names either another
product's output contract (an edge of the product graph) or a *source contract*: a contract of the
product's own ``contracts/`` folder that no output port uses and whose ``servers`` entry says where raw
data is.

**Major versions side by side.** A descriptor may list one output port ``name`` at several major
``version`` values, all naming the same ``contractId``; ``contracts/`` then holds one file per major version
with that ``id`` (e.g. ``flights.odcs.yaml`` at ``2.0.0`` and ``flights.v1.odcs.yaml`` at ``1.4.0``), and
each listing uses the contract whose major version equals its own. The lowest major listed is published
under the port's name (as before); every later major ``N`` under ``<name>_vN`` (its table, its SQL name
``domain.product.<name>_vN``, its gateway path and its transform ``transforms/<name>_vN.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from quanta.errors import ConfigError, Diagnostic, SpecError
from quanta.mesh.config import ENGINE_NAMES, MESH_FILE, MeshConfig, load_mesh_config
from quanta.mesh.majors import major_of, port_contract, published_names

if TYPE_CHECKING:
    from datetime import datetime

    from quanta.mesh.cache import DocumentCache
    from quanta.spec import Contract, Product
    from quanta.spec.sunset import Lifecycle

DESCRIPTOR_FILE = "product.odps.yaml"
#: The descriptor's ``customProperties`` entry that pins a product to an engine.
ENGINE_PROPERTY = "quantaEngine"
DOMAIN_FILE = "domain.yaml"
TRANSFORM_SUFFIXES = (".sql", ".py")


@dataclass(frozen=True)
class Domain:
    """A domain folder.

    Attributes:
        name: the folder name (``domains/<name>``).
        path: the folder.
        description: ``description`` of ``domain.yaml``.
        owner: ``owner`` of ``domain.yaml``: the owning team's name.
        engine: ``engine`` of ``domain.yaml`` (``duckdb`` or ``spark``): the engine of the domain's
            products; ``None`` takes the mesh's.
    """

    name: str
    path: Path
    description: str | None = None
    owner: str | None = None
    engine: str | None = None


@dataclass(frozen=True)
class OutputPort:
    """An ODPS output port with its contract and transform.

    Attributes:
        name: the published name: the port ``name``, or ``<name>_v<major>`` for a later major version
            listed next to an earlier one; also the published table's last path segment.
        version: the port ``version``.
        contract_id: the ``contractId`` (= the ODCS contract ``id``).
        contract: the ODCS contract it names.
        transform: ``transforms/<name>.sql`` or ``.py``.
        index: the position in ``outputPorts[]`` (for diagnostics).
        base_name: the descriptor's ``name`` when it differs from ``name``.
    """

    name: str
    version: str
    contract_id: str
    contract: Contract
    transform: Path
    index: int
    base_name: str = ""

    @property
    def port_name(self) -> str:
        """The ``name`` written in the descriptor (``name`` is the published name, see the module doc)."""
        return self.base_name or self.name

    @property
    def major(self) -> int | None:
        """The major number of the port ``version``, or ``None`` when it is not SemVer."""
        return major_of(self.version)

    @property
    def transform_kind(self) -> Literal["sql", "python"]:
        """``"sql"`` or ``"python"``, from the transform's suffix."""
        return "python" if self.transform.suffix == ".py" else "sql"


@dataclass(frozen=True)
class InputPort:
    """An ODPS input port.

    Attributes:
        name: the port ``name``; the table name a SQL transform reads it by.
        version: the ``version`` the product expects of its upstream port.
        contract_id: the ``contractId`` it names.
        index: the position in ``inputPorts[]``.
        source: the source contract when the port reads raw data, ``None`` when it reads another product.
    """

    name: str
    version: str
    contract_id: str
    index: int
    source: Contract | None = None


@dataclass(frozen=True)
class ProductSpec:
    """One data product folder, loaded.

    Attributes:
        domain: the domain folder name.
        name: the product folder name.
        path: the product folder.
        descriptor: the ODPS descriptor.
        contracts: every contract of ``contracts/``, by ``id``.
        contract_files: the contract files, by ``id``.
        input_ports: the input ports in descriptor order.
        output_ports: the output ports in descriptor order.
        earlier: contracts of earlier major versions of an output contract (same ``id`` as one in
            ``contracts``, which holds the newest), with their files.
        engine: the engine the descriptor pins the product to (custom property ``quantaEngine``);
            ``None`` takes the domain's or the mesh's.
    """

    domain: str
    name: str
    path: Path
    descriptor: Product
    contracts: dict[str, Contract]
    contract_files: dict[str, Path]
    input_ports: tuple[InputPort, ...]
    output_ports: tuple[OutputPort, ...]
    earlier: tuple[tuple[Contract, Path], ...] = ()
    engine: str | None = None

    @property
    def key(self) -> str:
        """``domain.product``: the product's name in the mesh."""
        return f"{self.domain}.{self.name}"

    @property
    def descriptor_path(self) -> Path:
        """The ``product.odps.yaml`` file."""
        return self.path / DESCRIPTOR_FILE

    def files(self) -> list[Path]:
        """Every file whose content defines the product: descriptor, contracts and transforms, sorted."""
        files = {self.descriptor_path, *self.contract_files.values(), *(p for _, p in self.earlier)}
        files.update(port.transform for port in self.output_ports)
        return sorted(files)

    def contract_file(self, contract: Contract) -> Path | None:
        """The file of one of the product's contracts (any major version)."""
        for candidate, path in self.earlier:
            if candidate is contract:
                return path
        return self.contract_files.get(contract.id or "")

    def lifecycle(self, port: OutputPort, *, now: datetime | None = None) -> Lifecycle:
        """Where ``port`` stands in its lifecycle (see :mod:`quanta.spec.sunset`).

        A product whose descriptor ``status`` is ``retired`` retires every port; otherwise the port's
        contract decides (its ``status``, its ``endOfSupport`` and ``endOfLife`` dates at ``now``).
        """
        from quanta.spec.sunset import Lifecycle, contract_lifecycle

        found = contract_lifecycle(port.contract, now=now)
        if str(self.descriptor.data.get("status") or "") == "retired":
            return Lifecycle(
                "retired",
                found.declared,
                found.end_of_support,
                found.end_of_life,
                "product status is retired",
            )
        return found

    def publisher(self, contract_id: str) -> OutputPort:
        """The first output port naming ``contract_id`` (raises ``StopIteration`` when none does)."""
        return next(p for p in self.output_ports if p.contract_id == contract_id)

    def successor(self, port: OutputPort) -> OutputPort | None:
        """The next major version of ``port`` listed in the descriptor, or ``None``."""
        later = [
            p
            for p in self.output_ports
            if p.port_name == port.port_name and (p.major or 0) > (port.major or 0)
        ]
        return min(later, key=lambda p: p.major or 0) if later else None

    def where(self, section: str, index: int, key: str | None = None) -> str:
        """Return ``file:line:column`` of ``section[index].key`` in the descriptor (for messages)."""
        location: tuple[Any, ...] = (section, index) if key is None else (section, index, key)
        line, column = self.descriptor.source.position(location)
        return Diagnostic("", "", line=line, column=column, file=str(self.descriptor_path)).location()


@dataclass
class Workspace:
    """A mesh folder and everything declared in it.

    Attributes:
        root: the folder holding ``mesh.yaml``.
        config: the loaded ``mesh.yaml``.
        domains: the domains, by name.
        products: the products, by ``domain.product`` key, in folder order.
    """

    root: Path
    config: MeshConfig
    domains: dict[str, Domain] = field(default_factory=dict)
    products: dict[str, ProductSpec] = field(default_factory=dict)

    @property
    def storage_root(self) -> str:
        """Absolute storage root (path or URI) of the published tables."""
        return self.config.storage_root(self.root)

    def table_location(self, product: ProductSpec, port: OutputPort) -> str:
        """Return ``<storage>/<domain>/<product>/<port>``: where ``port`` is published."""
        return "/".join([self.storage_root.rstrip("/"), product.domain, product.name, port.name])

    def engine_of(self, product: ProductSpec) -> str:
        """Return the engine ``product`` runs on: its descriptor's, else its domain's, else the mesh's.

        Args:
            product: a product of this workspace.

        Returns:
            ``"duckdb"`` or ``"spark"``.
        """
        domain = self.domains.get(product.domain)
        return product.engine or (domain.engine if domain else None) or self.config.engine

    def output_contracts(self) -> dict[str, tuple[ProductSpec, OutputPort]]:
        """Map every output contract id to the product and port that publish it (its newest major)."""
        found: dict[str, tuple[ProductSpec, OutputPort]] = {}
        for product in self.products.values():
            for port in product.output_ports:
                known = found.get(port.contract_id)
                if known is None or (port.major or 0) > (known[1].major or 0):
                    found[port.contract_id] = (product, port)
        return found

    def publishers(self, contract_id: str) -> list[tuple[ProductSpec, OutputPort]]:
        """Every output port (one per major version) that publishes ``contract_id``."""
        return [
            (product, port)
            for product in self.products.values()
            for port in product.output_ports
            if port.contract_id == contract_id
        ]


def find_mesh_root(start: str | Path = ".") -> Path:
    """Return the nearest folder at or above ``start`` that holds ``mesh.yaml``.

    Raises:
        ConfigError: no folder upwards holds ``mesh.yaml``.
    """
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / MESH_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {MESH_FILE} in {here} or any folder above it: run the command inside a mesh, "
        "or create one with `quanta init DIR`"
    )


def load_workspace(start: str | Path = ".") -> Workspace:
    """Discover and load the mesh that contains ``start``.

    Args:
        start: the mesh folder or any folder inside it.

    Returns:
        The workspace with every domain and product loaded (documents are not linted here; ``quanta lint``
        does that).

    Raises:
        ConfigError: no mesh, an invalid ``mesh.yaml`` or ``domain.yaml``, a product whose port names no
            contract or has no transform, or two products publishing one contract id.
        SpecError: a descriptor or contract is not loadable YAML.
    """
    from quanta.mesh.cache import DocumentCache

    root = find_mesh_root(start)
    workspace = Workspace(root=root, config=load_mesh_config(root))
    domains_dir = root / "domains"
    if not domains_dir.is_dir():
        return workspace
    cache = DocumentCache(root)
    for domain_dir in sorted(p for p in domains_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        domain = _load_domain(domain_dir)
        workspace.domains[domain.name] = domain
        for product_dir in sorted(p for p in domain_dir.iterdir() if (p / DESCRIPTOR_FILE).is_file()):
            product = _load_product(domain.name, product_dir, cache)
            workspace.products[product.key] = product
    cache.save()
    _check_unique_contracts(workspace)
    return workspace


def _load_domain(folder: Path) -> Domain:
    path = folder / DOMAIN_FILE
    if not path.is_file():
        return Domain(name=folder.name, path=folder)
    from quanta.spec.loader import load_yaml

    try:
        loaded = load_yaml(path)
    except SpecError as error:
        raise ConfigError(error.message, diagnostics=error.diagnostics) from error
    data = loaded.data
    engine = _text(data.get("engine"))
    if engine is not None and engine not in ENGINE_NAMES:
        line, column = loaded.position(("engine",))
        where = Diagnostic("", "", line=line, column=column, file=str(path)).location()
        raise ConfigError(f"{where}: engine {engine!r} is not known; use one of {', '.join(ENGINE_NAMES)}")
    return Domain(
        name=folder.name,
        path=folder,
        description=_text(data.get("description")),
        owner=_text(data.get("owner")),
        engine=engine,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _load_product(domain: str, folder: Path, cache: DocumentCache) -> ProductSpec:
    from quanta.spec import Product
    from quanta.spec.documents import contract_from

    descriptor = Product(cache.load(folder / DESCRIPTOR_FILE), folder / DESCRIPTOR_FILE)
    contracts: dict[str, Contract] = {}
    contract_files: dict[str, Path] = {}
    earlier: list[tuple[Contract, Path]] = []
    for path in sorted((folder / "contracts").glob("*.odcs.yaml")):
        contract = contract_from(cache.load(path), path)
        if not contract.id:
            raise ConfigError(f"{path}: the contract has no `id`; add `id: {domain}.{folder.name}.<port>`")
        if contract.id in contracts:
            other = contracts[contract.id]
            if major_of(other.version) in (None, major_of(contract.version)):
                raise ConfigError(
                    f"{path}: contract id {contract.id!r} is also used by {contract_files[contract.id]}; "
                    "contract ids must be unique (two files may share an id only at different major "
                    "versions, for a port published at both)"
                )
            if (major_of(contract.version) or 0) < (major_of(other.version) or 0):
                earlier.append((contract, path))
                continue
            earlier.append((other, contract_files[contract.id]))
        contracts[contract.id] = contract
        contract_files[contract.id] = path
    product = ProductSpec(
        domain, folder.name, folder, descriptor, contracts, contract_files, (), (), tuple(earlier)
    )
    names = published_names(product, descriptor.output_ports)
    outputs = tuple(
        _output_port(product, i, port, names[i]) for i, port in enumerate(descriptor.output_ports)
    )
    used = {port.contract_id for port in outputs}
    inputs = tuple(
        _input_port(product, i, port, {k: v for k, v in contracts.items() if k not in used})
        for i, port in enumerate(descriptor.input_ports)
    )
    names = [port.name for port in inputs]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError(f"{product.where('inputPorts', i, 'name')}: two input ports are named {name!r}")
    engine = _pinned_engine(product)
    return ProductSpec(
        domain,
        folder.name,
        folder,
        descriptor,
        contracts,
        contract_files,
        inputs,
        outputs,
        tuple(earlier),
        engine,
    )


def _pinned_engine(product: ProductSpec) -> str | None:
    """The ``quantaEngine`` custom property of the descriptor (checked), or ``None``."""
    entries = product.descriptor.data.get("customProperties") or []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and entry.get("property") == ENGINE_PROPERTY:
            value = _text(entry.get("value"))
            if value not in ENGINE_NAMES:
                raise ConfigError(
                    f"{product.where('customProperties', index, 'value')}: {ENGINE_PROPERTY} {value!r} is not "
                    f"an engine; use one of {', '.join(ENGINE_NAMES)}"
                )
            return value
    return None


def _required(product: ProductSpec, section: str, index: int, port: dict[str, Any], key: str) -> str:
    value = port.get(key)
    if value in (None, ""):
        raise ConfigError(f"{product.where(section, index)}: {section}[{index}] has no `{key}`")
    return str(value)


def _output_port(product: ProductSpec, index: int, port: dict[str, Any], published: str | None) -> OutputPort:
    base = _required(product, "outputPorts", index, port, "name")
    name = published or base
    contract_id = _required(product, "outputPorts", index, port, "contractId")
    version = _required(product, "outputPorts", index, port, "version")
    contract = port_contract(product, index, contract_id, version)
    if contract is None:
        known = ", ".join(sorted(product.contracts)) or "none"
        raise ConfigError(
            f"{product.where('outputPorts', index, 'contractId')}: output port {name!r} names contract "
            f"{contract_id!r}, which is not in {product.path / 'contracts'} (contracts there: {known})"
        )
    candidates = [product.path / "transforms" / f"{name}{suffix}" for suffix in TRANSFORM_SUFFIXES]
    found = [path for path in candidates if path.is_file()]
    if not found:
        raise ConfigError(
            f"{product.where('outputPorts', index, 'name')}: output port {name!r} has no transform: "
            f"write {candidates[0]} (DuckDB SQL) or {candidates[1]} (Python)"
        )
    if len(found) > 1:
        raise ConfigError(f"{found[0]} and {found[1]} both exist: keep one transform per output port")
    return OutputPort(name, version, contract_id, contract, found[0], index, "" if name == base else base)


def _input_port(
    product: ProductSpec, index: int, port: dict[str, Any], sources: dict[str, Contract]
) -> InputPort:
    name = _required(product, "inputPorts", index, port, "name")
    contract_id = _required(product, "inputPorts", index, port, "contractId")
    version = _required(product, "inputPorts", index, port, "version")
    return InputPort(name, version, contract_id, index, sources.get(contract_id))


def _check_unique_contracts(workspace: Workspace) -> None:
    seen: dict[str, ProductSpec] = {}
    for product in workspace.products.values():
        for port in product.output_ports:
            other = seen.get(port.contract_id)
            if other is product and port.port_name != product.publisher(port.contract_id).port_name:
                raise ConfigError(
                    f"{product.where('outputPorts', port.index, 'contractId')}: output ports "
                    f"{product.publisher(port.contract_id).port_name!r} and {port.port_name!r} both name "
                    f"contract {port.contract_id!r}; give each output port its own contract"
                )
            if other is not None and other is not product:
                raise ConfigError(
                    f"contract {port.contract_id!r} is published by two products: "
                    f"{other.descriptor_path} and {product.descriptor_path}; "
                    "give each output port its own contract"
                )
            seen[port.contract_id] = product

"""The product graph: an edge for every input port that names another product's output contract.

Errors name both files involved: a dangling reference names the consumer's descriptor (with line and
column) and says which contracts exist; a version mismatch names the consumer's and the producer's
descriptors; a cycle names every descriptor on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from graphlib import CycleError, TopologicalSorter

from quanta.errors import ConfigError
from quanta.mesh.workspace import InputPort, OutputPort, ProductSpec, Workspace


@dataclass(frozen=True)
class Edge:
    """``consumer`` reads ``producer``'s output port ``port`` through its input port ``input``.

    Attributes:
        producer: the upstream product key (``domain.product``).
        port: the upstream output port name.
        consumer: the downstream product key.
        input: the downstream input port name.
        contract_id: the contract id the input port names.
        version: the version the input port asks for.
    """

    producer: str
    port: str
    consumer: str
    input: str
    contract_id: str
    version: str


@dataclass(frozen=True)
class ProductGraph:
    """The products of a workspace and the edges between them.

    Attributes:
        products: product keys in a deterministic topological order (upstream first).
        edges: every edge, in consumer then input-port order.
    """

    products: tuple[str, ...]
    edges: tuple[Edge, ...]

    @cached_property
    def _up(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for edge in self.edges:
            found.setdefault(edge.consumer, set()).add(edge.producer)
        return {key: frozenset(value) for key, value in found.items()}

    @cached_property
    def _down(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for edge in self.edges:
            found.setdefault(edge.producer, set()).add(edge.consumer)
        return {key: frozenset(value) for key, value in found.items()}

    def upstream(self, key: str) -> set[str]:
        """The direct upstream products of ``key``."""
        return set(self._up.get(key, ()))

    def downstream(self, key: str) -> set[str]:
        """The direct downstream products of ``key``."""
        return set(self._down.get(key, ()))

    def ancestors(self, key: str) -> set[str]:
        """Every product ``key`` depends on, transitively (not ``key`` itself)."""
        return self._closure(key, self.upstream)

    def descendants(self, key: str) -> set[str]:
        """Every product that depends on ``key``, transitively (not ``key`` itself)."""
        return self._closure(key, self.downstream)

    def inputs_of(self, key: str) -> list[Edge]:
        """The edges into ``key``."""
        return [edge for edge in self.edges if edge.consumer == key]

    @staticmethod
    def _closure(key: str, step) -> set[str]:
        seen: set[str] = set()
        todo = [key]
        while todo:
            for other in step(todo.pop()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen


def compatible(asked: str, offered: str) -> bool:
    """Whether an upstream port ``offered`` satisfies an input port asking for ``asked``.

    Versions are SemVer: the major versions must be equal and the offered version at least the one asked
    (``1.0.0`` is satisfied by ``1.2.0``, not by ``2.0.0`` nor ``0.9.0``). Versions that are not
    ``MAJOR.MINOR.PATCH`` numbers must be equal. When the producer lists the port at several major
    versions, the edge goes to the listing compatible with the version asked.
    """
    a, o = _semver(asked), _semver(offered)
    if a is None or o is None:
        return asked == offered
    return a[0] == o[0] and o >= a


def _semver(text: str) -> tuple[int, int, int] | None:
    parts = text.strip().lstrip("v").split("-")[0].split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return numbers[0], numbers[1], numbers[2]


def build_graph(workspace: Workspace) -> ProductGraph:
    """Build and check the product graph of ``workspace``.

    Raises:
        ConfigError: an input port names a contract that no product publishes and that is not a source
            contract of its own product; an input port asks for a version the producer's port does not
            offer; or the products form a cycle.
    """
    publishers = workspace.output_contracts()
    edges: list[Edge] = []
    for product in workspace.products.values():
        for port in product.input_ports:
            if port.source is not None:
                continue
            found = publishers.get(port.contract_id)
            if found is None:
                raise ConfigError(_dangling(product, port, publishers))
            versions = workspace.publishers(port.contract_id)
            producer, output = next(
                ((p, o) for p, o in versions if compatible(port.version, o.version)), found
            )
            if producer.key == product.key:
                raise ConfigError(
                    f"{product.where('inputPorts', port.index, 'contractId')}: input port {port.name!r} "
                    f"reads "
                    f"{product.key}'s own output port {output.name!r}; a product cannot read itself"
                )
            if not compatible(port.version, output.version):
                raise ConfigError(_mismatch(product, port, producer, output))
            edges.append(
                Edge(producer.key, output.name, product.key, port.name, port.contract_id, port.version)
            )
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for key in workspace.products:
        sorter.add(key, *sorted({e.producer for e in edges if e.consumer == key}))
    try:
        order = _stable_order(sorter, list(workspace.products))
    except CycleError as error:
        cycle = error.args[1]
        files = " -> ".join(f"{key} ({workspace.products[key].descriptor_path})" for key in cycle)
        raise ConfigError(f"the products form a cycle: {files}; remove one of these input ports") from None
    return ProductGraph(tuple(order), tuple(edges))


def _stable_order(sorter: TopologicalSorter[str], declared: list[str]) -> list[str]:
    rank = {key: i for i, key in enumerate(declared)}
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def _dangling(
    product: ProductSpec, port: InputPort, publishers: dict[str, tuple[ProductSpec, OutputPort]]
) -> str:
    sources = sorted(set(product.contracts) - {p.contract_id for p in product.output_ports})
    return (
        f"{product.where('inputPorts', port.index, 'contractId')}: input port {port.name!r} names contract "
        f"{port.contract_id!r}, which no product of the mesh publishes and which is not a source contract in "
        f"{product.path / 'contracts'} (source contracts there: {', '.join(sources) or 'none'}; published "
        f"contracts: {', '.join(sorted(publishers)) or 'none'})"
    )


def _mismatch(product: ProductSpec, port: InputPort, producer: ProductSpec, output: OutputPort) -> str:
    return (
        f"{product.where('inputPorts', port.index, 'version')}: input port {port.name!r} asks for version "
        f"{port.version} of {port.contract_id!r}, but "
        f"{producer.where('outputPorts', output.index, 'version')} "
        f"publishes version {output.version} (the major versions must match and the published version "
        "must be at least the one asked for)"
    )

"""The build plan: a frozen description of what a build will do, computed without touching data.

``make_plan`` walks the selected products in dependency order and decides, from content fingerprints and
the state of the last build (passed in as data by the layer that reads the registry and the tables),
which products must run and why. The build re-checks each decision when the product's turn comes, since
an upstream product that runs publishes a new snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from quanta.errors import ConfigError
from quanta.mesh.fingerprint import content_fingerprint, run_fingerprint, source_identity
from quanta.mesh.graph import ProductGraph, build_graph
from quanta.mesh.selection import select
from quanta.mesh.workspace import InputPort, ProductSpec, Workspace
from quanta.spec.sunset import Lifecycle

#: The stages every product goes through, in order.
STAGES: tuple[str, ...] = ("resolve", "transform", "gate", "publish", "record", "lineage")

Action = Literal["build", "skip", "retired"]


@dataclass(frozen=True)
class PriorState:
    """What the previous builds left, as plain data.

    Attributes:
        fingerprints: product key → run fingerprint of its last published build.
        versions: ``(product key, port name)`` → Delta version currently published.
    """

    fingerprints: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedPort:
    """An output port as the plan sees it.

    Attributes:
        name: port name.
        version: port version.
        contract_id: the contract id.
        transform: the transform file.
        location: the published Delta table (``<storage>/<domain>/<product>/<port>``).
        published_version: the Delta version served now, or ``None`` when never published.
        lifecycle: the port's effective lifecycle (``retired`` ports are neither built nor served).
    """

    name: str
    version: str
    contract_id: str
    transform: Path
    location: str
    published_version: int | None
    lifecycle: Lifecycle | None = None

    @property
    def retired(self) -> bool:
        """Whether the build leaves this port out (status ``retired`` or past its ``endOfLife``)."""
        return self.lifecycle is not None and self.lifecycle.retired


@dataclass(frozen=True)
class PlannedProduct:
    """One product of the plan.

    Attributes:
        key: ``domain.product``.
        upstream: keys of the products it reads (selected or not).
        content_fingerprint: hash of descriptor, contracts and transforms.
        action: ``"build"``, ``"skip"`` or ``"retired"`` (every output port is retired: not built).
        reason: why, in a few words (``"never built"``, ``"transform changed"``, ``"unchanged"``...).
        ports: its output ports.
        sources: input port name → source contract id, for the ports reading raw data.
    """

    key: str
    upstream: tuple[str, ...]
    content_fingerprint: str
    action: Action
    reason: str
    ports: tuple[PlannedPort, ...]
    sources: Mapping[str, str]

    @property
    def domain(self) -> str:
        """The domain name."""
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The product name."""
        return self.key.split(".", 1)[1]


@dataclass(frozen=True)
class BuildPlan:
    """What a build will do: the selected products in order, with fingerprints and decisions.

    Attributes:
        mesh: the mesh name.
        root: the mesh folder.
        products: the selected products, upstream first.
        edges: ``(producer, consumer)`` pairs among every product of the mesh.
        force: whether unchanged products are rebuilt anyway.
        stages: the stage names each product goes through.
    """

    mesh: str
    root: Path
    products: tuple[PlannedProduct, ...]
    edges: tuple[tuple[str, str], ...]
    force: bool = False
    stages: tuple[str, ...] = STAGES

    @property
    def to_build(self) -> tuple[PlannedProduct, ...]:
        """The products the build will run."""
        return tuple(p for p in self.products if p.action == "build")

    def product(self, key: str) -> PlannedProduct:
        """Return the planned product ``key``."""
        return next(p for p in self.products if p.key == key)

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-compatible data (``quanta plan --format json``)."""
        return {
            "mesh": self.mesh,
            "root": str(self.root),
            "force": self.force,
            "stages": list(self.stages),
            "edges": [list(edge) for edge in self.edges],
            "products": [
                {
                    "product": p.key,
                    "action": p.action,
                    "reason": p.reason,
                    "upstream": list(p.upstream),
                    "fingerprint": p.content_fingerprint,
                    "sources": dict(p.sources),
                    "ports": [
                        {
                            "name": port.name,
                            "version": port.version,
                            "contractId": port.contract_id,
                            "transform": str(port.transform),
                            "location": port.location,
                            "publishedVersion": port.published_version,
                            "lifecycle": lifecycle_dict(port.lifecycle),
                        }
                        for port in p.ports
                    ],
                }
                for p in self.products
            ],
        }


def lifecycle_dict(lifecycle: Lifecycle | None) -> dict[str, Any] | None:
    """JSON form of a port's lifecycle: ``status``, ``reason``, ``endOfSupport``, ``endOfLife``."""
    if lifecycle is None:
        return None
    return {
        "status": lifecycle.status,
        "reason": lifecycle.reason,
        "endOfSupport": lifecycle.end_of_support,
        "endOfLife": lifecycle.end_of_life,
    }


def source_server(port: InputPort) -> dict[str, Any]:
    """Return the ``servers[]`` entry a source input port reads (the first one), or ``{}``."""
    servers = port.source.servers if port.source is not None else []
    return dict(servers[0]) if servers else {}


def input_identities(
    workspace: Workspace, graph: ProductGraph, product: ProductSpec, versions: Mapping[tuple[str, str], int]
) -> dict[str, str | None]:
    """Return input port name → identity of the snapshot it would read now.

    Upstream ports are identified by their published Delta version (``"<key>/<port>@<version>"``, or
    ``"...@none"`` before the first publication); sources by :func:`source_identity`.
    """
    identities: dict[str, str | None] = {}
    edges = {edge.input: edge for edge in graph.inputs_of(product.key)}
    for port in product.input_ports:
        if port.source is not None:
            identities[port.name] = source_identity(workspace.root, source_server(port))
        else:
            edge = edges[port.name]
            version = versions.get((edge.producer, edge.port))
            identities[port.name] = f"{edge.producer}/{edge.port}@{'none' if version is None else version}"
    return identities


def make_plan(
    workspace: Workspace,
    selectors: Iterable[str] = (),
    *,
    force: bool = False,
    state: PriorState | None = None,
    graph: ProductGraph | None = None,
) -> BuildPlan:
    """Plan a build of ``workspace``.

    Args:
        workspace: the loaded mesh.
        selectors: ``PRODUCT``, ``+PRODUCT``, ``PRODUCT+`` (see :func:`quanta.mesh.selection.select`).
        force: rebuild selected products even when unchanged.
        state: fingerprints and published versions left by earlier builds (empty: everything is new).
        graph: the product graph, when already built.

    Returns:
        The frozen plan.

    Raises:
        ConfigError: the product graph is invalid (see :func:`quanta.mesh.graph.build_graph`), or a selected
            product reads a retired port (the message names both descriptors).
        UsageError: a selector names no product.
    """
    state = state or PriorState()
    graph = graph or build_graph(workspace)
    selected = select(graph, selectors)
    now = datetime.now(UTC)
    planned: dict[str, PlannedProduct] = {}
    for key in selected:
        product = workspace.products[key]
        content = content_fingerprint(product)
        upstream = tuple(sorted(graph.upstream(key)))
        lifecycles = {port.name: product.lifecycle(port, now=now) for port in product.output_ports}
        if all(found.retired for found in lifecycles.values()):
            reasons = sorted({found.reason for found in lifecycles.values()})
            action, reason = "retired", "retired: " + "; ".join(reasons)
        else:
            _check_not_reading_retired(workspace, graph, product, now)
            action, reason = _decide(workspace, graph, product, content, upstream, planned, state, force)
        ports = tuple(
            PlannedPort(
                port.name,
                port.version,
                port.contract_id,
                port.transform,
                workspace.table_location(product, port),
                state.versions.get((key, port.name)),
                lifecycles[port.name],
            )
            for port in product.output_ports
        )
        sources = {p.name: p.contract_id for p in product.input_ports if p.source is not None}
        planned[key] = PlannedProduct(key, upstream, content, action, reason, ports, sources)
    edges = tuple((edge.producer, edge.consumer) for edge in graph.edges)
    return BuildPlan(
        workspace.config.name, workspace.root, tuple(planned.values()), tuple(dict.fromkeys(edges)), force
    )


def _decide(
    workspace: Workspace,
    graph: ProductGraph,
    product: ProductSpec,
    content: str,
    upstream: tuple[str, ...],
    planned: Mapping[str, PlannedProduct],
    state: PriorState,
    force: bool,
) -> tuple[Action, str]:
    if force:
        return "build", "forced"
    previous = state.fingerprints.get(product.key)
    if previous is None:
        return "build", "never built"
    rebuilt = [key for key in upstream if key in planned and planned[key].action == "build"]
    if rebuilt:
        return "build", f"upstream {', '.join(rebuilt)} will run"
    if any(
        (product.key, port.name) not in state.versions and not product.lifecycle(port).retired
        for port in product.output_ports
    ):
        return "build", "not published"
    fingerprint = run_fingerprint(content, input_identities(workspace, graph, product, state.versions))
    if fingerprint is None:
        return "build", "reads a source without a snapshot identity"
    if fingerprint != previous:
        return "build", "definition or inputs changed"
    return "skip", "unchanged"


def _check_not_reading_retired(
    workspace: Workspace, graph: ProductGraph, product: ProductSpec, now: datetime
) -> None:
    """Refuse a product that reads a retired port: name both descriptors and the way out.

    Raises:
        ConfigError: an input port of ``product`` reads a port that is retired at ``now``.
    """
    inputs = {port.name: port for port in product.input_ports}
    for edge in graph.inputs_of(product.key):
        producer = workspace.products[edge.producer]
        output = next(p for p in producer.output_ports if p.name == edge.port)
        found = producer.lifecycle(output, now=now)
        if not found.retired:
            continue
        successor = producer.successor(output)
        instead = (
            f"move to version {successor.version} (port {edge.producer}.{successor.name})"
            if successor is not None
            else "remove the input port"
        )
        raise ConfigError(
            f"{product.where('inputPorts', inputs[edge.input].index, 'version')}: input port {edge.input!r} "
            f"reads {edge.producer}.{edge.port} version {output.version}, which is retired ({found.reason}) "
            f"in {producer.where('outputPorts', output.index, 'version')} "
            f"({producer.contract_file(output.contract)}); {instead}"
        )

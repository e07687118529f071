"""``/api/v1/lineage``: the product graph (products, ports, sources, agreements) and column-level lineage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from quanta.api import consumption
from quanta.api.catalog import Catalog
from quanta.api.deps import CallerDep, DiscoveryCallerDep, ServicesDep
from quanta.api.services import Caller, Services

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])


def product_graph(catalog: Catalog, focus: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Nodes (products, their output ports, raw sources) and edges of the mesh, as plain data.

    Args:
        catalog: the mesh's products.
        focus: a product key: keep only it, its upstream and its downstream products (transitively).

    Returns:
        ``{"nodes": [{id, kind, label, product}], "edges": [{source, target, kind}]}``; ``input`` edges
        also carry ``port`` (the input port's name). :func:`add_agreements` adds the consumers.
    """
    keys = set(catalog.products)
    if focus is not None and focus in catalog.products:
        keys = {focus} | _closure(catalog, focus, up=True) | _closure(catalog, focus, up=False)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for key in sorted(keys):
        product = catalog.products[key]
        nodes.append({"id": f"product:{key}", "kind": "product", "label": key, "product": key})
        for port in product.ports:
            port_id = f"port:{key}.{port.name}"
            nodes.append({"id": port_id, "kind": "port", "label": f"port {port.name}", "product": key})
            edges.append({"source": f"product:{key}", "target": port_id, "kind": "publishes"})
        for i in product.inputs:
            if i.upstream is not None and i.upstream in keys:
                source = f"port:{i.upstream}.{i.upstream_port}"
            elif i.upstream is None:
                source = f"source:{i.contract_id}"
                nodes.append({"id": source, "kind": "source", "label": i.contract_id, "product": None})
            else:
                continue
            edges.append({"source": source, "target": f"product:{key}", "kind": "input", "port": i.name})
    unique = {n["id"]: n for n in nodes}
    return {"nodes": list(unique.values()), "edges": edges}


def add_agreements(
    graph: dict[str, list[dict[str, Any]]], agreements: Iterable[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Add access agreements to a :func:`product_graph` result, in place.

    Each agreement becomes a ``consumer`` node (one per principal or team, ``id`` ``consumer:<name>``,
    with ``consumerKind``) and an ``agreement`` edge from the port it grants to that consumer, in the
    direction the data flows, carrying ``agreement`` (its id), ``consumer``, ``purpose`` and ``state``.
    Agreements on ports outside the graph are left out. The caller chooses which agreements the viewer
    may see (:func:`quanta.api.consumption.lineage_agreements`).

    Args:
        graph: ``{"nodes": [...], "edges": [...]}`` from :func:`product_graph`.
        agreements: ``Agreement.to_dict()`` items (``id``, ``consumer``, ``consumerKind``, ``port`` as
            ``domain.product.port``, ``purpose``, ``state``).

    Returns:
        ``graph`` itself.
    """
    ids = {n["id"] for n in graph["nodes"]}
    for agreement in agreements:
        port_id = f"port:{agreement['port']}"
        if port_id not in ids:
            continue
        consumer = str(agreement["consumer"])
        node_id = f"consumer:{consumer}"
        if node_id not in ids:
            ids.add(node_id)
            graph["nodes"].append(
                {
                    "id": node_id,
                    "kind": "consumer",
                    "label": consumer,
                    "product": None,
                    "consumerKind": agreement.get("consumerKind"),
                }
            )
        graph["edges"].append(
            {
                "source": port_id,
                "target": node_id,
                "kind": "agreement",
                "agreement": agreement["id"],
                "consumer": consumer,
                "purpose": agreement.get("purpose"),
                "state": agreement.get("state"),
            }
        )
    return graph


def viewer_graph(services: Services, caller: Caller | None, focus: str | None = None) -> dict[str, Any]:
    """The product graph as ``caller`` may see it: :func:`product_graph` plus the active agreements on
    its ports that the caller may see (deny by default: none for an anonymous caller).

    Args:
        services: the app's services (catalog, access service).
        caller: the viewer, or ``None``.
        focus: a product key to focus on, or ``None`` for the whole mesh.

    Returns:
        The graph of :func:`product_graph` with :func:`add_agreements` applied.
    """
    graph = product_graph(services.catalog, focus)
    ports = {n["id"].removeprefix("port:") for n in graph["nodes"] if n["kind"] == "port"}
    return add_agreements(graph, consumption.lineage_agreements(services, caller, ports))


def _closure(catalog: Catalog, key: str, *, up: bool) -> set[str]:
    seen: set[str] = set()
    todo = [key]
    while todo:
        current = todo.pop()
        if up:
            product = catalog.products.get(current)
            nxt = [i.upstream for i in product.inputs if i.upstream] if product else []
        else:
            nxt = catalog.downstream(current)
        for item in nxt:
            if item not in seen:
                seen.add(item)
                todo.append(item)
    return seen


def column_lineage(catalog: Catalog, product: str | None = None) -> list[dict[str, Any]]:
    """Column-level edges from ODCS ``transformSourceObjects`` / ``transformLogic`` of output contracts."""
    edges = []
    for key, info in sorted(catalog.products.items()):
        if product is not None and key != product:
            continue
        for port in info.ports:
            for prop in port.properties:
                for source in prop.sources:
                    edges.append(
                        {
                            "source": source,
                            "target": f"{key}.{port.name}.{prop.name}",
                            "transformLogic": prop.transform_logic or None,
                        }
                    )
    return edges


@router.get("", summary="Product-level lineage graph")
def get_lineage(
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    product: Annotated[str | None, Query(max_length=400, description="Focus on `domain.product`.")] = None,
) -> dict[str, Any]:
    """Products, ports and sources, with their edges; with ``product``, only its upstream and downstream.

    A signed-in caller also sees the active agreements it may see on the graph's ports (its own and its
    teams', and all of those on the products its team owns) as ``consumer`` nodes and ``agreement`` edges;
    an anonymous caller sees none.
    """
    return viewer_graph(services, caller, product)


@router.get("/columns", summary="Column-level lineage")
def get_column_lineage(
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    product: Annotated[str | None, Query(max_length=400, description="Only this `domain.product`.")] = None,
) -> list[dict[str, Any]]:
    """Edges from source columns to output columns, as the contracts declare them."""
    return column_lineage(services.catalog, product)


class _Job(BaseModel):
    namespace: str = Field(min_length=1, max_length=1000)
    name: str = Field(min_length=1, max_length=1000)


class _Run(BaseModel):
    runId: uuid.UUID


class RunEventIn(BaseModel):
    """An OpenLineage ``RunEvent`` (the required fields are checked; facets are kept as sent)."""

    model_config = ConfigDict(extra="allow")

    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
    eventTime: datetime
    producer: str = Field(min_length=1, max_length=2000)
    schemaURL: str = Field(min_length=1, max_length=2000)
    run: _Run
    job: _Job
    inputs: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    outputs: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


@router.post("", status_code=201, summary="Ingest an OpenLineage run event")
def ingest_lineage(
    services: ServicesDep, caller: CallerDep, event: Annotated[RunEventIn, Body()]
) -> dict[str, Any]:
    """Record an external tool's OpenLineage event in the registry's event outbox (``lineage.ingested``).

    The event's job name is matched to a product (``domain.product``) when it names one, so the event
    appears in that product's event feed and webhooks.
    """
    payload = event.model_dump(mode="json")
    product = event.job.name if services.catalog.get(event.job.name) else None
    services.registry.add_event("lineage.ingested", product, {"by": caller.name, "event": payload})
    return {"accepted": True, "runId": str(event.run.runId), "product": product}

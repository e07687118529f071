"""``/api/v1/products``: search and browse products, their ports, contracts, checks, SLAs and runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from quanta.api import runtime
from quanta.api.catalog import PortInfo, ProductInfo
from quanta.api.deps import DiscoveryCallerDep, ProductByIdDep, ServicesDep
from quanta.api.services import Services
from quanta.api.sunset import port_lifecycle

router = APIRouter(prefix="/api/v1/products", tags=["products"])


def product_summary(services: Services, product: ProductInfo) -> dict[str, Any]:
    """The JSON summary of a product shown in lists and tiles."""
    return {
        "id": product.key,
        "domain": product.domain,
        "name": product.name,
        "title": product.title,
        "version": product.version,
        "status": services.status(product),
        "owner": product.owner,
        "tags": list(product.tags),
        "purpose": product.purpose,
        "ports": [p.name for p in product.ports],
        "usage": services.usage.total(product.key),
        "links": {
            "self": f"/api/v1/products/{product.key}",
            "gateway": f"/products/{product.domain}/{product.name}/discover/metadata",
            "ui": f"/ui/products/{product.domain}/{product.name}",
        },
    }


def port_detail(product: ProductInfo, port: PortInfo) -> dict[str, Any]:
    """The JSON detail of one output port (contract summary, schema, SLA)."""
    return {
        "name": port.name,
        "version": port.version,
        "type": port.type,
        "description": port.description,
        "contractId": port.contract_id,
        "contractVersion": port.contract.version,
        "table": f"{product.domain}.{product.name}.{port.name}",
        "schema": [
            {
                "object": p.object,
                "name": p.name,
                "logicalType": p.logical_type,
                "description": p.description,
                "required": p.required,
                "primaryKey": p.primary_key,
                "classification": p.classification,
                "pii": p.pii,
            }
            for p in port.properties
        ],
        "slaProperties": port.sla,
        **port_lifecycle(product.key, port),
        "links": {
            "contract": f"/api/v1/products/{product.key}/ports/{port.name}/contract",
            "data": f"/api/v1/products/{product.key}/ports/{port.name}/data",
        },
    }


@router.get("", summary="Search and list products")
def list_products(
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    q: Annotated[
        str, Query(max_length=500, description="Free text over names, descriptions, tags, schema.")
    ] = "",
    domain: Annotated[list[str] | None, Query(description="Only these domains.")] = None,
    tag: Annotated[list[str] | None, Query(description="Only products with one of these tags.")] = None,
    status_: Annotated[list[str] | None, Query(alias="status", description="Only these statuses.")] = None,
    owner: Annotated[list[str] | None, Query(description="Only products of these owner teams.")] = None,
    certification: Annotated[list[str] | None, Query(description="`OK` or `NOT COMPLIANT`.")] = None,
    sort: Literal["relevance", "usage", "quality", "freshness", "name"] = "relevance",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Full-text search with facets (domain, tag, status, owner, certification), sort and pagination."""
    filters = {
        "domain": domain,
        "tag": tag,
        "status": status_,
        "owner": owner,
        "certification": certification,
    }
    page = services.search.search(
        q, filters={k: v for k, v in filters.items() if v}, sort=sort, limit=limit, offset=offset
    )
    items = []
    for hit in page.hits:
        product = services.catalog.get(hit.key)
        if product is not None:
            items.append({**product_summary(services, product), "relevance": hit.relevance})
    return {"total": page.total, "limit": limit, "offset": offset, "items": items, "facets": page.facets}


@router.get("/{product_id}", summary="Product detail")
def get_product(product: ProductByIdDep, services: ServicesDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """A product with its description, ports (schema and SLA), inputs and the descriptor."""
    return {
        **product_summary(services, product),
        "description": {
            "purpose": product.purpose,
            "usage": product.usage,
            "limitations": product.limitations,
        },
        "outputPorts": [port_detail(product, p) for p in product.ports],
        "inputPorts": [
            {"name": i.name, "version": i.version, "contractId": i.contract_id, "upstream": i.upstream}
            for i in product.inputs
        ],
        "downstream": services.catalog.downstream(product.key),
        "descriptor": product.descriptor.to_plain(),
    }


@router.get("/{product_id}/versions", summary="Versions of a product and of its port contracts")
def get_versions(product: ProductByIdDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """The descriptor version and each port's version and contract version."""
    return {
        "id": product.key,
        "version": product.version,
        "ports": [
            {
                "name": p.name,
                "version": p.version,
                "contractId": p.contract_id,
                "contractVersion": p.contract.version,
            }
            for p in product.ports
        ],
    }


@router.get("/{product_id}/ports", summary="Output ports with their contracts")
def list_ports(product: ProductByIdDep, caller: DiscoveryCallerDep) -> list[dict[str, Any]]:
    """Every output port, with schema (PII marked) and SLA properties."""
    return [port_detail(product, p) for p in product.ports]


def _port(product: ProductInfo, name: str) -> PortInfo:
    port = product.port(name)
    if port is None:
        known = ", ".join(p.name for p in product.ports) or "none"
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{product.key} has no output port {name!r} (ports: {known})"
        )
    return port


@router.get(
    "/{product_id}/ports/{port}/contract",
    summary="The ODCS contract of a port, as JSON or as the raw YAML",
    responses={200: {"content": {"application/json": {}, "application/yaml": {}}}},
)
def get_contract(
    product: ProductByIdDep,
    port: str,
    caller: DiscoveryCallerDep,
    format: Literal["json", "yaml"] = "json",
) -> Response:
    """The contract rendered as JSON, or the YAML file exactly as written (``format=yaml``)."""
    found = _port(product, port)
    if format == "yaml":
        path = found.contract.path
        text = path.read_text(encoding="utf-8") if path is not None else ""
        return Response(text, media_type="application/yaml")
    import json

    return Response(json.dumps(found.contract.to_plain(), default=str), media_type="application/json")


@router.get("/{product_id}/runs", summary="Build runs of a product, newest first")
def list_runs(
    product: ProductByIdDep,
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[dict[str, Any]]:
    """Each run with status, timings, check counts (passed / warned / failed) and quality."""
    reader = services.registry
    return [runtime.run_json(reader, run) for run in reader.runs(product.domain, product.name, limit=limit)]


@router.get("/{product_id}/quality", summary="Quality of the last runs, oldest first")
def get_quality(
    product: ProductByIdDep,
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 30,
) -> list[dict[str, Any]]:
    """Share of evaluated checks that passed, per run (the product page's quality chart)."""
    return runtime.quality_history(services.registry, product.domain, product.name, limit)


@router.get("/{product_id}/ports/{port}/checks", summary="Check results history of a port")
def get_checks(
    product: ProductByIdDep,
    port: str,
    services: ServicesDep,
    caller: DiscoveryCallerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """For each of the last runs, every check result of the port (rule, status, metric, threshold)."""
    found = _port(product, port)
    return runtime.check_history(services.registry, product.domain, product.name, found.name, limit)


@router.get("/{product_id}/ports/{port}/sla", summary="Latest SLA status of a port")
def get_sla(
    product: ProductByIdDep, port: str, services: ServicesDep, caller: DiscoveryCallerDep
) -> dict[str, Any]:
    """Each ``slaProperties`` objective next to the last run's result for it (``not_evaluated`` with the
    reason when the last run measured nothing for that property), and the data's age.

    See :func:`quanta.api.runtime.sla_status` for the fields of each item.
    """
    found = _port(product, port)
    items = runtime.sla_status(services.registry, product.domain, product.name, found.name, found.sla)
    info = services.runtime(product)
    return {
        "product": product.key,
        "port": found.name,
        "freshness": info.get("freshness"),
        "slaProperties": items,
    }

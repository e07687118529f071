"""The product gateway: the same discover / observe / control / certify endpoints for every product.

Paths and verbs follow the book's Climate Quantum gateway (``Implementing Data Mesh``, ch. 9 and 11):
``/products/{domain}/{product}/discover/metadata``, ``discover/artifacts``, ``discover/artifact/{uuid}/
metadata``, ``discover/openapi.json``, ``observe/health``, ``observe/metrics`` (OORS
``ObservabilityResult`` documents), ``observe/events/subscriptions`` (webhooks), ``control/pause``,
``control/resume``, ``control/configure`` (owners only), ``certify/status`` and ``certify/report``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request, status
from pydantic import AnyHttpUrl, BaseModel, Field

from quanta.api.catalog import ProductInfo
from quanta.api.deps import CallerDep, DiscoveryCallerDep, ProductDep, ServicesDep, require_owner
from quanta.api.routers.products import port_detail, product_summary
from quanta.api.services import Services
from quanta.api.webhooks import EVENT_TYPES, delivery_dict

PREFIX = "/products/{domain}/{product}"
router = APIRouter(prefix=PREFIX, tags=["gateway"])
_ARTIFACTS = uuid.UUID("6f1d3a52-53c8-4d5c-9a57-0b1f4e3c2a10")


def artifact_id(product: ProductInfo, kind: str, name: str) -> str:
    """A stable UUID (v5) for one artifact of a product: the same product and name give the same id."""
    return str(uuid.uuid5(_ARTIFACTS, f"{product.key}/{kind}/{name}"))


def _artifacts(product: ProductInfo) -> list[dict[str, Any]]:
    base = f"/products/{product.domain}/{product.name}"
    items: list[dict[str, Any]] = [
        {
            "id": artifact_id(product, "descriptor", "product.odps.yaml"),
            "kind": "descriptor",
            "name": "product.odps.yaml",
            "description": "The ODPS data product descriptor.",
            "links": {"metadata": f"/api/v1/products/{product.key}"},
        }
    ]
    for port in product.ports:
        item_id = artifact_id(product, "port", port.name)
        items.append(
            {
                "id": item_id,
                "kind": "outputPort",
                "name": port.name,
                "description": port.description,
                "version": port.version,
                "contractId": port.contract_id,
                "links": {
                    "contract": f"/api/v1/products/{product.key}/ports/{port.name}/contract",
                    "data": f"/api/v1/products/{product.key}/ports/{port.name}/data",
                    "metadata": f"{base}/discover/artifact/{item_id}/metadata",
                },
            }
        )
    return items


@router.get("/discover/metadata", summary="Product metadata and links to its contracts and services")
def discover_metadata(
    product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep
) -> dict[str, Any]:
    """The book's ``/discover/metadata``: what the product is, who owns it, its ports and where to go next."""
    base = f"/products/{product.domain}/{product.name}"
    summary = product_summary(services, product)
    return {
        **summary,
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
        "links": {
            **summary["links"],
            "artifacts": f"{base}/discover/artifacts",
            "openapi": f"{base}/discover/openapi.json",
            "health": f"{base}/observe/health",
            "metrics": f"{base}/observe/metrics",
            "subscriptions": f"{base}/observe/events/subscriptions",
            "certification": f"{base}/certify/status",
            "lineage": f"/api/v1/lineage?product={product.key}",
        },
    }


@router.get("/discover/artifacts", summary="Every artifact of the product")
def discover_artifacts(product: ProductDep, caller: DiscoveryCallerDep) -> list[dict[str, Any]]:
    """The descriptor and one artifact per output port, each with a stable UUID and links."""
    return _artifacts(product)


@router.get("/discover/artifact/{artifact}/metadata", summary="Metadata of one artifact")
def discover_artifact(product: ProductDep, artifact: uuid.UUID, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """One artifact by UUID; 404 for an unknown UUID."""
    for item in _artifacts(product):
        if item["id"] == str(artifact):
            if item["kind"] == "outputPort":
                port = product.port(item["name"])
                assert port is not None
                return {**item, **port_detail(product, port)}
            return {**item, "descriptor": product.descriptor.to_plain()}
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"{product.key} has no artifact {artifact}")


@router.get("/discover/openapi.json", summary="OpenAPI description of this product's gateway")
def discover_openapi(request: Request, product: ProductDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """The app's OpenAPI document restricted to this product's gateway paths, with the path filled in."""
    spec = request.app.openapi()
    concrete = f"/products/{product.domain}/{product.name}"
    paths = {}
    for path, item in spec.get("paths", {}).items():
        if path.startswith(PREFIX):
            paths[concrete + path[len(PREFIX) :]] = item
    return {**spec, "info": {**spec["info"], "title": f"{product.key} data product gateway"}, "paths": paths}


@router.get("/observe/health", summary="Health of the product")
def observe_health(product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """``paused``; ``unknown`` before a first build; ``healthy`` when the last run succeeded and no
    blocking check failed; ``degraded`` when it failed or was blocked (the last good version stays served).
    """
    state = services.state(product)
    info = services.runtime(product)
    last = info.get("lastRun")
    if state["paused"]:
        health = "paused"
    elif last is None:
        health = "unknown"
    elif last["status"] in ("passed", "warned", "skipped", "unchanged"):
        health = "healthy"
    else:
        health = "degraded"
    return {
        "product": product.key,
        "status": health,
        "paused": state["paused"],
        "reason": state["reason"],
        "lastRun": last,
        "freshness": info.get("freshness"),
        "checkedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def observability_result(
    emitter: str, criteria: str, prop: str, value: float, unit: str, element: str
) -> dict[str, Any]:
    """One OORS ``ObservabilityResult`` (the ten flat fields of the book's Example 6-2)."""
    return {
        "id": str(uuid.uuid4()),
        "kind": "ObservabilityResult",
        "apiVersion": "1.0.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "emitter": emitter,
        "criteria": criteria,
        "property": prop,
        "value": value,
        "unit": unit,
        "element": element,
    }


def metrics(services: Services, product: ProductInfo) -> list[dict[str, Any]]:
    """The product's operating metrics as OORS results: usage per port, served rows, last-run quality
    (``criteria: dq``) and data age (``criteria: sla``, property ``latency``)."""
    results = []
    info = services.runtime(product)
    if info.get("quality") is not None:
        results.append(
            observability_result(
                "io.quanta.ContractTests",
                "dq",
                "passedChecksRatio",
                round(info["quality"], 4),
                "ratio",
                product.key,
            )
        )
    if info.get("freshnessEpoch"):
        age = (datetime.now(UTC).timestamp() - info["freshnessEpoch"]) / 3600
        results.append(
            observability_result("io.quanta.Freshness", "sla", "latency", round(age, 2), "h", product.key)
        )
    stats = services.usage.stats(product.key)
    for port in product.ports:
        rows = [r for r in stats if r["port"] == port.name]
        element = f"{product.key}.{port.name}"
        results.append(
            observability_result(
                "io.quanta.UsageCounter",
                "usage",
                "requestCount",
                sum(r["count"] for r in rows),
                "requests",
                element,
            )
        )
        results.append(
            observability_result(
                "io.quanta.UsageCounter", "usage", "rowsServed", sum(r["rows"] for r in rows), "rows", element
            )
        )
        results.append(
            observability_result(
                "io.quanta.UsageCounter",
                "usage",
                "consumerCount",
                len({r["principal"] for r in rows}),
                "principals",
                element,
            )
        )
    return results


@router.get("/observe/metrics", summary="Operating metrics as OORS ObservabilityResult documents")
def observe_metrics(
    product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep
) -> list[dict[str, Any]]:
    """Usage and served rows per port (``criteria: usage``), each an OORS ``ObservabilityResult``."""
    return metrics(services, product)


class SubscriptionRequest(BaseModel):
    """A webhook subscription: where to POST events, and which event types."""

    endpoint: AnyHttpUrl = Field(description="Subscriber URL; each event is POSTed to it as JSON.")
    events: list[Literal["*", "product", "run", "snapshot", "certification", "agreement", "contract"]] = (
        Field(
            default_factory=lambda: ["*"],
            max_length=len(EVENT_TYPES),
            description="Event families (`run` for run.finished, `product` for paused/resumed, ...); `*` for all.",
        )
    )


@router.post(
    "/observe/events/subscriptions", status_code=status.HTTP_201_CREATED, summary="Subscribe a webhook"
)
def subscribe(
    product: ProductDep,
    services: ServicesDep,
    caller: CallerDep,
    body: Annotated[SubscriptionRequest, Body()],
) -> dict[str, Any]:
    """Register a webhook for this product's operational events (delivered with retries)."""
    subscription = services.hub.subscribe(product.key, str(body.endpoint), list(body.events), caller.name)
    return _subscription_json(services, subscription.id)


@router.get("/observe/events/subscriptions", summary="This product's webhook subscriptions")
def list_subscriptions(product: ProductDep, services: ServicesDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The caller's subscriptions (all of them for the owner team), with recent delivery outcomes."""
    return [
        _subscription_json(services, s.id)
        for s in services.hub.subscriptions(product.key)
        if s.principal == caller.name or caller.owns(product)
    ]


@router.delete(
    "/observe/events/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook subscription",
)
def unsubscribe(product: ProductDep, services: ServicesDep, caller: CallerDep, subscription_id: str) -> None:
    """Remove one subscription (its subscriber or the owner team)."""
    found = [s for s in services.hub.subscriptions(product.key) if s.id == subscription_id]
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {subscription_id} on {product.key}")
    if found[0].principal != caller.name and not caller.owns(product):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the subscriber or the owner team may remove it")
    services.hub.unsubscribe(subscription_id)


def _subscription_json(services: Services, subscription_id: str) -> dict[str, Any]:
    subscription = next(s for s in services.hub.subscriptions() if s.id == subscription_id)
    return {
        "id": subscription.id,
        "product": subscription.product,
        "endpoint": subscription.endpoint,
        "events": list(subscription.events),
        "principal": subscription.principal,
        "created": subscription.created,
        "deliveries": [delivery_dict(d) for d in services.hub.deliveries(subscription.id)],
    }


class ControlRequest(BaseModel):
    """Why the product is paused or resumed (kept with the state)."""

    reason: str = Field("", max_length=1000, description="Why, shown in the marketplace.")


def _state_json(product: ProductInfo, services: Services) -> dict[str, Any]:
    state = services.state(product)
    return {"product": product.key, "status": services.status(product), **state}


@router.post("/control/pause", summary="Pause the product (owners only)")
def control_pause(
    product: ProductDep,
    services: ServicesDep,
    caller: CallerDep,
    body: Annotated[ControlRequest | None, Body()] = None,
) -> dict[str, Any]:
    """A paused product is not built and shows as paused in the marketplace."""
    require_owner(product, caller)
    services.set_paused(product, True, caller, body.reason if body else "")
    return _state_json(product, services)


@router.post("/control/resume", summary="Resume the product (owners only)")
def control_resume(
    product: ProductDep,
    services: ServicesDep,
    caller: CallerDep,
    body: Annotated[ControlRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Undo ``control/pause``."""
    require_owner(product, caller)
    services.set_paused(product, False, caller, body.reason if body else "")
    return _state_json(product, services)


@router.post("/control/configure", summary="Change operating settings (owners only)")
def control_configure(
    product: ProductDep,
    services: ServicesDep,
    caller: CallerDep,
    settings: Annotated[dict[str, str | int | float | bool | None], Body(description="Settings to merge.")],
) -> dict[str, Any]:
    """Merge settings (e.g. ``{"schedule": "0 6 * * *"}``) into the product's configuration."""
    require_owner(product, caller)
    services.configure(product, settings, caller)
    return _state_json(product, services)


@router.get("/control/state", summary="Current control state")
def control_state(product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """Paused or not, why, by whom, and the configuration."""
    return _state_json(product, services)


@router.get("/certify/status", summary="Certification status: OK or NOT COMPLIANT")
def certify_status(product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """The book's ``/certify/status``: ``OK`` or ``NOT COMPLIANT`` (``NOT COMPLIANT`` until certified), as
    the last build recorded it, with the ids of the policies that block publication and that warn."""
    report = services.certification(product)
    return {
        "product": product.key,
        "status": report["status"],
        "certifiedAt": report.get("certifiedAt"),
        "blocking": report.get("blocking", []),
        "warnings": report.get("warnings", []),
    }


@router.get("/certify/report", summary="Certification report: each policy certified or not")
def certify_report(product: ProductDep, services: ServicesDep, caller: DiscoveryCallerDep) -> dict[str, Any]:
    """Every policy with its outcome and evidence, from the governance layer's last certification."""
    return services.certification(product)

"""``/api/v1/usage`` and ``/api/v1/me``: usage statistics and who the caller is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from quanta.api.deps import CallerDep, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["usage"])


@router.get("/usage", summary="Usage statistics per product, port, principal and day")
def get_usage(
    services: ServicesDep,
    caller: CallerDep,
    product: Annotated[str | None, Query(max_length=400, description="Only this `domain.product`.")] = None,
) -> dict[str, Any]:
    """Counts of consumes and queries and rows served, per product, port, principal and UTC day."""
    rows = services.usage.stats(product)
    return {"items": rows, "total": sum(r["count"] for r in rows)}


@router.get("/me", summary="The calling principal")
def get_me(services: ServicesDep, caller: CallerDep) -> dict[str, Any]:
    """Name, kind and teams of the caller, and the products its teams own."""
    owned = [p.key for p in services.catalog.products.values() if caller.owns(p)]
    return {"name": caller.name, "kind": caller.kind, "teams": list(caller.teams), "owns": owned}

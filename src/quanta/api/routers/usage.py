"""``/api/v1/usage`` and ``/api/v1/me``: usage statistics, who the caller is, and password changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel, Field

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


class PasswordChange(BaseModel):
    """The caller's current password and the new one (local accounts)."""

    currentPassword: str = Field(min_length=1, max_length=1000)
    newPassword: str = Field(min_length=1, max_length=1000)


@router.post(
    "/me/password",
    summary="Change the caller's local account password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"description": "new password too short"}, 403: {"description": "wrong password"}},
)
def change_my_password(
    services: ServicesDep, caller: CallerDep, body: Annotated[PasswordChange, Body()]
) -> None:
    """Replace the caller's password after checking the current one (403 when it is wrong, 400 when the new
    one is too short). Sessions and API tokens stay valid."""
    from quanta.access import accounts

    accounts.change_password(services.access, caller.name, body.currentPassword, body.newPassword)

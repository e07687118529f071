"""``/api/v1/agreements``: request, approve, reject, revoke and list access agreements (CLI rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, status
from pydantic import BaseModel, Field

from quanta.api import consumption
from quanta.api.deps import CallerDep, ServicesDep

router = APIRouter(prefix="/api/v1/agreements", tags=["access"])


class AccessRequest(BaseModel):
    """An access request for one output port."""

    port: str = Field(
        min_length=3,
        max_length=400,
        pattern=r"^[^.\s]+\.[^.\s]+\.[^.\s]+$",
        description="`domain.product.port`.",
    )
    purpose: str = Field(min_length=1, max_length=2000, description="Why the data is needed (required).")
    endDate: date | None = Field(None, description="When the agreement expires (optional).")
    pii: bool = Field(False, description="Ask to see personal or restricted values unmasked.")


class Decision(BaseModel):
    """Why an agreement is approved, rejected or revoked."""

    reason: str = Field("", max_length=2000, description="Recorded with the transition.")


@router.get("", summary="The caller's agreements (and its teams')")
def list_agreements(services: ServicesDep, caller: CallerDep) -> list[dict[str, Any]]:
    """Every agreement the caller or one of its teams holds or requested, newest first."""
    return consumption.agreements(services, caller)


@router.get("/pending", summary="Requests waiting for the caller's decision")
def list_pending(services: ServicesDep, caller: CallerDep) -> list[dict[str, Any]]:
    """Requests the caller may approve (owner team member or approver named in the contract)."""
    return consumption.pending(services, caller)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Request access to a port")
def request_access(
    services: ServicesDep, caller: CallerDep, body: Annotated[AccessRequest, Body()]
) -> dict[str, Any]:
    """File a request; it is active at once when the port auto-approves or the caller owns it."""
    product = services.catalog.get(body.port.rsplit(".", 1)[0])
    if product is None or product.port(body.port.rsplit(".", 1)[1]) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no output port {body.port} in this mesh")
    end = body.endDate.isoformat() if body.endDate else None
    return consumption.request_access(services, caller, body.port, body.purpose, end, pii=body.pii)


@router.get("/{agreement_id}", summary="One agreement with its history")
def get_agreement(agreement_id: str, services: ServicesDep, caller: CallerDep) -> dict[str, Any]:
    """The agreement and every transition (who, when, why)."""
    return consumption.agreement(services, caller, agreement_id)


@router.post("/{agreement_id}/{action}", summary="Approve, reject or revoke an agreement")
def decide(
    agreement_id: str,
    action: Literal["approve", "reject", "revoke"],
    services: ServicesDep,
    caller: CallerDep,
    body: Annotated[Decision | None, Body()] = None,
) -> dict[str, Any]:
    """Apply the action as the caller; the access layer checks the caller may."""
    return consumption.decide(services, caller, agreement_id, action, body.reason if body else "")

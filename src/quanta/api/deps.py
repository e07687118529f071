"""FastAPI dependencies as ``Annotated`` aliases: the services, the caller and the product of a path.

``CallerDep`` requires a principal (``Authorization: Bearer <token>``, or the UI's session cookie);
``DiscoveryCallerDep`` also lets anonymous callers through when ``anonymous_discovery`` is on, as the
book's ``/discover`` and ``/observe`` interfaces usually are.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quanta.api.catalog import ProductInfo
from quanta.api.services import Caller, Services, ServiceUnavailable, authenticate
from quanta.api.sessions import COOKIE_NAME

ANONYMOUS = Caller(name="anonymous", kind="anonymous")

_bearer = HTTPBearer(auto_error=False, description="An API token from `quanta token create`.")


def get_services(request: Request) -> Services:
    """The app's :class:`~quanta.api.services.Services`."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_optional_caller(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller | None:
    """The caller from a bearer token or a UI session cookie; ``None`` when there is neither.

    Raises:
        HTTPException: 401 when a token is given but unknown.
    """
    if credentials is not None:
        try:
            caller = authenticate(services, credentials.credentials)
        except ServiceUnavailable as error:  # a token nobody can verify is not accepted
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, error.message, headers={"WWW-Authenticate": "Bearer"}
            ) from error
        if caller is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown or revoked API token; create one with `quanta token create --principal NAME`",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return caller
    session = services.sessions.get(request.cookies.get(COOKIE_NAME))
    if session is not None:
        return services.callers.get(session.principal) or Caller(name=session.principal)
    return None


OptionalCallerDep = Annotated[Caller | None, Depends(get_optional_caller)]


def get_caller(caller: OptionalCallerDep) -> Caller:
    """The caller; 401 when the request carries no credentials."""
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "authentication required: send `Authorization: Bearer <token>` (see `quanta token create`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_discovery_caller(caller: OptionalCallerDep, services: ServicesDep) -> Caller:
    """The caller, or :data:`ANONYMOUS` when anonymous discovery is allowed by the settings."""
    if caller is not None:
        return caller
    if services.settings.anonymous_discovery:
        return ANONYMOUS
    return get_caller(None)


DiscoveryCallerDep = Annotated[Caller, Depends(get_discovery_caller)]


def get_product(
    services: ServicesDep,
    domain: Annotated[str, Path(description="Domain (namespace) of the product.", max_length=200)],
    product: Annotated[str, Path(description="Product name within its domain.", max_length=200)],
) -> ProductInfo:
    """The product named by the path; 404 when the mesh has no such product."""
    found = services.catalog.get(f"{domain}.{product}")
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no data product {domain}.{product} in this mesh")
    return found


ProductDep = Annotated[ProductInfo, Depends(get_product)]


def get_product_by_id(
    services: ServicesDep,
    product_id: Annotated[str, Path(description="Product id `<domain>.<product>`.", max_length=400)],
) -> ProductInfo:
    """The product ``domain.product`` named by the path; 404 when the mesh has no such product."""
    found = services.catalog.get(product_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no data product {product_id!r} in this mesh")
    return found


ProductByIdDep = Annotated[ProductInfo, Depends(get_product_by_id)]


def require_owner(product: ProductInfo, caller: Caller) -> None:
    """403 unless ``caller`` is (a member of) ``product``'s owner team."""
    if not caller.owns(product):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"only the owner team of {product.key} ({product.owner or 'none declared'}) may do this",
        )

"""``create_app(settings)``: the FastAPI application of the marketplace API and the product gateway.

The web UI (:mod:`quanta.web`) adds its pages to this app; ``quanta serve`` runs the result under uvicorn.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from quanta.api.settings import ServeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

API_PREFIX = "/api/v1"

# QuantaError subclasses → HTTP status (the most specific class wins; see ``_status_for``).
_STATUS = {
    "AccessDenied": 403,
    "UsageError": 400,
    "SpecError": 422,
    "ConfigError": 422,
    "GateFailed": 409,
    "ConnectionFailed": 503,
    "ServiceUnavailable": 503,
    "Conflict": 409,
    "PortRetired": 410,
}


def _status_for(error: Exception) -> int:
    for cls in type(error).__mro__:
        if cls.__name__ in _STATUS:
            return _STATUS[cls.__name__]
    return 400


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """Build the app: services from the mesh, the ``/api/v1`` routers and the product gateway.

    Args:
        settings: how to serve; ``ServeSettings.from_env()`` when ``None``.

    Returns:
        The FastAPI application (OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``).

    Raises:
        ConfigError: the mesh folder holds no ``mesh.yaml`` or a product is malformed.
    """
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from quanta import __version__
    from quanta.api.routers import agreements, data, events, gateway, lineage, products, usage
    from quanta.api.services import build_services
    from quanta.engine.libraries import import_engine_libraries
    from quanta.errors import QuantaError

    settings = settings or ServeSettings.from_env()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Before the first request: request threads must never be the first to import sqlglot or pyarrow
        # at once (quanta.engine.libraries); it also spares the first consumer the 0.4 s of imports.
        import_engine_libraries()
        # After a crash, serve the repaired record, not runs left "running" (no-op when nothing was cut).
        from quanta.build import reconcile_if_interrupted
        from quanta.mesh import load_workspace

        reconcile_if_interrupted(load_workspace(settings.mesh_root))
        services.start_event_pump()
        yield
        services.close()

    app = FastAPI(
        title="Quanta marketplace and product gateway",
        version=__version__,
        description="Find, trust and consume the data products of a Quanta mesh. Every product exposes the "
        "same gateway under `/products/{domain}/{product}/` (discover, observe, control, certify).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings

    @app.exception_handler(QuantaError)
    async def _quanta_error(request: Request, error: QuantaError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.message, "error": type(error).__name__},
            status_code=_status_for(error),
        )

    for module in (products, data, agreements, lineage, events, usage, gateway):
        app.include_router(module.router)

    @app.get(f"{API_PREFIX}/health", tags=["meta"], summary="Liveness of the server")
    def health() -> dict[str, object]:
        """``ok`` and how many products are served."""
        return {"status": "ok", "products": len(services.catalog.products), "mesh": services.catalog.name}

    return app

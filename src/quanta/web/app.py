"""The UI app: the API app plus templates, static files, sessions and CSRF protection.

Sessions: signing in with an API token creates a server-side session whose random id travels in an
``HttpOnly``, ``SameSite=Lax`` cookie (``Secure`` when ``secure_cookies`` is set). Every form POST carries
a CSRF token (hidden field ``csrf``, or the ``X-CSRF-Token`` header that htmx sends): the session's token
when signed in, otherwise a double-submit token kept in the ``quanta_csrf`` cookie.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.api.settings import ServeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
CSRF_COOKIE = "quanta_csrf"


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """Build the marketplace: API, product gateway and web UI in one app.

    Args:
        settings: how to serve; ``ServeSettings.from_env()`` when ``None``.

    Returns:
        The FastAPI application.

    Raises:
        ConfigError: the mesh folder holds no ``mesh.yaml`` or a product is malformed.
    """
    from fastapi import HTTPException
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    from quanta.api import create_app as create_api
    from quanta.web import pages

    app = create_api(settings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)

    @app.exception_handler(HTTPException)
    async def _html_errors(request: Request, error: HTTPException):
        if request.url.path == "/" or request.url.path.startswith("/ui/"):
            if error.status_code == 401:
                from fastapi.responses import RedirectResponse

                return RedirectResponse(f"/ui/login?next={request.url.path}", status_code=303)
            return render(
                request,
                "error.html",
                {"status": error.status_code, "message": error.detail},
                status_code=error.status_code,
            )
        return await http_exception_handler(request, error)

    return app


def csrf_token(request: Request) -> str:
    """The CSRF token forms of this page must send back (see the module docstring)."""
    session = request.app.state.services.sessions.get(request.cookies.get("quanta_session"))
    if session is not None:
        return session.csrf
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise 403 unless ``submitted`` (or the ``X-CSRF-Token`` header) matches the expected token."""
    import hmac

    from fastapi import HTTPException

    expected = csrf_token(request)
    given = submitted or request.headers.get("x-csrf-token") or ""
    if getattr(request.state, "new_csrf", None) or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(
            403, "the form's security token is missing or stale: reload the page and try again"
        )


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200):
    """Render template ``name`` with the common context (caller, CSRF token, mesh name)."""
    from quanta.api.deps import get_optional_caller, get_services

    services = get_services(request)
    templates: Jinja2Templates = request.app.state.templates
    try:
        caller = get_optional_caller(request, services, None)
    except Exception:  # an unusable session is the same as none for rendering
        caller = None
    base = {"caller": caller, "csrf": csrf_token(request), "mesh_name": services.catalog.name}
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    set_csrf_cookie(request, response)
    return response


def set_csrf_cookie(request: Request, response: Any) -> None:
    """Send the double-submit CSRF cookie when this request created one."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        secure = request.app.state.settings.secure_cookies
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure)

"""The UI's pages: marketplace home and search, product page, sign-in, producer dashboard, my access, runs.

Pages call the same services as the API (catalog, search, consumption through the access service); they
add nothing of their own but HTML.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from quanta.api import consumption, runtime
from quanta.api.deps import CallerDep, OptionalCallerDep, ProductDep, ServicesDep
from quanta.api.routers.lineage import product_graph, viewer_graph
from quanta.api.routers.products import product_summary
from quanta.api.services import Caller, Services, authenticate
from quanta.api.sessions import COOKIE_NAME
from quanta.api.sunset import port_lifecycle
from quanta.errors import QuantaError
from quanta.web.app import check_csrf, render
from quanta.web.charts import Point, bar_chart, line_chart
from quanta.web.graph import Edge, Node, lineage_svg

router = APIRouter(include_in_schema=False)
FACET_NAMES = ("domain", "tag", "status", "owner", "certification")


def _browse_allowed(services: Services, caller: Caller | None) -> None:
    if caller is None and not services.settings.anonymous_discovery:
        raise HTTPException(401, "sign in to browse this marketplace")


def _search_context(request: Request, services: Services, q: str, sort: str) -> dict[str, Any]:
    filters = {name: request.query_params.getlist(name) for name in FACET_NAMES}
    filters = {k: v for k, v in filters.items() if v}
    if sort not in ("relevance", "usage", "quality", "freshness", "name"):
        sort = "relevance"
    page = services.search.search(q, filters=filters, sort=sort, limit=60)  # type: ignore[arg-type]
    items = []
    for hit in page.hits:
        product = services.catalog.get(hit.key)
        if product is not None:
            summary = product_summary(services, product)
            info = services.runtime(product)
            items.append(
                {
                    **summary,
                    "certification": services.certification(product)["status"],
                    "quality": info.get("quality"),
                    "freshness": (info.get("freshness") or "")[:10],
                }
            )
    return {"q": q, "sort": sort, "filters": filters, "page": page, "items": items}


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    services: ServicesDep,
    caller: OptionalCallerDep,
    q: Annotated[str, Query(max_length=500)] = "",
    sort: str = "relevance",
):
    """Marketplace home: search box, facets and product tiles."""
    _browse_allowed(services, caller)
    return render(request, "home.html", _search_context(request, services, q, sort))


@router.get("/ui/results", response_class=HTMLResponse)
def results(
    request: Request,
    services: ServicesDep,
    caller: OptionalCallerDep,
    q: Annotated[str, Query(max_length=500)] = "",
    sort: str = "relevance",
):
    """The results fragment htmx swaps in while the user types or ticks a facet."""
    _browse_allowed(services, caller)
    return render(request, "_results.html", _search_context(request, services, q, sort))


@router.get("/ui/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str, Query(max_length=500)] = "/"):
    """The sign-in form (``next``: where to go after signing in)."""
    return render(request, "login.html", {"error": "", "next": next})


@router.post("/ui/login")
def login(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=500)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Query(max_length=500)] = "/",
):
    """Check the API token, start a session and set its cookie."""
    check_csrf(request, csrf)
    try:
        caller = authenticate(services, token.strip())
    except QuantaError as error:
        return render(request, "login.html", {"error": error.message, "next": next}, status_code=503)
    if caller is None:
        return render(
            request, "login.html", {"error": "Unknown or revoked token.", "next": next}, status_code=401
        )
    return _signed_in(services, caller, next)


#: Seconds every refused password sign-in waits, so failures are slow and all alike.
PASSWORD_FAILURE_DELAY = 0.5


@router.post("/ui/login/password")
def login_password(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Query(max_length=500)] = "/",
):
    """Check a local account's password (``quanta account set-password``), start a session, set its cookie.

    A wrong password, an unknown username and a disabled account get the same message after the same
    delay, so the form does not tell which usernames exist.
    """
    import time

    from quanta.access import accounts

    check_csrf(request, csrf)
    try:
        principal = accounts.verify(services.access, username.strip(), password)
    except QuantaError as error:
        return render(request, "login.html", {"error": error.message, "next": next}, status_code=503)
    if principal is None:
        time.sleep(PASSWORD_FAILURE_DELAY)
        context = {"error": "Wrong username or password.", "next": next, "username": username}
        return render(request, "login.html", context, status_code=401)
    caller = Caller(name=str(principal.name), kind=str(principal.kind), teams=tuple(sorted(principal.teams)))
    return _signed_in(services, caller, next)


def _signed_in(services: Services, caller: Caller, next: str) -> RedirectResponse:
    """Start a server-side session for ``caller`` and redirect to ``next`` (a local path) with its cookie."""
    session = services.sessions.create(caller.name)
    services.callers[caller.name] = caller
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        session.id,
        max_age=services.settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
    )
    return response


@router.post("/ui/logout")
def logout(request: Request, services: ServicesDep, csrf: Annotated[str, Form(max_length=200)] = ""):
    """End the session."""
    check_csrf(request, csrf)
    services.sessions.delete(request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response


def _edge_label(edge: dict[str, Any]) -> str:
    if edge["kind"] == "agreement":
        return f"agreement {edge['agreement']} of {edge['consumer']}: {edge.get('purpose') or ''}"
    return str(edge.get("port", edge["kind"]))


def _lineage(services: Services, caller: Caller | None, key: str):
    try:
        graph = viewer_graph(services, caller, key)
    except QuantaError:  # the access service is down: draw the mesh without agreements
        graph = product_graph(services.catalog, key)
    nodes = []
    for n in graph["nodes"]:
        href = ""
        if n["product"] and n["kind"] == "product":
            domain, name = n["product"].split(".", 1)
            href = f"/ui/products/{domain}/{name}"
        nodes.append(Node(n["id"], n["label"], n["kind"], href, current=n["id"] == f"product:{key}"))
    edges = [Edge(e["source"], e["target"], _edge_label(e), e["kind"]) for e in graph["edges"]]
    return lineage_svg(
        nodes,
        edges,
        title=f"Lineage of {key}: upstream products and sources, downstream products and consumers",
    )


@router.get("/ui/products/{domain}/{product}", response_class=HTMLResponse)
def product_page(request: Request, product: ProductDep, services: ServicesDep, caller: OptionalCallerDep):
    """A product: description, ports and schemas (PII marked), SLA objectives with their latest measured
    status (:func:`quanta.api.runtime.sla_status`, as ``/api/v1/.../sla``), lineage, usage, sample and
    the request form."""
    _browse_allowed(services, caller)
    usage = [Point(day, count) for day, count in services.usage.per_day(product.key)]
    try:
        history = runtime.quality_history(services.registry, product.domain, product.name)
        slas = {
            port.name: runtime.sla_status(
                services.registry, product.domain, product.name, port.name, port.sla
            )
            for port in product.ports
            if port.sla
        }
    except QuantaError:
        history, slas = [], {}
    quality = [
        Point((h["startedAt"] or "")[:16].replace("T", " "), round(h["quality"] * 100, 1), h["status"])
        for h in history
        if h["quality"] is not None
    ]
    context = {
        "product": product,
        "status": services.status(product),
        "certification": services.certification(product),
        "is_owner": bool(caller and caller.owns(product)),
        "lineage_svg": _lineage(services, caller, product.key),
        "usage_svg": bar_chart(usage, title=f"Uses of {product.key} per day"),
        "quality_svg": line_chart(
            quality, title=f"Share of passed checks per build of {product.key}", y_min=0, y_max=100, unit="%"
        )
        if quality
        else None,
        "summary": services.runtime(product),
        "lifecycles": {port.name: port_lifecycle(product.key, port) for port in product.ports},
        "slas": slas,
    }
    return render(request, "product.html", context)


@router.get("/ui/products/{domain}/{product}/sample", response_class=HTMLResponse)
def product_sample(
    request: Request,
    product: ProductDep,
    services: ServicesDep,
    caller: OptionalCallerDep,
    port: Annotated[str, Query(max_length=200)],
):
    """A few rows of a port, as the viewer may see them (masked), through the access service."""
    if caller is None:
        return render(request, "_sample.html", {"error": "Sign in to see sample rows."})
    if product.port(port) is None:
        raise HTTPException(404, f"{product.key} has no port {port!r}")
    try:
        columns, rows = consumption.sample(
            services, caller, f"{product.key}.{port}", services.settings.sample_rows
        )
    except QuantaError as error:
        return render(request, "_sample.html", {"error": error.message})
    services.count_use(product.key, port, caller, "consume", len(rows))
    return render(request, "_sample.html", {"columns": columns, "rows": rows, "error": ""})


@router.post("/ui/products/{domain}/{product}/request")
def request_access(
    request: Request,
    product: ProductDep,
    services: ServicesDep,
    caller: CallerDep,
    port: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    end: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    """File an access request from the product page, then show My access."""
    check_csrf(request, csrf)
    try:
        consumption.request_access(services, caller, f"{product.key}.{port}", purpose, end or None)
    except QuantaError as error:
        raise HTTPException(400, error.message) from error
    return RedirectResponse("/ui/access", status_code=303)


@router.get("/ui/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, services: ServicesDep, caller: CallerDep):
    """Producer dashboard: my products, requests waiting for me, usage over time."""
    owned = [p for p in services.catalog.products.values() if caller.owns(p)]
    try:
        waiting, error = consumption.pending(services, caller), ""
    except QuantaError as exc:
        waiting, error = [], exc.message
    per_day: dict[str, int] = {}
    for p in owned:
        for day, count in services.usage.per_day(p.key):
            per_day[day] = per_day.get(day, 0) + count
    context = {
        "owned": owned,
        "usage": services.usage.totals(),
        "statuses": {p.key: services.status(p) for p in owned},
        "pending": waiting,
        "pending_error": error,
        "usage_svg": bar_chart(
            [Point(d, c) for d, c in sorted(per_day.items())], title="Uses of my products per day"
        ),
    }
    return render(request, "dashboard.html", context)


@router.post("/ui/agreements/{agreement_id}/decide")
def decide(
    request: Request,
    agreement_id: str,
    services: ServicesDep,
    caller: CallerDep,
    action: Annotated[str, Form(pattern="^(approve|reject|revoke)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    """Approve, reject or revoke an agreement from the dashboard."""
    check_csrf(request, csrf)
    try:
        consumption.decide(services, caller, agreement_id, action, reason)
    except QuantaError as error:
        raise HTTPException(403, error.message) from error
    return RedirectResponse("/ui/dashboard", status_code=303)


@router.get("/ui/access", response_class=HTMLResponse)
def my_access(request: Request, services: ServicesDep, caller: CallerDep):
    """The caller's agreements and their state."""
    try:
        items, error = consumption.agreements(services, caller), ""
    except QuantaError as exc:
        items, error = [], exc.message
    return render(request, "access.html", {"agreements": items, "error": error})


@router.get("/ui/runs", response_class=HTMLResponse)
def runs(request: Request, services: ServicesDep, caller: OptionalCallerDep):
    """Build runs with their check results."""
    _browse_allowed(services, caller)
    try:
        items, error = consumption.runs(services), ""
    except QuantaError as exc:
        items, error = [], exc.message
    return render(request, "runs.html", {"runs": items, "error": error})


@router.get("/ui/account", response_class=HTMLResponse)
def account_page(request: Request, caller: CallerDep):
    """The caller's account: change the local account password."""
    return render(request, "account.html", {"error": "", "done": False})


@router.post("/ui/account/password", response_class=HTMLResponse)
def account_password(
    request: Request,
    services: ServicesDep,
    caller: CallerDep,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    """Change the caller's password (the current one is checked; the new one is typed twice)."""
    import time

    from quanta.access import accounts

    check_csrf(request, csrf)
    if new != confirm:
        return render(
            request, "account.html", {"error": "The new passwords differ.", "done": False}, status_code=400
        )
    try:
        accounts.change_password(services.access, caller.name, current, new)
    except accounts.WrongPassword:
        time.sleep(PASSWORD_FAILURE_DELAY)
        return render(
            request,
            "account.html",
            {"error": "The current password is wrong.", "done": False},
            status_code=403,
        )
    except QuantaError as error:
        return render(request, "account.html", {"error": error.message, "done": False}, status_code=400)
    return render(request, "account.html", {"error": "", "done": True})

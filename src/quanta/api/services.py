"""What the API and the UI serve from: the catalog, the search index and the lower layers' services.

:class:`Services` is built once per app by :func:`build_services` and kept in ``app.state.services``.
Routes reach it through the ``ServicesDep`` dependency (:mod:`quanta.api.deps`). The registry reader
(runs, snapshots, checks, certification, product state, events) and the access service (principals,
tokens, agreements, enforced queries) are opened lazily, on first use, so the marketplace starts even
before a first build.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from quanta.api.catalog import Catalog, ProductInfo, load_catalog
from quanta.api.search import SearchDocument, SearchIndex
from quanta.api.sessions import SessionStore
from quanta.api.settings import ServeSettings
from quanta.api.usage import UsageCounter
from quanta.api.webhooks import WebhookHub
from quanta.errors import QuantaError


class ServiceUnavailable(QuantaError):
    """A lower layer the request needs (registry, access service) is not available."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal a request acts as.

    Attributes:
        name: principal name (user, team or service account).
        kind: ``user``, ``team`` or ``service``.
        teams: the teams the principal belongs to.
    """

    name: str
    kind: str = "user"
    teams: tuple[str, ...] = ()

    def owns(self, product: ProductInfo) -> bool:
        """Whether the caller is (a member of) the product's owner team."""
        return bool(product.owner) and (self.name == product.owner or product.owner in self.teams)


@dataclass
class ProductState:
    """Control state of one product set through the gateway: paused, and its configuration."""

    paused: bool = False
    reason: str = ""
    changed_by: str = ""
    changed_at: str = ""
    configuration: dict[str, Any] = field(default_factory=dict)


@dataclass
class Services:
    """Everything a request may need; one instance per app."""

    settings: ServeSettings
    catalog: Catalog
    search: SearchIndex
    usage: UsageCounter
    hub: WebhookHub
    sessions: SessionStore
    states: dict[str, ProductState] = field(default_factory=dict)
    callers: dict[str, Caller] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- catalog and search ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the mesh's descriptors and contracts and rebuild the search index."""
        self.catalog = load_catalog(self.catalog.root)
        self.search.replace(self.documents())

    def documents(self) -> list[SearchDocument]:
        """Search documents of every product, with usage, quality and freshness."""
        totals = self.usage.totals()
        return [
            SearchDocument(
                key=p.key,
                domain=p.domain,
                name=p.name,
                title=p.title,
                description=p.description,
                tags=p.tags,
                schema_text=p.schema_text,
                owner=p.owner,
                status=self.status(p),
                certification="",
                usage=totals.get(p.key, 0),
            )
            for p in self.catalog.products.values()
        ]

    def status(self, product: ProductInfo) -> str:
        """``paused`` when paused through the gateway, else the descriptor's ``status``."""
        state = self.states.get(product.key)
        return "paused" if state is not None and state.paused else product.status

    # -- control -------------------------------------------------------------------------------

    def state(self, key: str) -> ProductState:
        """The control state of product ``key``."""
        with self._lock:
            return self.states.setdefault(key, ProductState())

    def set_paused(
        self, product: ProductInfo, paused: bool, caller: Caller, reason: str = ""
    ) -> ProductState:
        """Pause or resume ``product``; publish a ``paused``/``resumed`` event to subscribers."""
        state = self.state(product.key)
        with self._lock:
            state.paused = paused
            state.reason = reason
            state.changed_by = caller.name
            state.changed_at = _now()
        self.search.upsert(next(d for d in self.documents() if d.key == product.key))
        self.hub.publish(
            product.key, "paused" if paused else "resumed", {"by": caller.name, "reason": reason}
        )
        return state

    def configure(self, product: ProductInfo, settings: dict[str, Any], caller: Caller) -> ProductState:
        """Merge ``settings`` into the product's configuration; publish a ``configured`` event."""
        state = self.state(product.key)
        with self._lock:
            state.configuration.update(settings)
            state.changed_by = caller.name
            state.changed_at = _now()
        self.hub.publish(product.key, "configured", {"by": caller.name, "settings": settings})
        return state

    # -- certification ---------------------------------------------------------------------------

    def certification(self, product: ProductInfo) -> dict[str, Any]:
        """The product's last certification: ``status`` (``OK`` / ``NOT COMPLIANT``) and ``policies``.

        A product the governance layer has not certified yet is ``NOT COMPLIANT``: certification is a
        proactive declaration, never assumed.
        """
        return {
            "product": product.key,
            "status": "NOT COMPLIANT",
            "certifiedAt": None,
            "policies": [],
            "reason": "the product has not been certified yet (run `quanta build` with governance policies)",
        }

    # -- usage ---------------------------------------------------------------------------------

    def count_use(self, product: str, port: str, caller: Caller, kind: str, rows: int) -> None:
        """Count a consume or query and update the product's usage in the search index."""
        self.usage.record(product, port, caller.name, kind, rows)
        self.search.set_usage(product, self.usage.total(product))


def build_services(settings: ServeSettings) -> Services:
    """Read the mesh and build the services of one app.

    Raises:
        ConfigError: the mesh folder holds no ``mesh.yaml`` or a product is malformed.
    """
    services = Services(
        settings=settings,
        catalog=load_catalog(settings.mesh_root),
        search=SearchIndex(),
        usage=UsageCounter(),
        hub=WebhookHub(
            attempts=settings.webhook_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
        ),
        sessions=SessionStore(ttl_seconds=settings.session_ttl_seconds),
    )
    services.search.replace(services.documents())
    return services


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def authenticate(services: Services, token: str) -> Caller | None:
    """Return the principal holding API token ``token``, or ``None`` when the token is unknown.

    Tokens are the access layer's (``quanta token create``); the registry keeps only their hashes.

    Raises:
        ServiceUnavailable: the access layer is not installed in this build of Quanta.
    """
    try:
        from quanta.access import authenticate_token  # type: ignore[attr-defined]
    except ImportError as error:
        raise ServiceUnavailable(
            "API tokens cannot be checked: the access service (quanta.access) is not available"
        ) from error
    principal = authenticate_token(services.catalog.root, token)
    if principal is None:
        return None
    return Caller(
        name=str(principal.name),
        kind=str(getattr(principal, "kind", "user")),
        teams=tuple(getattr(principal, "teams", ()) or ()),
    )

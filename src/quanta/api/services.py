"""What the API and the UI serve from: the catalog, the search index and the lower layers' services.

:class:`Services` is built once per app by :func:`build_services` and kept in ``app.state.services``.
Routes reach it through the ``ServicesDep`` dependency (:mod:`quanta.api.deps`). The registry (runs,
snapshots, checks, certification, product state, events) is opened on first use, so the marketplace
starts even before a first build; an event pump follows the registry's outbox to refresh the search index
and to feed webhook subscriptions.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quanta.api import runtime
from quanta.api.catalog import Catalog, ProductInfo, load_catalog
from quanta.api.search import SearchDocument, SearchIndex
from quanta.api.semantic import load_embedder
from quanta.api.sessions import SessionStore
from quanta.api.settings import ServeSettings
from quanta.api.usage import UsageCounter
from quanta.api.webhooks import WebhookHub
from quanta.errors import QuantaError

if TYPE_CHECKING:
    from quanta.access.service import AccessService
    from quanta.registry import Registry


class ServiceUnavailable(QuantaError):
    """A lower layer the request needs (registry, access service) is not available."""

    exit_code = 2


class Conflict(QuantaError):
    """The request is valid but the current state does not allow it (e.g. pausing a never-built product)."""


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
class Services:
    """Everything a request may need; one instance per app."""

    settings: ServeSettings
    catalog: Catalog
    search: SearchIndex
    usage: UsageCounter
    hub: WebhookHub
    sessions: SessionStore
    callers: dict[str, Caller] = field(default_factory=dict)
    _registry: Registry | None = None
    _access: AccessService | None = None
    _runtime: dict[str, dict[str, Any]] = field(default_factory=dict)
    _certifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pump: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    # -- registry ----------------------------------------------------------------------------------

    @property
    def access(self) -> AccessService:
        """The mesh's access service (principals, tokens, agreements, enforced queries), on the registry.

        Raises:
            ServiceUnavailable: the registry cannot be opened.
        """
        registry = self.registry
        with self._lock:
            if self._access is None:
                from quanta.access.session import open_service

                self._access = open_service(self.catalog.root, registry)
            return self._access

    @property
    def registry(self) -> Registry:
        """The mesh's registry (opened, and migrated, on first use).

        Raises:
            ServiceUnavailable: the registry cannot be opened.
        """
        with self._lock:
            if self._registry is None:
                from quanta.registry import open_registry

                url = self.settings.registry_url or self.catalog.registry_url
                try:
                    self._registry = open_registry(url, base_dir=self.catalog.root)
                except QuantaError as error:
                    raise ServiceUnavailable(f"the registry cannot be opened: {error.message}") from error
            return self._registry

    def runtime(self, product: ProductInfo) -> dict[str, Any]:
        """The registry's summary of ``product`` (last run, quality, freshness, certification), cached."""
        cached = self._runtime.get(product.key)
        if cached is None:
            try:
                cached = runtime.summary(self.registry, product.domain, product.name)
            except QuantaError:
                cached = {"lastRun": None, "quality": None, "freshness": None, "certification": ""}
            self._runtime[product.key] = cached
        return cached

    # -- catalog and search ---------------------------------------------------------------------

    def refresh(self, *, reload_catalog: bool = False) -> None:
        """Forget cached run-time data and rebuild the search index (re-reading the mesh if asked)."""
        if reload_catalog:
            self.catalog = load_catalog(self.catalog.root)
            self._access = None
        self._runtime.clear()
        self._certifications.clear()
        self.search.replace(self.documents())

    def documents(self) -> list[SearchDocument]:
        """Search documents of every product, with usage, quality, freshness and certification."""
        totals = self.usage.totals()
        documents = []
        for p in self.catalog.products.values():
            info = self.runtime(p)
            documents.append(
                search_document(
                    p,
                    status=self.status(p),
                    certification=self.certification(p)["status"],
                    usage=totals.get(p.key, 0),
                    quality=info.get("quality") or 0.0,
                    freshness=info.get("freshnessEpoch") or 0.0,
                )
            )
        return documents

    def status(self, product: ProductInfo) -> str:
        """``paused`` when paused through the gateway, else the descriptor's ``status``."""
        return "paused" if self.state(product)["paused"] else product.status

    # -- control -------------------------------------------------------------------------------

    def state(self, product: ProductInfo) -> dict[str, Any]:
        """The control state of ``product`` as the registry holds it."""
        try:
            info = self.registry.product_state(product.domain, product.name)
        except QuantaError:
            return {"paused": False, "reason": "", "configuration": {}, "changedAt": None}
        return {
            "paused": bool(info.paused),
            "reason": info.paused_reason or "",
            "configuration": dict(info.configuration),
            "changedAt": info.updated_at.isoformat(timespec="seconds") if info.updated_at else None,
        }

    def set_paused(self, product: ProductInfo, paused: bool, caller: Caller, reason: str = "") -> None:
        """Pause or resume ``product`` in the registry (a paused product is not built).

        Raises:
            Conflict: the product has never been built, so the registry does not know it yet.
        """
        from quanta.registry import RegistryError

        note = f"{reason} (by {caller.name})" if reason else f"by {caller.name}"
        try:
            self.registry.set_paused(product.domain, product.name, paused, note)
        except RegistryError as error:
            raise Conflict(
                f"{product.key} has never been built: run `quanta build {product.key}` first"
            ) from error
        self._after_change(product)

    def configure(self, product: ProductInfo, settings: dict[str, Any], caller: Caller) -> None:
        """Merge ``settings`` into the product's configuration in the registry.

        Raises:
            Conflict: the product has never been built.
        """
        from quanta.registry import RegistryError

        current = self.state(product)["configuration"]
        try:
            self.registry.set_configuration(product.domain, product.name, {**current, **settings})
        except RegistryError as error:
            raise Conflict(
                f"{product.key} has never been built: run `quanta build {product.key}` first"
            ) from error
        self._after_change(product)

    def _after_change(self, product: ProductInfo) -> None:
        self._runtime.pop(product.key, None)
        self._certifications.pop(product.key, None)
        self.search.upsert(next(d for d in self.documents() if d.key == product.key))

    # -- certification ---------------------------------------------------------------------------

    def certification(self, product: ProductInfo) -> dict[str, Any]:
        """The product's last certification: ``status`` (``OK`` / ``NOT COMPLIANT``) and its report.

        A product the governance layer has not certified yet is ``NOT COMPLIANT``: certification is a
        proactive declaration, never assumed.
        """
        if product.key in self._certifications:
            return self._certifications[product.key]
        try:
            found = runtime.certification_report(self.registry, product.domain, product.name)
        except QuantaError:
            found = None
        self._certifications[product.key] = result = found or {
            "product": product.key,
            "status": "NOT COMPLIANT",
            "certifiedAt": None,
            "report": {},
            "reason": "the product has not been certified yet (certification is recorded by `quanta build`)",
        }
        return result

    # -- usage ---------------------------------------------------------------------------------

    def count_use(self, product: str, port: str, caller: Caller, kind: str, rows: int) -> None:
        """Count a consume or query and update the product's usage in the search index."""
        self.usage.record(product, port, caller.name, kind, rows)
        self.search.set_usage(product, self.usage.total(product))

    # -- events --------------------------------------------------------------------------------

    def start_event_pump(self, interval: float = 1.0) -> None:
        """Follow the registry's event outbox: refresh search and deliver webhooks for new events."""
        if self._pump is not None:
            return
        try:
            newest = self.registry.events(after=0, limit=1_000_000)
            after = newest[-1].id if newest else 0
        except QuantaError:
            return
        self._stop.clear()
        self._pump = threading.Thread(target=self._follow, args=(after, interval), daemon=True)
        self._pump.start()

    def stop_event_pump(self) -> None:
        """Stop following the outbox."""
        self._stop.set()
        if self._pump is not None:
            self._pump.join(5)
            self._pump = None

    def _follow(self, after: int, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                events = self.registry.events(after=after, limit=500)
            except Exception:  # the database may be briefly locked by a build; try again later
                continue
            if not events:
                continue
            after = events[-1].id
            self.refresh()
            for event in events:
                if event.product:
                    self.hub.publish(event.product, event.type, {"eventId": event.id, **dict(event.payload)})

    def close(self) -> None:
        """Stop background work and release the registry."""
        self.stop_event_pump()
        self.hub.close()
        if self._registry is not None:
            self._registry.close()


def search_document(product: ProductInfo, **runtime_fields: Any) -> SearchDocument:
    """The search document of ``product``: its descriptor's text, plus ``runtime_fields``.

    Args:
        product: the product as the catalog read it.
        runtime_fields: ``status``, ``certification``, ``usage``, ``quality``, ``freshness`` (defaults:
            the descriptor's status, nothing else known).
    """
    fields: dict[str, Any] = {"status": product.status, **runtime_fields}
    return SearchDocument(
        key=product.key,
        domain=product.domain,
        name=product.name,
        title=product.title,
        description=product.description,
        tags=product.tags,
        schema_text=product.schema_text,
        owner=product.owner,
        properties=tuple(prop.name for port in product.ports for prop in port.properties),
        **fields,
    )


def build_services(settings: ServeSettings) -> Services:
    """Read the mesh and build the services of one app.

    Raises:
        ConfigError: the mesh folder holds no ``mesh.yaml`` or a product is malformed.
    """
    services = Services(
        settings=settings,
        catalog=load_catalog(settings.mesh_root),
        search=SearchIndex(load_embedder(settings.semantic)),
        usage=UsageCounter(),
        hub=WebhookHub(
            attempts=settings.webhook_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
        ),
        sessions=SessionStore(ttl_seconds=settings.session_ttl_seconds),
    )
    with contextlib.suppress(QuantaError):  # usage and subscriptions live in the registry when it opens
        services.usage = UsageCounter(engine=services.registry.engine)
        services.hub.engine = services.registry.engine
    services.search.replace(services.documents())
    return services


def authenticate(services: Services, token: str) -> Caller | None:
    """Return the principal holding API token ``token``, or ``None`` when the token is not valid.

    Tokens are the access layer's (``quanta token create``); the registry keeps only their hashes.

    Raises:
        ServiceUnavailable: the access service cannot be opened.
    """
    from quanta.access.tokens import InvalidToken

    try:
        principal = services.access.authenticate(token)
    except InvalidToken:
        return None
    return Caller(name=str(principal.name), kind=str(principal.kind), teams=tuple(sorted(principal.teams)))

"""Event subscriptions of the product gateway (``observe/events/subscriptions``) and webhook delivery.

A subscriber POSTs an endpoint URL and the event types it wants for one product. Every matching event is
POSTed to the endpoint as JSON by a background thread through ``httpx``; a failed attempt (connection
error, timeout or a non-2xx answer) is retried with exponential back-off up to the configured number of
attempts, and the outcome of every delivery is kept (the last ones) for the subscriber to inspect.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Event families a subscription may ask for (the part of the registry's event type before the dot,
#: e.g. ``run`` for ``run.finished``); ``*`` means all.
EVENT_TYPES = frozenset({"*", "product", "run", "snapshot", "certification", "agreement", "contract"})


@dataclass(frozen=True, slots=True)
class Subscription:
    """One webhook subscription.

    Attributes:
        id: opaque id.
        product: the product key ``domain.product``.
        endpoint: the subscriber URL events are POSTed to.
        events: event types wanted (see :data:`EVENT_TYPES`).
        principal: who subscribed.
        created: ISO 8601 UTC time of creation.
    """

    id: str
    product: str
    endpoint: str
    events: tuple[str, ...]
    principal: str
    created: str

    def wants(self, event_type: str) -> bool:
        """Whether an event of ``event_type`` matches this subscription."""
        return "*" in self.events or event_type in self.events or event_type.split(".")[0] in self.events


@dataclass(slots=True)
class Delivery:
    """The outcome of delivering one event to one subscription."""

    subscription: str
    event: str
    attempts: int = 0
    delivered: bool = False
    status_code: int | None = None
    error: str = ""


@dataclass
class WebhookHub:
    """Subscriptions plus a delivery thread.

    Args:
        attempts: attempts per event and subscription (1 = no retry).
        backoff_seconds: delay before the first retry; doubled after each failure.
        timeout_seconds: timeout of one POST.
        engine: the registry's SQLAlchemy engine to keep subscriptions in (table
            ``webhook_subscriptions``, revision ``0003_marketplace``), or ``None`` to keep them in memory.
    """

    attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 5.0
    engine: Any = None
    _subscriptions: dict[str, Subscription] = field(default_factory=dict)
    _deliveries: deque[Delivery] = field(default_factory=lambda: deque(maxlen=500))
    _queue: queue.Queue = field(default_factory=queue.Queue)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def subscribe(self, product: str, endpoint: str, events: list[str], principal: str) -> Subscription:
        """Register ``endpoint`` for ``events`` of ``product`` and return the subscription."""
        subscription = Subscription(
            id=uuid.uuid4().hex,
            product=product,
            endpoint=endpoint,
            events=tuple(events or ["*"]),
            principal=principal,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if self.engine is not None:
            from sqlalchemy.orm import Session

            from quanta.registry.models import WebhookSubscription

            with Session(self.engine) as session, session.begin():
                session.add(
                    WebhookSubscription(
                        id=subscription.id,
                        product=product,
                        endpoint=endpoint,
                        events=list(subscription.events),
                        principal=principal,
                        created_at=datetime.fromisoformat(subscription.created),
                    )
                )
            return subscription
        with self._lock:
            self._subscriptions[subscription.id] = subscription
        return subscription

    def unsubscribe(self, subscription_id: str) -> bool:
        """Remove a subscription; return whether it existed."""
        if self.engine is not None:
            from sqlalchemy.orm import Session

            from quanta.registry.models import WebhookSubscription

            with Session(self.engine) as session, session.begin():
                found = session.get(WebhookSubscription, subscription_id)
                if found is not None:
                    session.delete(found)
                return found is not None
        with self._lock:
            return self._subscriptions.pop(subscription_id, None) is not None

    def subscriptions(self, product: str | None = None) -> list[Subscription]:
        """The subscriptions, of one product when ``product`` is given."""
        if self.engine is not None:
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from quanta.registry.models import WebhookSubscription

            query = select(WebhookSubscription).order_by(
                WebhookSubscription.created_at, WebhookSubscription.id
            )
            if product is not None:
                query = query.where(WebhookSubscription.product == product)
            with Session(self.engine) as session:
                return [
                    Subscription(
                        id=row.id,
                        product=row.product,
                        endpoint=row.endpoint,
                        events=tuple(row.events),
                        principal=row.principal,
                        created=row.created_at.isoformat(timespec="seconds"),
                    )
                    for row in session.scalars(query)
                ]
        with self._lock:
            return [s for s in self._subscriptions.values() if product is None or s.product == product]

    def deliveries(self, subscription_id: str) -> list[Delivery]:
        """The recent delivery outcomes of one subscription, oldest first."""
        with self._lock:
            return [d for d in self._deliveries if d.subscription == subscription_id]

    def publish(self, product: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Queue an event of ``product`` for every matching subscription and return the event."""
        event = {
            "id": uuid.uuid4().hex,
            "type": event_type,
            "product": product,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "data": data,
        }
        for subscription in self.subscriptions(product):
            if subscription.wants(event_type):
                self._queue.put((subscription, event))
        self._ensure_thread()
        return event

    def close(self, timeout: float = 2.0) -> None:
        """Stop the delivery thread after the queued events (waits at most ``timeout`` seconds)."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)
            self._thread = None

    # -- delivery --------------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="quanta-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                subscription, event = item
                delivery = self._deliver(client, subscription, event)
                with self._lock:
                    self._deliveries.append(delivery)

    def _deliver(self, client: Any, subscription: Subscription, event: dict[str, Any]) -> Delivery:
        import httpx

        delivery = Delivery(subscription=subscription.id, event=event["id"])
        delay = self.backoff_seconds
        headers = {"X-Quanta-Event": event["type"], "X-Quanta-Subscription": subscription.id}
        for attempt in range(1, self.attempts + 1):
            delivery.attempts = attempt
            try:
                response = client.post(subscription.endpoint, json=event, headers=headers)
                delivery.status_code = response.status_code
                if response.is_success:
                    delivery.delivered = True
                    delivery.error = ""
                    return delivery
                delivery.error = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                delivery.error = f"{type(error).__name__}: {error}"
            if attempt < self.attempts:
                time.sleep(delay)
                delay *= 2
        return delivery


def delivery_dict(delivery: Delivery) -> dict[str, Any]:
    """JSON form of a delivery outcome."""
    return asdict(delivery)

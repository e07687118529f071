"""Webhook delivery to a real HTTP receiver: matching events only, retries until the receiver answers."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response

from tests.api.server import running


def _receiver(fail_first: int):
    app = FastAPI()
    app.state.received = []
    app.state.calls = 0

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        app.state.calls += 1
        if app.state.calls <= fail_first:
            return Response(status_code=500)
        app.state.received.append(await request.json())
        return Response(status_code=204)

    return app


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_failed_deliveries_are_retried_until_success():
    from quanta.api.webhooks import WebhookHub

    receiver = _receiver(fail_first=2)
    hub = WebhookHub(attempts=4, backoff_seconds=0.01)
    with running(receiver) as url:
        subscription = hub.subscribe("ops.flights", f"{url}/hook", ["paused"], "alice")
        hub.publish("ops.flights", "resumed", {"by": "bob"})  # not subscribed
        event = hub.publish("ops.flights", "paused", {"by": "bob"})
        hub.publish("ref.airports", "paused", {})  # another product
        _wait(lambda: hub.deliveries(subscription.id))
        hub.close()
    assert [e["id"] for e in receiver.state.received] == [event["id"]]
    (delivery,) = hub.deliveries(subscription.id)
    assert delivery.delivered and delivery.attempts == 3 and delivery.status_code == 204


def test_delivery_gives_up_after_the_last_attempt():
    from quanta.api.webhooks import WebhookHub

    receiver = _receiver(fail_first=100)
    hub = WebhookHub(attempts=2, backoff_seconds=0.01)
    with running(receiver) as url:
        subscription = hub.subscribe("ops.flights", f"{url}/hook", ["*"], "alice")
        hub.publish("ops.flights", "build", {"status": "success"})
        _wait(lambda: hub.deliveries(subscription.id))
        hub.close()
    (delivery,) = hub.deliveries(subscription.id)
    assert not delivery.delivered and delivery.attempts == 2 and delivery.error == "HTTP 500"

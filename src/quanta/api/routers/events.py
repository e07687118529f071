"""``/api/v1/events``: the registry's event outbox as a feed (``?after=ID``) and as server-sent events."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from quanta.api.deps import CallerDep, ServicesDep

router = APIRouter(prefix="/api/v1/events", tags=["events"])


def _event_json(event: Any) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "product": event.product,
        "payload": dict(event.payload),
        "createdAt": event.created_at.isoformat(timespec="seconds"),
    }


@router.get("", summary="Events after an id (builds, runs, snapshots, pauses, certifications, agreements)")
def list_events(
    services: ServicesDep,
    caller: CallerDep,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="The last id you have seen; 0 for the start.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[list[str] | None, Query(max_length=50, description="Only these event types.")] = None,
    product: Annotated[
        str | None, Query(max_length=400, description="Only events of `domain.product`.")
    ] = None,
) -> dict[str, Any]:
    """Oldest first; poll again with ``after`` set to ``last`` to get the next ones."""
    events = services.registry.events(after=after, limit=limit, types=type, product=product)
    return {"items": [_event_json(e) for e in events], "last": events[-1].id if events else after}


@router.get(
    "/stream",
    summary="Events as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    request: Request,
    services: ServicesDep,
    caller: CallerDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    timeout: Annotated[
        float, Query(gt=0, le=3600, description="Close the stream after this many seconds.")
    ] = 300,
) -> StreamingResponse:
    """Each new event as one SSE message (``id``, ``event`` = type, ``data`` = JSON); polls every second."""

    async def messages():
        last = after
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and not await request.is_disconnected():
            events = await asyncio.to_thread(services.registry.events, after=last, limit=100)
            for event in events:
                last = event.id
                yield f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(_event_json(event))}\n\n"
            if not events:
                yield ": keep-alive\n\n"
                await asyncio.sleep(1)

    return StreamingResponse(messages(), media_type="text/event-stream")

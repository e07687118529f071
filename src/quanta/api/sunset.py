"""HTTP signals of a port's lifecycle: ``Deprecation``, ``Sunset`` and ``Link: rel="successor-version"``.

A response that serves a deprecated port carries

* ``Deprecation: @<unix seconds>`` (RFC 9745): when the port was deprecated: its ``endOfSupport`` when
  that date has passed, otherwise the time of the response (its contract says ``status: deprecated``);
* ``Sunset: <HTTP-date>`` (RFC 8594): its ``endOfLife``, when the contract states it;
* ``Link: <...>; rel="successor-version"`` (RFC 5829): the data of the next major version of the port,
  when the producer publishes one.

A retired port is answered ``410 Gone`` (``PortRetired``, mapped in :mod:`quanta.api.app`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quanta.access.lifecycle import Deprecation


def lifecycle_headers(deprecations: Iterable[Deprecation], *, now: datetime | None = None) -> dict[str, str]:
    """The response headers for the deprecated ports a response served (empty when there is none).

    Args:
        deprecations: from the access layer's ``QueryResult.deprecations``.
        now: the response time (default: now, UTC).

    Returns:
        ``Deprecation``, and ``Sunset`` / ``Link`` when known; with several ports, the earliest dates and
        every successor link.
    """
    from quanta.spec.sunset import parse_moment

    found = list(deprecations)
    if not found:
        return {}
    now = now or datetime.now(UTC)
    since = []
    for item in found:
        support = parse_moment(item.end_of_support)
        since.append(support if support is not None and support <= now else now)
    headers = {"Deprecation": f"@{int(min(since).timestamp())}"}
    ends = [moment for item in found if (moment := parse_moment(item.end_of_life)) is not None]
    if ends:
        headers["Sunset"] = format_datetime(min(ends).astimezone(UTC), usegmt=True)
    links = [f'<{data_url(item.successor)}>; rel="successor-version"' for item in found if item.successor]
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def data_url(port: str) -> str:
    """The API path of a port's data: ``/api/v1/products/{domain.product}/ports/{port}/data``."""
    product, name = port.rsplit(".", 1)
    return f"/api/v1/products/{product}/ports/{name}/data"


def port_lifecycle(product_key: str, port: Any) -> dict[str, Any]:
    """The ``lifecycle`` object of a port's JSON detail, and its ``warnings`` (judged now).

    Args:
        product_key: ``domain.product``.
        port: a :class:`quanta.api.catalog.PortInfo`.

    Returns:
        ``{"lifecycle": {status, reason, endOfSupport, endOfLife, successor}, "warnings": [text...]}``.
    """
    from quanta.access.lifecycle import Deprecation

    state = port.lifecycle.at() if port.lifecycle is not None else None
    successor = f"{product_key}.{port.successor}" if port.successor else None
    lifecycle = {
        "status": state.status if state else None,
        "reason": state.reason if state else "",
        "endOfSupport": state.end_of_support if state else None,
        "endOfLife": state.end_of_life if state else None,
        "successor": successor,
    }
    warnings = []
    if state is not None and state.deprecated:
        key = f"{product_key}.{port.name}"
        warnings.append(
            Deprecation(key, state.reason, state.end_of_support, state.end_of_life, successor).message
        )
    elif state is not None and state.retired:
        warnings.append(f"{product_key}.{port.name} is retired ({state.reason}) and no longer served")
    return {"lifecycle": lifecycle, "warnings": warnings}

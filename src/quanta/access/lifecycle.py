"""Lifecycle on the read path: deprecated ports warn every consumer, retired ones are refused (issue 7).

The effective lifecycle of a port comes from its contract (``status``, ``endOfSupport``, ``endOfLife``)
and its product's ``status`` (see :mod:`quanta.spec.sunset`); the catalog keeps it on each
:class:`~quanta.access.catalog.PortInfo`, and the dates are judged again at every query (a server that
runs across a port's ``endOfLife`` stops serving it then). :func:`check_ports` is called by the enforced
query path before any data is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError

if TYPE_CHECKING:
    from quanta.access.catalog import PortInfo


class PortDeprecationWarning(FutureWarning):
    """Issued by ``quanta.connect(...).sql(...)`` for each deprecated port a query read (shown by default)."""


class PortRetired(QuantaError):
    """A port is retired (status ``retired`` or past its ``endOfLife``): it is no longer served.

    The API answers ``410 Gone``; the CLI exits 1.
    """


@dataclass(frozen=True, slots=True)
class Deprecation:
    """A deprecated port a query read: what its consumers are told.

    Attributes:
        port: ``domain.product.port``.
        reason: why it is deprecated (its status or a past ``endOfSupport``).
        end_of_support: the ``endOfSupport`` SLA value, if stated.
        end_of_life: the ``endOfLife`` SLA value, if stated (after it the port is not served).
        successor: ``domain.product.port`` of the next major version, if the producer publishes one.
    """

    port: str
    reason: str
    end_of_support: str | None = None
    end_of_life: str | None = None
    successor: str | None = None

    @property
    def message(self) -> str:
        """One sentence naming the port, its replacement and its end of life."""
        text = f"{self.port} is deprecated ({self.reason})"
        if self.successor:
            text += f"; use {self.successor} instead"
        if self.end_of_life:
            text += f"; it will not be served after its endOfLife {self.end_of_life}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``warnings`` of API bodies)."""
        return {
            "port": self.port,
            "status": "deprecated",
            "reason": self.reason,
            "endOfSupport": self.end_of_support,
            "endOfLife": self.end_of_life,
            "successor": self.successor,
            "message": self.message,
        }


def check_ports(ports: Iterable[PortInfo], *, now: datetime | None = None) -> list[Deprecation]:
    """Judge the lifecycle of the ports a query reads.

    Args:
        ports: the ports (each with its ``lifecycle`` and ``successor``).
        now: the time the dates are judged at (default: now, UTC).

    Returns:
        One :class:`Deprecation` per deprecated port, in order, without duplicates.

    Raises:
        PortRetired: a port is retired; the message names it, why, and its successor if any.
    """
    now = now or datetime.now(UTC)
    found: dict[str, Deprecation] = {}
    for info in ports:
        if info.lifecycle is None or info.key in found:
            continue
        state = info.lifecycle.at(now)
        if state.retired:
            instead = f"; read {info.successor} instead" if info.successor else ""
            raise PortRetired(f"{info.key} is retired ({state.reason}) and no longer served{instead}")
        if state.deprecated:
            found[info.key] = Deprecation(
                info.key, state.reason, state.end_of_support, state.end_of_life, info.successor
            )
    return list(found.values())

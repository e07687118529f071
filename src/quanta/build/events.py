"""Progress events a build emits while it runs, for a live display or a log.

The runner calls one callback with :class:`BuildEvent` records from its worker threads; a consumer must
be thread-safe (the CLI's Rich display takes a lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["build_started", "product_started", "stage_started", "stage_finished", "product_finished"]


@dataclass(frozen=True)
class BuildEvent:
    """One step of a build.

    Attributes:
        kind: what happened.
        product: the product key (``domain.product``), empty for ``build_started``.
        stage: the stage name for stage events.
        status: for ``*_finished``: ``ok``/``failed``/``skipped`` (stages) or the product's final status.
        seconds: duration of the finished stage or product.
        detail: small extra facts (rows, checks, reason), JSON-compatible.
    """

    kind: EventKind
    product: str = ""
    stage: str = ""
    status: str = ""
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[BuildEvent], None]


def ignore(event: BuildEvent) -> None:
    """A progress callback that drops every event."""

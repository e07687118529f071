"""Major changes during a build: list the consumers of the old version and notify them (issue 7).

A major change of an output contract reaches consumers in one of two ways:

* **side by side**: the descriptor lists the port at a new major version next to the old one (see
  :mod:`quanta.mesh.workspace`); the build that first publishes the new major (its table had no version
  yet) sends the notice, naming the old port;
* **in place**: the port is listed once and its contract's major version went up since the version last
  published; the build that publishes it sends the notice.

:func:`major_notices` (called by the ``certify`` stage, which has the last published contracts at hand)
decides which notices the product owes; the :class:`NotifyConsumers` finisher, once the product has
published, lists the consumers holding ``active`` or ``approved`` agreements on the old version (through
:class:`quanta.access.store.AccessStore`), records a ``contract.major_change`` event in the registry's
outbox (the marketplace delivers it to the product's webhook subscribers, like every registry event) and
puts the notice on the build result. Governance gives the notice, access lists the agreements: they are
siblings and do not import each other, so the build joins them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.build.stages import Stage

if TYPE_CHECKING:
    from quanta.build.context import ProductRun
    from quanta.governance import MajorChangeNotice
    from quanta.registry import Registry

#: The registry event type of a major change (delivered to subscribers of ``contract`` or ``*``).
EVENT_TYPE = "contract.major_change"


@dataclass(frozen=True)
class PendingNotice:
    """A notice the product owes once it publishes.

    Attributes:
        notice: what changed and until when the old version lives.
        old_port: the published name of the port consumers of the old version read.
        new_port: the published name of the port at the new major version.
    """

    notice: MajorChangeNotice
    old_port: str
    new_port: str


def major_notices(run: ProductRun, previous: dict[str, Any]) -> list[PendingNotice]:
    """The notices the product of ``run`` owes its consumers if it publishes.

    Args:
        run: the product's run.
        previous: ``{contract id: Contract}``, the last published contracts
            (:func:`quanta.governance.service.last_published`).

    Returns:
        One notice per output contract whose newest major version is published for the first time (side
        by side) or whose major version went up in place.
    """
    from quanta.governance import MajorChangeNotice, major_change_notice
    from quanta.mesh.majors import major_of
    from quanta.spec.sunset import END_OF_LIFE, END_OF_SUPPORT, sla_value

    spec = run.workspace.products[run.key]  # every listing, retired ones included
    planned = {port.name: port for port in run.planned.ports}
    found = []
    for port in run.product.output_ports:
        old = previous.get(port.contract_id)
        if old is None or port.name not in planned or (major_of(old.version) or 0) >= (port.major or 0):
            continue
        earlier = [p for p in spec.output_ports if p.port_name == port.port_name and p.name != port.name]
        if earlier:  # side by side: only when the new major is published for the first time
            if planned[port.name].published_version is not None:
                continue
            old_port = max(earlier, key=lambda p: p.major or 0)
            old = old_port.contract
            old_name = old_port.name
        else:
            old_name = port.name
        notice = major_change_notice(old, port.contract) or MajorChangeNotice(
            contract_id=port.contract_id,
            old_version=str(old.version),
            new_version=str(port.contract.version),
            end_of_support=sla_value(old, END_OF_SUPPORT),
            end_of_life=sla_value(old, END_OF_LIFE),
        )
        found.append(PendingNotice(notice, old_name, port.name))
    return found


def consumers_of(registry: Registry, port: str, notice: MajorChangeNotice) -> list[dict[str, Any]]:
    """The consumers holding an ``active`` or ``approved`` agreement on the old version of ``port``.

    Args:
        registry: the open registry (its access tables).
        port: ``domain.product.port`` of the old version.
        notice: the notice (its :meth:`~quanta.governance.MajorChangeNotice.affects` filters agreements).

    Returns:
        ``[{"consumer", "kind", "agreement", "state", "contractVersion"}]``, one per agreement.
    """
    from quanta.access.agreements import State
    from quanta.access.store import AccessStore

    agreements = AccessStore(registry.engine).agreements(port=port, states=[State.ACTIVE, State.APPROVED])
    return [
        {
            "consumer": a.consumer,
            "kind": a.consumer_kind,
            "agreement": a.id,
            "state": str(a.state),
            "contractVersion": a.contract_version,
        }
        for a in agreements
        if notice.affects(a.contract_version)
    ]


@dataclass(frozen=True)
class NotifyConsumers(Stage):
    """After a product published: list the consumers of each old version and notify them (a finisher).

    Args:
        registry: the build's registry (outbox and access tables).
    """

    name: ClassVar[str] = "notify"
    registry: Registry | None = None

    def execute(self, run: ProductRun) -> dict[str, Any]:
        if self.registry is None or not run.pending_notices or run.result is None:
            return {"notices": 0}
        if run.result.status != "published":
            return {"notices": 0, "reason": "not published"}
        domain, product = run.product.domain, run.product.name
        for pending in run.pending_notices:
            old_port = f"{domain}.{product}.{pending.old_port}"
            payload = {
                **pending.notice.to_event(),
                "port": old_port,
                "newPort": f"{domain}.{product}.{pending.new_port}",
                "consumers": consumers_of(self.registry, old_port, pending.notice),
            }
            self.registry.add_event(EVENT_TYPE, run.key, payload)
            run.notices.append(payload)
        return {"notices": len(run.notices)}

"""The consumption side of the marketplace: agreements, enforced reads and queries, build runs.

Every read of data goes through the access service (:mod:`quanta.access`): it authorizes the caller
from its agreements, rewrites and guards the SQL, masks restricted columns and writes the audit record.
The functions here only translate between the access service and the API's JSON.
"""

from __future__ import annotations

from typing import Any

from quanta.api.services import Caller, Services
from quanta.errors import UsageError


def _access(services: Services) -> Any:
    """The mesh's access service."""
    return services.access


def agreements(services: Services, caller: Caller) -> list[dict[str, Any]]:
    """The agreements of the caller and of its teams, newest first."""
    service = _access(services)
    found = {}
    for consumer in (caller.name, *caller.teams):
        for agreement in service.list(consumer=consumer):
            found[agreement.id] = agreement.to_dict()
    return sorted(found.values(), key=lambda a: str(a.get("createdAt") or ""), reverse=True)


def agreement(services: Services, caller: Caller, agreement_id: str) -> dict[str, Any]:
    """One agreement, if the caller is its consumer, requested it, or may decide on it.

    Raises:
        AccessDenied: the caller has nothing to do with the agreement.
    """
    from quanta.errors import AccessDenied

    service = _access(services)
    found = service.get(agreement_id)
    deciders = {a.id for a in service.pending_for(caller.name)}
    if found.id not in deciders and not _concerns(services, caller, found):
        raise AccessDenied(f"agreement {agreement_id} is neither yours nor waiting for your decision")
    return found.to_dict()


def _concerns(services: Services, caller: Caller, found: Any) -> bool:
    """Whether ``found`` is the caller's (or its team's), was requested by them, or is on a port they own."""
    mine = {caller.name, *caller.teams}
    if found.consumer in mine or found.requested_by in mine:
        return True
    product = services.catalog.get(found.port.rsplit(".", 1)[0])
    return product is not None and caller.owns(product)


def lineage_agreements(services: Services, caller: Caller | None, ports: set[str]) -> list[dict[str, Any]]:
    """The active agreements on ``ports`` the caller may see, for the product-level lineage graph.

    Deny by default, with the rules of :func:`agreement`: an anonymous caller sees none; a principal sees
    the agreements it (or one of its teams) holds or requested and every agreement on the ports of the
    products its team owns.

    Args:
        services: the app's services (its access service and catalog).
        caller: who asks; ``None`` or the anonymous discovery caller see nothing.
        ports: ``domain.product.port`` names; agreements on other ports are left out.

    Returns:
        ``Agreement.to_dict()`` of each visible active agreement, ordered by port, consumer and id.
    """
    if caller is None or caller.kind == "anonymous" or not ports:
        return []
    found = [
        a
        for a in _access(services).list(state="active")
        if a.port in ports and _concerns(services, caller, a)
    ]
    return [a.to_dict() for a in sorted(found, key=lambda a: (a.port, a.consumer, a.id))]


def pending(services: Services, caller: Caller) -> list[dict[str, Any]]:
    """Requests waiting for the caller's decision (as owner or approver)."""
    return [a.to_dict() for a in _access(services).pending_for(caller.name)]


def request_access(
    services: Services, caller: Caller, port: str, purpose: str, end: str | None = None, *, pii: bool = False
) -> dict[str, Any]:
    """File an access request for ``port`` (``domain.product.port``) as the caller.

    The access store writes the ``agreement.request`` (or, auto-approved, ``agreement.activate``) event to
    the registry outbox in the same transaction; the event pump delivers it to webhook subscribers.
    """
    created = _access(services).request(
        caller.name, port, purpose, requested_by=caller.name, ends_at=end, pii=pii
    )
    return created.to_dict()


def decide(
    services: Services, caller: Caller, agreement_id: str, action: str, reason: str = ""
) -> dict[str, Any]:
    """Apply ``approve``, ``reject`` or ``revoke`` to an agreement as the caller.

    The access store writes ``agreement.<transition>`` to the registry outbox with the change (e.g.
    ``agreement.activate`` for an approval); the event pump delivers it to webhook subscribers, so nothing
    is published from here (a second event would reach every subscriber twice).

    Raises:
        UsageError: ``action`` is not one of the three.
    """
    service = _access(services)
    if action == "approve":
        changed = service.approve(agreement_id, caller.name, reason)
    elif action == "reject":
        changed = service.reject(agreement_id, caller.name, reason or "rejected")
    elif action == "revoke":
        changed = service.revoke(agreement_id, caller.name, reason or "revoked")
    else:
        raise UsageError(f"unknown action {action!r}: use approve, reject or revoke")
    return changed.to_dict()


def read_stream(services: Services, caller: Caller, port: str, limit: int | None) -> Any:
    """The rows of ``port`` the caller may see (masked, filtered, audited) as an open ``QueryStream``."""
    from quanta.access.enforce import port_statement

    return _access(services).stream(caller.name, port_statement(port), limit=limit)


def read(services: Services, caller: Caller, port: str, limit: int | None) -> Any:
    """The rows of ``port`` the caller may see (masked, filtered, audited), as an Arrow table."""
    return read_stream(services, caller, port, limit).read_all()


def query(services: Services, caller: Caller, statement: str, limit: int | None = None) -> Any:
    """Run ``statement`` through the enforced path; returns the access layer's open ``QueryStream``."""
    return _access(services).stream(caller.name, statement, limit=limit)


def sample(services: Services, caller: Caller, port: str, limit: int) -> tuple[list[str], list[tuple]]:
    """Up to ``limit`` rows of ``port`` as the caller may see them (masked), as columns and row tuples."""
    table = read(services, caller, port, limit)
    return table.column_names, [tuple(row.values()) for row in table.to_pylist()]


def runs(services: Services, limit: int = 100) -> list[dict[str, Any]]:
    """Recent product runs from the registry, newest first, with check counts and check results.

    Args:
        services: the app's services (its registry).
        limit: at most this many runs.

    Returns:
        :func:`quanta.api.runtime.run_json` of each run with its ``checkResults`` (every check result of the
        run, as the API's check history serves them), plus its counts flattened (``passed``, ``warned``,
        ``failed`` ...), ``started`` and ``rows`` (rows of the snapshots the run published, summed over
        its ports; ``None`` when it published none).
    """
    from quanta.api import runtime

    reader = services.registry
    items = []
    published: dict[tuple[str, str], dict[str, int]] = {}
    for run in reader.runs(limit=limit):
        if (run.domain, run.product) not in published:
            rows: dict[str, int] = {}
            for snap in reader.snapshots(run.domain, run.product):
                if snap.run_id is not None and snap.row_count is not None:
                    rows[snap.run_id] = rows.get(snap.run_id, 0) + snap.row_count
            published[(run.domain, run.product)] = rows
        body = runtime.run_json(reader, run, with_checks=True)
        rows_of_run = published[(run.domain, run.product)].get(run.id)
        items.append({**body, **body["checks"], "started": body["startedAt"], "rows": rows_of_run})
    return items

"""The consumption side of the marketplace: agreements, enforced reads and queries, build runs.

Every read of data goes through the access service (:mod:`quanta.access`): it authorizes the caller
from its agreements, rewrites and guards the SQL, masks restricted columns and writes the audit record.
The functions here only translate between the access service and the API's JSON.
"""

from __future__ import annotations

from typing import Any

from quanta.api.services import Caller, Services, ServiceUnavailable


def _access(services: Services) -> Any:
    """The mesh's access service.

    Raises:
        ServiceUnavailable: the access layer offers no service in this build of Quanta.
    """
    try:
        from quanta.access import open_access  # type: ignore[attr-defined]
    except ImportError as error:
        raise ServiceUnavailable(
            "access agreements and data are not available: the access service (quanta.access) is not "
            "installed in this build"
        ) from error
    return open_access(services.catalog.root)


def agreements(services: Services, caller: Caller) -> list[dict[str, Any]]:
    """The agreements the caller holds or requested, newest first."""
    return [a.to_dict() for a in _access(services).list_agreements(consumer=caller.name)]


def pending(services: Services, caller: Caller) -> list[dict[str, Any]]:
    """Requests waiting for the caller's decision (as owner or approver)."""
    return [a.to_dict() for a in _access(services).pending_for(caller.name)]


def request_access(
    services: Services, caller: Caller, port: str, purpose: str, end: str | None = None
) -> dict[str, Any]:
    """File an access request for ``port`` (``domain.product.port``)."""
    return _access(services).request(caller.name, port, purpose=purpose, ends_at=end).to_dict()


def decide(
    services: Services, caller: Caller, agreement_id: str, action: str, reason: str = ""
) -> dict[str, Any]:
    """Apply ``approve``, ``reject`` or ``revoke`` to an agreement as the caller."""
    return _access(services).transition(agreement_id, action, actor=caller.name, reason=reason).to_dict()


def sample(services: Services, caller: Caller, port: str, limit: int) -> tuple[list[str], list[tuple]]:
    """Up to ``limit`` rows of ``port`` as the caller may see them (masked), as columns and row tuples."""
    table = _access(services).read_port(caller.name, port, limit=limit).read_all()
    return table.column_names, [tuple(row.values()) for row in table.to_pylist()]


def runs(services: Services) -> list[dict[str, Any]]:
    """Recent build runs from the registry, newest first."""
    raise ServiceUnavailable(
        "build runs are not available: the registry reader is not installed in this build"
    )

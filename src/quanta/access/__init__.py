"""Consumption: principals, tokens, access agreements, authorization, guarded queries, masking, audit.

The entry points (imported lazily, so ``import quanta.access`` stays cheap):

- :class:`AccessService` (:mod:`quanta.access.service`): request, approve, reject, revoke, list,
  authorize, query, audit — what the CLI and the HTTP API call;
- :func:`open_access` / :func:`authenticate_token`: the service of a mesh folder (cached per mesh), and
  token authentication, for the HTTP API;
- :func:`connect` (:mod:`quanta.access.session`): a Python query session as a principal
  (``quanta.connect``).

See ``docs/access-control.md``.
"""

from __future__ import annotations

from quanta.lazy import lazy_exports

_EXPORTS = {
    "AccessService": "quanta.access.service",
    "UnknownPrincipal": "quanta.access.service",
    "Agreement": "quanta.access.agreements",
    "AgreementError": "quanta.access.agreements",
    "State": "quanta.access.agreements",
    "PrincipalRef": "quanta.access.authorizer",
    "Decision": "quanta.access.authorizer",
    "QueryRefused": "quanta.access.guard",
    "QueryFacts": "quanta.access.enforce",
    "QueryResult": "quanta.access.enforce",
    "QueryStream": "quanta.access.enforce",
    "SnapshotNotFound": "quanta.access.enforce",
    "AuditEntry": "quanta.access.store",
    "InvalidToken": "quanta.access.tokens",
    "UnknownPort": "quanta.access.catalog",
    "PortDeprecationWarning": "quanta.access.lifecycle",
    "PortRetired": "quanta.access.lifecycle",
    "Session": "quanta.access.session",
    "connect": "quanta.access.session",
    "open_service": "quanta.access.session",
    "open_access": "quanta.access.session",
    "authenticate_token": "quanta.access.session",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

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

import importlib
from typing import Any

_EXPORTS = {
    "AccessService": "quanta.access.service",
    "UnknownPrincipal": "quanta.access.service",
    "Agreement": "quanta.access.agreements",
    "AgreementError": "quanta.access.agreements",
    "State": "quanta.access.agreements",
    "PrincipalRef": "quanta.access.authorizer",
    "Decision": "quanta.access.authorizer",
    "QueryRefused": "quanta.access.guard",
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


def __getattr__(name: str) -> Any:
    """Import the public API on first use (PEP 562)."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'quanta.access' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)

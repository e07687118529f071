"""``quanta.connect``: an enforced query session for one principal, from Python.

Example::

    import quanta

    session = quanta.connect("bob", mesh="examples/nycflights")
    table = session.sql("SELECT origin, count(*) AS n FROM operations.flights.flights GROUP BY origin")
    print(table.to_pandas())

Every statement goes through the same path as ``quanta query``: the guard, Cedar, masking, row filters,
the sealed sandbox and the audit log (:mod:`quanta.access.enforce`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from quanta.access.authorizer import PrincipalRef
    from quanta.access.enforce import QueryResult
    from quanta.access.service import AccessService, PortAccess

__all__ = ["TOKEN_ENV", "Session", "acting", "authenticate_token", "connect", "open_access", "open_service"]

#: Environment variable holding an API token; the CLI acts as its principal when ``--as`` is not given.
TOKEN_ENV = "QUANTA_TOKEN"


class Session:
    """A principal's query session over one mesh.

    Args:
        service: the access service of the mesh.
        principal: the resolved principal every statement runs as.
    """

    def __init__(self, service: AccessService, principal: PrincipalRef) -> None:
        self.service = service
        self.principal = principal
        self.last_result: QueryResult | None = None

    def sql(self, statement: str) -> pa.Table:
        """Run one read query over ports (``domain.product.port``) and return the rows as Arrow.

        A deprecated port issues a :class:`~quanta.access.lifecycle.PortDeprecationWarning` naming its
        replacement and its end of life.

        Raises:
            QueryRefused: the statement is not a read of ports.
            AccessDenied: a port is not granted to the principal.
            PortRetired: a port is retired.
        """
        import warnings

        from quanta.access.lifecycle import PortDeprecationWarning

        self.last_result = self.service.query(self.principal, statement)
        for deprecation in self.last_result.deprecations:
            warnings.warn(deprecation.message, PortDeprecationWarning, stacklevel=2)
        return self.last_result.table

    def ports(self) -> list[PortAccess]:
        """Return every port of the mesh with whether this principal may query it (and see PII)."""
        return self.service.ports_for(self.principal)

    def close(self) -> None:
        """Release the registry connection pool."""
        engine = getattr(self.service.store, "engine", None)
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session(principal={self.principal.name!r}, mesh={self.service.catalog.name!r})"


def open_service(mesh: str | Path = ".", registry: Any = None) -> AccessService:
    """Open the access service of a mesh, on its configured registry unless one is given.

    Args:
        mesh: the mesh folder or a folder inside it.
        registry: an open registry (or SQLAlchemy engine); by default the mesh's (``mesh.yaml``
            ``registry``, or ``QUANTA_REGISTRY_URL``), migrated on open.

    Raises:
        ConfigError: the mesh is invalid.
    """
    from quanta.access.catalog import load_catalog
    from quanta.access.service import AccessService

    catalog = load_catalog(mesh)
    if registry is None:
        from quanta.mesh.config import load_mesh_config
        from quanta.registry import open_registry

        assert catalog.root is not None
        registry = open_registry(load_mesh_config(catalog.root).registry_url(catalog.root))
    return AccessService(registry, catalog)


_SERVICES: dict[str, tuple[tuple[float, ...], AccessService]] = {}


def _mesh_stamp(root: Path) -> tuple[float, ...]:
    """Modification times of every file that shapes the access catalog (to know when to reload)."""
    patterns = (
        "mesh.yaml",
        "teams/*.y*ml",
        "domains/*/domain.yaml",
        "domains/*/*/product.odps.yaml",
        "domains/*/*/contracts/*.odcs.yaml",
        "policies/access/*.cedar",
    )
    stamps = [path.stat().st_mtime for pattern in patterns for path in sorted(root.glob(pattern))]
    return (len(stamps), *stamps)


def open_access(mesh: str | Path = ".") -> AccessService:
    """Return the access service of a mesh, reused across calls while the mesh files are unchanged.

    This is what a long-running process (the HTTP API) calls per request: the registry is opened once,
    and the catalog (ports, teams, approvers, ``.cedar`` files) is reloaded when a mesh file changes.

    Args:
        mesh: the mesh folder (or a folder inside it).

    Raises:
        ConfigError: the mesh is invalid.
    """
    from quanta.mesh.workspace import find_mesh_root

    root = find_mesh_root(mesh)
    stamp = _mesh_stamp(root)
    cached = _SERVICES.get(str(root))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    from quanta.access.catalog import load_catalog
    from quanta.access.service import AccessService

    registry = cached[1].registry if cached is not None else None
    service = open_service(root) if registry is None else AccessService(registry, load_catalog(root))
    _SERVICES[str(root)] = (stamp, service)
    return service


def authenticate_token(mesh: str | Path, token: str) -> PrincipalRef | None:
    """Return the principal an API token acts as, or ``None`` when the token is not valid.

    Args:
        mesh: the mesh folder.
        token: the token as presented (``qt_<id>_<secret>``); it is never logged.
    """
    from quanta.access.tokens import InvalidToken

    try:
        return open_access(mesh).authenticate(token)
    except InvalidToken:
        return None


def connect(
    principal: str | None = None,
    *,
    mesh: str | Path = ".",
    token: str | None = None,
    registry: Any = None,
) -> Session:
    """Open an enforced query session as ``principal`` (or as the owner of an API token).

    Args:
        principal: a user, team or service account name; ``None`` uses ``token``.
        mesh: the mesh folder (or a folder inside it).
        token: an API token (default: ``$QUANTA_TOKEN`` when no principal is given).
        registry: an open registry to use instead of the mesh's.

    Returns:
        The session.

    Raises:
        UnknownPrincipal: the principal is unknown.
        InvalidToken: the token is not valid.
        UsageError: neither a principal nor a token was given.
    """
    service = open_service(mesh, registry)
    return Session(service, acting(service, principal, token))


def acting(service: AccessService, principal: str | None = None, token: str | None = None) -> PrincipalRef:
    """Return who a command acts as: ``principal`` if given, else the owner of ``token`` / ``$QUANTA_TOKEN``.

    Raises:
        UnknownPrincipal: the principal is unknown.
        InvalidToken: the token is not valid.
        UsageError: neither a principal nor a token was given.
    """
    from quanta.errors import UsageError

    if principal:
        return service.principal(principal)
    token = token or os.environ.get(TOKEN_ENV)
    if token:
        return service.authenticate(token)
    raise UsageError(f"say who you are: give a principal (--as NAME) or an API token (${TOKEN_ENV})")

"""The access service: the one entry point the CLI, the HTTP API and Python sessions use.

:class:`AccessService` ties the mesh (ports, teams, approvers: :mod:`quanta.access.catalog`), the registry
(principals, tokens, agreements, audit: :mod:`quanta.access.store`), the Cedar authorizer and the
query pipeline (:mod:`quanta.access.enforce`) together. Every method that decides something appends the
decision to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.access.agreements import Agreement, State, as_utc
from quanta.access.authorizer import Authorizer, Decision, PrincipalRef, agreement_policy, load_policy_files
from quanta.access.catalog import AccessCatalog, PortInfo, load_catalog
from quanta.access.store import AccessStore, AuditEntry
from quanta.access.tokens import InvalidToken, NewToken
from quanta.access.workflow import SYSTEM_ACTOR, AgreementWorkflow
from quanta.errors import AccessDenied, UsageError

if TYPE_CHECKING:
    from quanta.access.enforce import QueryResult, QueryStream
    from quanta.engine.sandbox import SandboxLimits

__all__ = ["SYSTEM_ACTOR", "AccessService", "UnknownPrincipal"]

_KINDS = ("user", "team", "service")


class UnknownPrincipal(AccessDenied):
    """A name is neither a team or member of the mesh nor a principal recorded in the registry."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class PortAccess:
    """What one principal may do with one port (for listings such as ``quanta access list --ports``).

    Attributes:
        port: the port.
        decision: the Cedar decision for the principal.
    """

    port: PortInfo
    decision: Decision


class AccessService(AgreementWorkflow):
    """Agreements, tokens, authorization and enforced queries over one mesh and one registry.

    Args:
        registry: the registry (an object with an ``engine`` attribute, such as
            :class:`quanta.registry.Registry`) or a SQLAlchemy ``Engine``; its schema must include migration
            ``0002_access``.
        mesh: the mesh folder (or a folder inside it), or an already loaded :class:`AccessCatalog`.
        sandbox_limits: memory and thread limits of query sandboxes.

    Raises:
        ConfigError: the mesh or one of its ``policies/access/*.cedar`` files is invalid.
    """

    def __init__(
        self,
        registry: Any,
        mesh: str | Path | AccessCatalog,
        *,
        sandbox_limits: SandboxLimits | None = None,
    ) -> None:
        self.catalog = mesh if isinstance(mesh, AccessCatalog) else load_catalog(mesh)
        self.store = AccessStore(getattr(registry, "engine", registry))
        self.registry = registry
        self.authorizer = Authorizer(self.catalog, load_policy_files(self.catalog.policy_dir))
        self.sandbox_limits = sandbox_limits

    # -- identity ---------------------------------------------------------------------------------

    def principal(self, name: str) -> PrincipalRef:
        """Resolve a name to a principal with its teams.

        A name is a team of the mesh, a product ``domain.product`` (a service account in the product's
        owner team), a principal recorded in the registry (``quanta token create``), or a member of a team.

        Raises:
            UnknownPrincipal: the name is none of these.
        """
        if name in self.catalog.teams:
            return PrincipalRef(name, "team", frozenset({name}))
        if name in self.catalog.products:
            owners = {
                port.owner for port in self.catalog.ports.values() if port.product_key == name and port.owner
            }
            return PrincipalRef(name, "service", frozenset(owners) | self.catalog.teams_of(name))
        kind = self.store.principal_kind(name)
        if kind is None and name in self.catalog.users():
            kind = "user"
        if kind is None:
            raise UnknownPrincipal(
                f"unknown principal {name!r}: use a team or team member of the mesh (mesh.yaml `teams:`, "
                f"teams/, ODPS/ODCS `team`), a product domain.product, or register it with "
                f"`quanta token create --principal {name} --kind user|service`"
            )
        return PrincipalRef(name, kind, self.catalog.teams_of(name))  # type: ignore[arg-type]

    def create_token(
        self,
        principal: str,
        *,
        kind: str | None = None,
        label: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewToken:
        """Create an API token for ``principal`` (registering it when ``kind`` is given).

        Args:
            principal: the principal's name.
            kind: ``user``, ``team`` or ``service`` to register a principal the mesh does not know.
            label: a free label (e.g. the machine it is for).
            expires_at: optional expiry (UTC).

        Returns:
            The new token; its ``token`` attribute is the only copy of the secret.

        Raises:
            UnknownPrincipal: the principal is unknown and no ``kind`` was given.
            UsageError: ``kind`` is not one of user, team, service.
        """
        from quanta.access import tokens

        if kind is not None:
            if kind not in _KINDS:
                raise UsageError(f"principal kind {kind!r} is unknown: use user, team or service")
            self.store.add_principal(principal, kind)
        ref = self.principal(principal)
        self.store.add_principal(ref.name, ref.kind)
        new = tokens.generate()
        self.store.add_token(new.id, ref.name, new.salt, new.digest, label=label, expires_at=expires_at)
        self._audit(ref.name, "token", "allow", reason=f"token {new.id} created")
        return new

    def authenticate(self, token: str) -> PrincipalRef:
        """Return the principal an API token acts as.

        Raises:
            InvalidToken: the token is malformed, unknown, revoked or expired (the message never
                repeats the token).
        """
        from quanta.access import tokens

        token_id, secret = tokens.parse(token)
        stored = self.store.token(token_id)
        if stored is None or not tokens.matches(secret, stored.salt, stored.digest):
            raise InvalidToken("the API token is not valid: create one with `quanta token create`")
        if stored.revoked_at is not None:
            raise InvalidToken(
                f"the API token {token_id} was revoked: create a new one with `quanta token create`"
            )
        if stored.expires_at is not None and stored.expires_at <= datetime.now(UTC):
            raise InvalidToken(
                f"the API token {token_id} has expired: create a new one with `quanta token create`"
            )
        self.store.touch_token(token_id)
        return self.principal(stored.principal)

    def revoke_token(self, token_id: str, actor: str) -> None:
        """Revoke the token ``token_id`` (its owner or anyone acting as the same principal).

        Raises:
            InvalidToken: no active token has that id, or it belongs to another principal.
        """
        stored = self.store.token(token_id)
        if stored is None or stored.principal != actor or not self.store.revoke_token(token_id):
            raise InvalidToken(f"no active token {token_id!r} of {actor!r}")
        self._audit(actor, "token", "allow", reason=f"token {token_id} revoked")

    # -- decisions --------------------------------------------------------------------------------

    def active_agreements(self, principal: PrincipalRef) -> list[Agreement]:
        """Return the active agreements that cover ``principal`` (its own and its teams')."""
        found = self.store.active_grants({principal.name, *principal.teams})
        return [a for a in self._expire(found) if a.state is State.ACTIVE]

    def agreement_policies(self, principal: PrincipalRef, ports: Iterable[PortInfo]) -> list[tuple[str, str]]:
        """Return ``(agreement id, Cedar policy)`` for each active agreement of ``principal`` on ``ports``.

        Agreements granted on an older major contract version are left out (they need re-approval).
        """
        wanted = {port.key: port for port in ports}
        policies = []
        for agreement in self.active_agreements(principal):
            port = wanted.get(agreement.port)
            if port is None or agreement.needs_reapproval(port):
                continue
            policies.append(
                (
                    agreement.id,
                    agreement_policy(
                        agreement.id,
                        consumer=agreement.consumer,
                        consumer_kind=agreement.consumer_kind,  # type: ignore[arg-type]
                        port=agreement.port,
                        pii=agreement.pii,
                        ends_at=None if agreement.ends_at is None else as_utc(agreement.ends_at).timestamp(),
                        purpose=agreement.purpose,
                    ),
                )
            )
        return policies

    def authorize(self, principal: str | PrincipalRef, ports: Iterable[str]) -> list[Decision]:
        """Decide whether ``principal`` may query each port and see its sensitive values (no audit).

        Raises:
            UnknownPort, UnknownPrincipal: a name is unknown.
        """
        who = principal if isinstance(principal, PrincipalRef) else self.principal(principal)
        infos = [self.catalog.port(name) for name in ports]
        return self.authorizer.decide(who, infos, self.agreement_policies(who, infos))

    def ports_for(self, principal: str | PrincipalRef) -> list[PortAccess]:
        """Return every port of the mesh with the principal's decision on it."""
        who = principal if isinstance(principal, PrincipalRef) else self.principal(principal)
        infos = list(self.catalog.ports.values())
        decisions = self.authorizer.decide(who, infos, self.agreement_policies(who, infos))
        return [PortAccess(info, decision) for info, decision in zip(infos, decisions, strict=True)]

    def policies(self, principal: str | PrincipalRef | None = None) -> str:
        """Return the Cedar policies in force (for ``principal``'s agreements, or for every active one)."""
        if principal is None:
            agreements = [
                a
                for a in self._expire(self.store.agreements(states=[State.ACTIVE]))
                if a.state is State.ACTIVE
            ]
            rows = []
            for agreement in agreements:
                info = self.catalog.ports.get(agreement.port)
                if info is None or agreement.needs_reapproval(info):
                    continue
                ends = None if agreement.ends_at is None else as_utc(agreement.ends_at).timestamp()
                rows.append(
                    (
                        agreement.id,
                        agreement_policy(
                            agreement.id,
                            consumer=agreement.consumer,
                            consumer_kind=agreement.consumer_kind,  # type: ignore[arg-type]
                            port=agreement.port,
                            pii=agreement.pii,
                            ends_at=ends,
                            purpose=agreement.purpose,
                        ),
                    )
                )
            return self.authorizer.policies(rows)
        who = principal if isinstance(principal, PrincipalRef) else self.principal(principal)
        return self.authorizer.policies(self.agreement_policies(who, self.catalog.ports.values()))

    def query(self, principal: str | PrincipalRef, statement: str) -> QueryResult:
        """Run one SQL statement as ``principal`` through the guard, Cedar, masking and the sandbox.

        Args:
            principal: who asks (a name or a resolved principal).
            statement: one read query over ports named ``domain.product.port``.

        Returns:
            The result (Arrow) with what was read and masked; the decision is in the audit log.

        Raises:
            QueryRefused: the guard refused the statement.
            AccessDenied: a port is not covered by an active agreement (or a policy forbids it).
            UnknownPort: a port is not published by the mesh.
        """
        from quanta.access.enforce import run_query

        who = principal if isinstance(principal, PrincipalRef) else self.principal(principal)
        return run_query(self, who, statement)

    def stream(
        self, principal: str | PrincipalRef, statement: str, *, limit: int | None = None
    ) -> QueryStream:
        """Like :meth:`query`, but the rows come batch by batch as they are read (for serving large results).

        Args:
            principal: who asks (a name or a resolved principal).
            statement: one read query over ports named ``domain.product.port``.
            limit: at most this many rows (applied in SQL).

        Returns:
            The open stream of record batches; close it (or read it to the end) to release its sandboxes.

        Raises:
            QueryRefused, AccessDenied, UnknownPort: as :meth:`query` (recorded in the audit log).
            SandboxError: the statement failed to bind or to produce its first rows.
        """
        from quanta.access.enforce import run_query_stream

        who = principal if isinstance(principal, PrincipalRef) else self.principal(principal)
        return run_query_stream(self, who, statement, limit=limit)

    def audit(self, **filters: Any) -> list[AuditEntry]:
        """Return audit entries, newest first (filters of :meth:`AccessStore.audit`)."""
        return self.store.audit(**filters)

    # -- helpers ----------------------------------------------------------------------------------

    def _audit(self, principal: str, action: str, decision: str, **fields: Any) -> int:
        return self.store.append_audit(
            AuditEntry(principal=principal, action=action, decision=decision, **fields)
        )

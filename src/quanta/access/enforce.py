"""The enforced query path: guard → authorize → mask and filter → sandbox → audit.

:func:`run_query_stream` is what :meth:`AccessService.stream` (the HTTP API) and, through
:func:`run_query`, :meth:`AccessService.query` (``quanta query``, ``quanta.connect``) run for every
statement:

1. :func:`quanta.access.guard.guard` parses the statement and refuses anything but a read of ports;
   a retired port is refused (:class:`~quanta.access.lifecycle.PortRetired`) and each deprecated one
   gives a warning (:mod:`quanta.access.lifecycle`);
2. the Cedar authorizer decides ``query`` and ``readPii`` for each port from the principal's active
   agreements, the built-in and the mesh's policies; one denied port denies the statement;
3. each port's snapshot (latest, ``@vN`` or ``AS OF``) is opened from its Delta table and masked and
   filtered in the masking sandbox (:func:`quanta.access.masking.prepare_port`);
4. the decision (allow or deny, ports, columns, masked columns, purposes, statement hash) is appended
   to the audit log — denials included;
5. the rewritten statement (with the caller's row limit added in SQL) runs in a fresh sealed sandbox that
   holds only that prepared data. Its result is a stream of record batches: the snapshot is read, masked,
   queried and handed over batch by batch, so a port of any size is served in bounded memory. A plain
   read of one port (``SELECT * FROM port [LIMIT n]``, what the HTTP API's data endpoint sends) has
   nothing left to compute after masking: its rows stream straight from the masking sandbox, with the
   limit in the masking ``SELECT``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from quanta.access.catalog import UnknownPort
from quanta.access.guard import GuardedStatement, PortRef, QueryRefused, guard
from quanta.access.lifecycle import Deprecation, PortRetired, check_ports
from quanta.access.masking import BATCH_ROWS, prepare_port
from quanta.access.store import AuditEntry
from quanta.errors import AccessDenied, QuantaError
from quanta.spec.sunset import parse_moment

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

    from quanta.access.authorizer import Decision, PrincipalRef
    from quanta.access.catalog import PortInfo
    from quanta.access.service import AccessService

__all__ = [
    "PolicyStep",
    "QueryFacts",
    "QueryResult",
    "QueryStream",
    "SnapshotNotFound",
    "policy_step",
    "port_statement",
    "read_snapshot",
    "run_query",
    "run_query_stream",
]


class SnapshotNotFound(QuantaError):
    """A port has no published snapshot (at the version asked for)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryFacts:
    """What an enforced query read and on which grounds: the audit's view of one statement.

    Attributes:
        ports: the ``domain.product.port`` names read.
        columns: per port, the columns exposed to the statement.
        masked: per port, the columns that were masked.
        agreements: ids of the agreements that granted access.
        statement_hash: SHA-256 of the statement.
        audit_id: the audit log entry of the decision.
        deprecations: the deprecated ports read (each warns the consumer; see
            :mod:`quanta.access.lifecycle`).
    """

    ports: tuple[str, ...]
    columns: dict[str, list[str]] = field(default_factory=dict)
    masked: dict[str, list[str]] = field(default_factory=dict)
    agreements: tuple[str, ...] = ()
    statement_hash: str = ""
    audit_id: int | None = None
    deprecations: tuple[Deprecation, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """One message per deprecated port read."""
        return [d.message for d in self.deprecations]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryResult(QueryFacts):
    """The result of an enforced query: every row (``table``, Arrow) and the :class:`QueryFacts`."""

    table: pa.Table


@dataclass(frozen=True, slots=True)
class PolicyStep:
    """The outcome of the policy step of one statement (before any data is read).

    Attributes:
        statement: the guarded statement.
        ports: the port of each reference, in order.
        decisions: the Cedar decision of each distinct port, by ``domain.product.port``.
        sql: the rewritten statement that will run in the sandbox.
        relations: the sandbox relation name of each reference.
        deprecations: the deprecated ports among them.
    """

    statement: GuardedStatement
    ports: dict[PortRef, PortInfo]
    decisions: dict[str, Decision]
    sql: str
    relations: dict[PortRef, str]
    deprecations: tuple[Deprecation, ...] = ()


def policy_step(service: AccessService, principal: PrincipalRef, statement: str) -> PolicyStep:
    """Parse, authorize and rewrite one statement: everything but reading and running.

    Raises:
        QueryRefused: the guard refused it.
        UnknownPort: it names a port the mesh does not publish.
        PortRetired: it names a retired port.
        AccessDenied: a port is not granted (the message says which and how to request access).
    """
    guarded = guard(statement)
    ports = {ref: service.catalog.port(ref.name) for ref in guarded.ports}
    deprecations = tuple(check_ports(ports.values()))
    distinct = list({info.key: info for info in ports.values()}.values())
    policies = service.agreement_policies(principal, distinct)
    decisions = {d.port: d for d in service.authorizer.decide(principal, distinct, policies)}
    denied = [key for key, decision in decisions.items() if not decision.query]
    if denied:
        raise AccessDenied(_denial_message(service, principal, denied))
    relations = {ref: f"__quanta_port_{index}" for index, ref in enumerate(guarded.ports)}
    sql = guarded.rewrite(relations, in_place=True)
    return PolicyStep(guarded, ports, decisions, sql, relations, deprecations)


def _denial_message(service: AccessService, principal: PrincipalRef, denied: list[str]) -> str:
    stale = {
        a.port
        for a in service.active_agreements(principal)
        if a.port in denied and a.needs_reapproval(service.catalog.port(a.port))
    }
    parts = []
    for key in denied:
        if key in stale:
            parts.append(f"{key} (the contract changed major version: the agreement must be re-approved)")
        else:
            parts.append(key)
    return (
        f"{principal.name} has no active access agreement for {', '.join(parts)}: request one with "
        f'`quanta access request {denied[0]} --purpose "..."`'
    )


def read_snapshot(service: AccessService, info: PortInfo, ref: PortRef) -> Any:
    """Return the port's published snapshot as a ``pyarrow.dataset.Dataset`` (via :mod:`quanta.storage`).

    ``ref.version`` selects a Delta version; ``ref.as_of`` an ISO timestamp (the newest version committed
    at or before it), a product run id (recorded in the Delta commit) or a build id (looked up in the
    registry).

    Raises:
        SnapshotNotFound: the table does not exist yet, or has no such version.
    """
    from quanta import storage

    version = ref.version
    try:
        if ref.as_of is not None:
            version = _version_as_of(service, info, ref.as_of)
        return storage.read_version(info.location, version, storage_options=_options(service, info))
    except storage.TableNotFound:
        raise SnapshotNotFound(f"{info.key} has not been published yet: run `quanta build` first") from None
    except storage.StorageError as error:
        raise SnapshotNotFound(f"{ref}: no such snapshot ({error.message})") from None


def _options(service: AccessService, info: PortInfo) -> dict[str, str] | None:
    """Object-store options of the port's table (``None`` for a local table)."""
    from quanta import storage

    return storage.options(info.location, service.catalog.storage_config)


def _version_as_of(service: AccessService, info: PortInfo, as_of: str) -> int:
    """Resolve ``AS OF '<timestamp | run id | build id>'`` to a Delta version of the port's table."""
    from quanta import storage

    versions = storage.list_versions(info.location, storage_options=_options(service, info))
    if not versions:
        raise storage.TableNotFound(info.location)
    moment = parse_moment(as_of)
    if moment is not None:
        older = [v.version for v in versions if v.timestamp <= moment]
        if not older:
            raise SnapshotNotFound(f"{info.key} AS OF {as_of!r}: the first version was published later")
        return max(older)
    by_run = [v.version for v in versions if v.run_id == as_of]
    if by_run:
        return max(by_run)
    version = service.store.snapshot_version(info.location, info.name, as_of)
    if version is None:
        raise SnapshotNotFound(
            f"{info.key} AS OF {as_of!r}: no version of this port was published by that build or run "
            f"(give a build or run id from `quanta runs`, an ISO timestamp, or use {info.key}@vN)"
        )
    return version


class QueryStream:
    """The result of an enforced query, read batch by batch (what the HTTP API streams).

    Iterating yields ``pyarrow.RecordBatch`` objects of at most the requested batch size, produced as they
    are read: the snapshot is scanned, masked, filtered and queried while the caller consumes. The first
    batch is computed when the stream is opened, so statement errors surface before anything is sent.
    Close the stream (or use it as a context manager) to release its sandboxes; reading to the end closes
    it too.

    Attributes:
        schema: the Arrow schema of the rows.
        facts: the ports read, masked columns, agreements and audit entry (:class:`QueryFacts`).
        rows: rows handed out so far.
    """

    def __init__(self, reader: pa.RecordBatchReader, resources: list[Any], facts: QueryFacts) -> None:
        self.schema: pa.Schema = reader.schema
        self.facts = facts
        self.rows = 0
        self._reader = reader
        self._resources = resources
        self._closed = False
        try:
            self._first: pa.RecordBatch | None = reader.read_next_batch()
        except StopIteration:
            self._first = None
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._closed:
            return
        try:
            if self._first is not None:
                batch, self._first = self._first, None
                self.rows += batch.num_rows
                yield batch
            for batch in self._reader:
                self.rows += batch.num_rows
                yield batch
        finally:
            self.close()

    def read_all(self) -> pa.Table:
        """Read the remaining rows into one Arrow table and close the stream."""
        import pyarrow as pa

        return pa.Table.from_batches(list(self), schema=self.schema)

    def close(self) -> None:
        """Release the sandboxes (idempotent; a stream closed early hands out no more rows)."""
        resources, self._resources = self._resources, []
        self._first = None
        self._closed = True
        for resource in reversed(resources):
            resource.close()

    def __enter__(self) -> QueryStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_query(service: AccessService, principal: PrincipalRef, statement: str) -> QueryResult:
    """Run one statement as ``principal`` and return every row; see the module docstring for the steps.

    Raises:
        QueryRefused, AccessDenied, UnknownPort: refused or denied (recorded in the audit log).
        SnapshotNotFound: a port has no snapshot at the version asked for (recorded as a denial: nothing
            was served).
        SandboxError: the statement failed while running (e.g. an unknown column).
    """
    with run_query_stream(service, principal, statement) as stream:
        table = stream.read_all()
    facts = stream.facts
    return QueryResult(table=table, **{f.name: getattr(facts, f.name) for f in fields(QueryFacts)})


def run_query_stream(
    service: AccessService,
    principal: PrincipalRef,
    statement: str,
    *,
    limit: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> QueryStream:
    """Open one statement as ``principal`` as a stream of record batches; see the module docstring.

    Args:
        service: the access service.
        principal: who asks.
        statement: one read query over ports named ``domain.product.port``.
        limit: at most this many rows (added to the statement in SQL: the sandbox stops reading there).
        batch_rows: rows per record batch.

    Returns:
        The open stream (close it, or read it to the end).

    Raises:
        QueryRefused, AccessDenied, UnknownPort: refused or denied (recorded in the audit log).
        SnapshotNotFound: a port has no snapshot at the version asked for (recorded as a denial).
        SandboxError: the statement failed to bind or to produce its first rows.
    """
    from quanta.access.guard import statement_hash
    from quanta.engine.sandbox import SandboxedConnection

    digest = statement_hash(statement)
    try:
        step = policy_step(service, principal, statement)
    except (QueryRefused, AccessDenied, UnknownPort, PortRetired) as error:
        ports = _mentioned_ports(statement)
        service.store.append_audit(
            AuditEntry(
                principal.name, "query", "deny", ports=ports, statement_hash=digest, reason=error.message
            )
        )
        raise
    columns: dict[str, list[str]] = {}
    masked: dict[str, list[str]] = {}
    purposes: list[str] = []
    granted: list[str] = []
    prepared = {}
    resources: list[Any] = []
    agreements = {a.id: a for a in service.active_agreements(principal)}
    whole_port = _whole_port(step, limit)
    try:
        for ref, info in step.ports.items():
            decision = step.decisions[info.key]
            used = [agreements[i] for i in decision.agreements if i in agreements]
            builtin_or_custom = len(decision.reasons) > len(decision.agreements)
            filters = (
                None
                if builtin_or_custom or any(a.row_filter is None for a in used)
                else [a.row_filter for a in used]
            )
            try:
                dataset = read_snapshot(service, info, ref)
            except SnapshotNotFound as error:
                service.store.append_audit(
                    AuditEntry(
                        principal.name,
                        "query",
                        "deny",
                        ports=(info.key,),
                        statement_hash=digest,
                        reason=error.message,
                    )
                )
                raise
            wanted = step.statement.columns_of(list(dataset.schema.names))
            result = prepare_port(
                info,
                dataset,
                columns=wanted,
                pii=decision.pii,
                row_filters=filters,
                batch_rows=batch_rows,
                limit=whole_port[1] if whole_port else None,
            )
            resources.append(result.data)
            prepared[ref] = result
            columns.setdefault(info.key, [])
            columns[info.key] = sorted(set(columns[info.key]) | set(result.columns))
            masked[info.key] = sorted(set(masked.get(info.key, [])) | set(result.masked))
            for agreement in used:
                if agreement.id not in granted:
                    granted.append(agreement.id)
                    purposes.append(agreement.purpose)
        audit_id = service.store.append_audit(
            AuditEntry(
                principal.name,
                "query",
                "allow",
                ports=tuple(dict.fromkeys(info.key for info in step.ports.values())),
                columns=columns,
                masked=masked,
                purpose="; ".join(dict.fromkeys(purposes)) or None,
                statement_hash=digest,
                agreements=tuple(granted),
                reason="; ".join(d.message for d in step.deprecations) or None,
            )
        )
        if whole_port:
            (only,) = prepared.values()
            reader = only.data.reader()
        else:
            box = SandboxedConnection(service.sandbox_limits)
            resources.append(box)
            for ref, relation in step.relations.items():
                box.register(relation, prepared[ref].data)
            box.seal()
            sql = step.sql if limit is None else _limited(step.statement.expression, limit)
            reader = box.stream(sql, batch_rows)
    except BaseException:
        for resource in reversed(resources):
            resource.close()
        raise
    return QueryStream(
        reader,
        resources,
        QueryFacts(
            ports=tuple(columns),
            columns=columns,
            masked=masked,
            agreements=tuple(granted),
            statement_hash=digest,
            audit_id=audit_id,
            deprecations=step.deprecations,
        ),
    )


def port_statement(port: str) -> str:
    """``SELECT * FROM "domain"."product"."port"`` for ``port`` = ``domain.product.port`` (quoted by sqlglot)."""
    from sqlglot import exp

    domain, product, name = port.split(".")
    table = exp.Table(
        this=exp.to_identifier(name, quoted=True),
        db=exp.to_identifier(product, quoted=True),
        catalog=exp.to_identifier(domain, quoted=True),
    )
    return exp.select("*").from_(table).sql(dialect="duckdb")


def _whole_port(step: PolicyStep, limit: int | None) -> tuple[bool, int | None] | None:
    """``(True, rows)`` when the statement only reads one port whole: ``SELECT * FROM port [LIMIT n]``.

    ``rows`` is the smaller of ``n`` and ``limit`` (``None``: every row). Such a statement computes nothing
    over the masked rows, so they need not pass through the consumer's sandbox. Anything else (a column
    list, a filter, a join, an order, an offset, a CTE, ...) returns ``None``.
    """
    from sqlglot import exp

    tree = step.statement.expression
    if len(step.relations) != 1 or not isinstance(tree, exp.Select):
        return None
    if len(tree.expressions) != 1 or not isinstance(tree.expressions[0], exp.Star):
        return None
    if any(tree.expressions[0].args.values()):  # EXCLUDE, REPLACE, RENAME
        return None
    if any(value for key, value in tree.args.items() if key not in {"expressions", "from", "from_", "limit"}):
        return None
    clause = tree.args.get("from") or tree.args.get("from_")
    source = clause.this if clause is not None else None
    if not isinstance(source, exp.Table):
        return None
    if any(value for key, value in source.args.items() if key not in {"this", "db", "catalog", "alias"}):
        return None
    current = tree.args.get("limit")
    if current is None:
        return True, limit
    if not (isinstance(current, exp.Limit) and current.expression.is_int):
        return None
    rows = current.expression.to_py()
    return True, rows if limit is None else min(rows, limit)


def _limited(tree: exp.Expression, limit: int) -> str:
    """The rewritten statement ``tree`` with at most ``limit`` rows, as DuckDB SQL.

    A query without a ``LIMIT`` (or with a larger literal one) gets ``LIMIT limit``; anything else (an
    expression, ``FETCH FIRST``, a percentage) is wrapped as ``SELECT * FROM (...) LIMIT limit``.
    """
    from sqlglot import exp

    current = tree.args.get("limit")
    if isinstance(tree, exp.Query) and (
        current is None
        or (
            isinstance(current, exp.Limit)
            and current.expression.is_int
            and current.expression.to_py() > limit
        )
    ):
        return tree.limit(limit, copy=True).sql(dialect="duckdb")
    if isinstance(current, exp.Limit) and current.expression.is_int:
        return tree.sql(dialect="duckdb")
    return exp.select("*").from_(tree.subquery("__quanta_limited")).limit(limit).sql(dialect="duckdb")


def _mentioned_ports(statement: str) -> tuple[str, ...]:
    """Best effort: the three-part table names a refused statement mentions (for the audit log)."""
    try:
        import sqlglot
        from sqlglot import exp

        trees = [tree for tree in sqlglot.parse(statement, read="duckdb") if tree is not None]
    except Exception:
        return ()
    names = []
    for table in (table for tree in trees for table in tree.find_all(exp.Table)):
        parts = [part.name.lower() for part in table.parts]
        if len(parts) == 3:
            names.append(".".join(parts))
    return tuple(dict.fromkeys(names))

"""Plain, frozen records the registry takes and returns (never ORM objects, so no session leaks out).

Statuses used across the registry:

- build: ``running``, ``succeeded``, ``warned``, ``blocked``, ``failed``;
- product run: ``running``, ``passed``, ``warned``, ``blocked``, ``failed``, ``skipped``, ``unchanged``;
- check result: ``passed``, ``failed``, ``error``, ``skipped``, ``manual``, ``not_evaluated``;
- certification: ``OK``, ``NOT COMPLIANT``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

BUILD_STATUSES = ("running", "succeeded", "warned", "blocked", "failed")
RUN_STATUSES = ("running", "passed", "warned", "blocked", "failed", "skipped", "unchanged")
#: Run statuses after which the product's output ports hold this run's data.
PUBLISHED_STATUSES = ("passed", "warned")
CHECK_STATUSES = ("passed", "failed", "error", "skipped", "manual", "not_evaluated")
CERTIFICATION_STATUSES = ("OK", "NOT COMPLIANT")


def product_key(domain: str, product: str) -> str:
    """Return ``domain.product``, the product's name in events and lineage."""
    return f"{domain}.{product}"


@dataclass(frozen=True, slots=True)
class PortInfo:
    """An output port: name, ODPS port version, contract and the table that publishes it."""

    name: str
    version: str | None = None
    contract_id: str | None = None
    contract_version: str | None = None
    table_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ContractRecord:
    """One contract file as a product uses it: raw YAML kept verbatim.

    Attributes:
        contract_id: the ODCS ``id``.
        version: the ODCS ``version``.
        raw_yaml: the file's text.
        fingerprint: a content hash (e.g. SHA-256 hex) of ``raw_yaml``.
        kind: ``output``, ``source`` or ``input``.
    """

    contract_id: str
    version: str | None
    raw_yaml: str
    fingerprint: str
    kind: str = "output"


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """What the build knows of a product from its files, to register before running it.

    Attributes:
        domain: domain name.
        name: product name.
        odps_id: the ODPS ``id``.
        owner_team: the owning team's name.
        description: a short description, if any.
        descriptor_yaml: the ``product.odps.yaml`` text.
        descriptor_version: the ODPS ``version``.
        descriptor_fingerprint: a content hash of ``descriptor_yaml``.
        ports: the output ports.
        contracts: the contracts in the product's folder.
    """

    domain: str
    name: str
    descriptor_yaml: str
    descriptor_fingerprint: str
    odps_id: str | None = None
    owner_team: str | None = None
    description: str | None = None
    descriptor_version: str | None = None
    ports: Sequence[PortInfo] = ()
    contracts: Sequence[ContractRecord] = ()


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """A registered product, with its output ports and whether it is paused."""

    domain: str
    name: str
    odps_id: str | None
    owner_team: str | None
    description: str | None
    descriptor_version: str | None
    descriptor_fingerprint: str | None
    ports: tuple[PortInfo, ...]
    paused: bool
    created_at: datetime
    updated_at: datetime

    @property
    def key(self) -> str:
        """``domain.name``."""
        return product_key(self.domain, self.name)


@dataclass(frozen=True, slots=True)
class DescriptorInfo:
    """One recorded ODPS descriptor text of a product."""

    domain: str
    product: str
    version: str | None
    fingerprint: str
    raw_yaml: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """One recorded contract text; ``product`` is ``domain.name`` of the product that holds it."""

    contract_id: str
    version: str | None
    kind: str
    fingerprint: str
    raw_yaml: str
    product: str | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """One build of the mesh."""

    id: str
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    options: Mapping[str, Any]
    host: str | None
    pid: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One product run. ``steps`` maps a step name to seconds; ``duration_s`` is wall time in seconds."""

    id: str
    build_id: str
    domain: str
    product: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    fingerprint: str | None
    steps: Mapping[str, Any]
    error: str | None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish, or ``None`` while running."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A committed Delta version to record for an output port (see :meth:`from_published`).

    Attributes:
        port: output port name.
        table_uri: the Delta table location.
        delta_version: the committed version.
        row_count: rows in that version.
        schema: the data's schema as JSON (``quanta.storage.schema_to_json``).
        contract_id: the contract the data was gated on.
        contract_version: that contract's version.
        fingerprint: the run's fingerprint.
        committed_at: the commit time.
    """

    port: str
    table_uri: str
    delta_version: int
    row_count: int | None = None
    schema: Sequence[Mapping[str, Any]] = ()
    contract_id: str | None = None
    contract_version: str | None = None
    fingerprint: str | None = None
    committed_at: datetime | None = None

    @classmethod
    def from_published(
        cls,
        port: str,
        published: Any,
        *,
        contract_id: str | None = None,
        contract_version: str | None = None,
        fingerprint: str | None = None,
    ) -> SnapshotRecord:
        """Build the record of a :class:`quanta.storage.PublishedVersion`.

        Args:
            port: output port name.
            published: what :func:`quanta.storage.publish` returned.
            contract_id: the contract the data was gated on.
            contract_version: that contract's version.
            fingerprint: the run's fingerprint.
        """
        return cls(
            port=port,
            table_uri=published.table_uri,
            delta_version=published.version,
            row_count=published.row_count,
            schema=published.schema,
            contract_id=contract_id,
            contract_version=contract_version,
            fingerprint=fingerprint,
            committed_at=published.committed_at,
        )


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A recorded snapshot of an output port; ``valid`` is false once reconciliation found it missing."""

    id: int
    run_id: str | None
    domain: str
    product: str
    port: str
    table_uri: str
    delta_version: int
    row_count: int | None
    schema: Sequence[Mapping[str, Any]]
    contract_id: str | None
    contract_version: str | None
    fingerprint: str | None
    committed_at: datetime | None
    recorded_at: datetime
    valid: bool
    invalid_reason: str | None


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One check result (written by the build, read by the API). ``id``/``run_id`` are set when read.

    Attributes:
        status: passed, failed, error, skipped, manual or not_evaluated.
        port: the output port whose data was checked.
        rule_id: stable rule identifier (the ODCS quality ``id`` or a generated one).
        rule_name: human-readable rule name.
        kind: rule kind, e.g. ``nullValues``, ``unique``, ``sql``, ``schema``.
        element: JSON path or ``object.property`` the rule applies to.
        dimension: ODCS ``dimension`` (completeness, uniqueness, ...).
        severity: ODCS ``severity`` (error, warning, info).
        metric_value: the measured value.
        operator: the comparison (``mustBe``, ``mustBeLessThan``, ...).
        threshold: the bound (a number, or ``[low, high]``).
        unit: ``rows`` or ``percent``.
        message: explanation, e.g. why the check failed.
        duration_ms: time spent, in milliseconds.
    """

    status: str
    port: str | None = None
    rule_id: str | None = None
    rule_name: str | None = None
    kind: str | None = None
    element: str | None = None
    dimension: str | None = None
    severity: str | None = None
    metric_value: float | None = None
    operator: str | None = None
    threshold: Any = None
    unit: str | None = None
    message: str | None = None
    duration_ms: float | None = None
    id: int | None = None
    run_id: str | None = None

    @classmethod
    def coerce(cls, value: Any, port: str | None = None) -> CheckRecord:
        """Make a record from a mapping or an object with the same attribute names.

        Args:
            value: a ``CheckRecord``, a mapping, or an object (e.g. a check result of ``quanta.checks``)
                with attributes named like this class's fields (missing ones are ``None``).
            port: the port to use when ``value`` names none.
        """
        if isinstance(value, CheckRecord):
            return value if value.port or port is None else _replace_port(value, port)
        names = [f.name for f in fields(cls)]
        get = value.get if isinstance(value, Mapping) else lambda k, d=None: getattr(value, k, d)
        data = {name: get(name, None) for name in names}
        if data["status"] is None:
            raise ValueError(f"a check result needs a status, got {value!r}")
        if hasattr(data["status"], "value"):
            data["status"] = data["status"].value
        data["port"] = data["port"] or port
        metric = data["metric_value"]
        data["metric_value"] = float(metric) if isinstance(metric, int | float) else None
        return cls(**data)


def _replace_port(record: CheckRecord, port: str) -> CheckRecord:
    from dataclasses import replace

    return replace(record, port=port)


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """A lineage edge. ``kind`` is ``product`` (dataset to dataset) or ``column`` (field to field).

    Datasets are named ``domain.product.port`` (published ports) or by source contract id
    (``source.<name>``); see ``docs/registry-and-storage.md``.
    """

    kind: str
    from_dataset: str
    to_dataset: str
    from_field: str | None = None
    to_field: str | None = None
    transformation: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class CertificationInfo:
    """A certification of a product version: ``status`` OK or NOT COMPLIANT, with the policy report."""

    domain: str
    product: str
    version: str | None
    status: str
    report: Mapping[str, Any]
    run_id: str | None
    certified_at: datetime


@dataclass(frozen=True, slots=True)
class EventInfo:
    """An outbox event. ``id`` only grows: poll with ``events(after=last_id)``."""

    id: int
    type: str
    product: str | None
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProductStateInfo:
    """Operational state of a product; ``row_version`` grows with each change."""

    domain: str
    product: str
    paused: bool = False
    paused_reason: str | None = None
    configuration: Mapping[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    row_version: int = 0

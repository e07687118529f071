"""``RegistryReader``: every query the API, ``quanta status``, ``runs`` and ``lineage`` need.

The reader never writes. It returns the frozen records of :mod:`quanta.registry.records`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from quanta.registry import records as r
from quanta.registry.convert import (
    build_info,
    check_record,
    edge_record,
    port_info,
    product_info,
    run_info,
    snapshot_info,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session


class RegistryReader:
    """Read access to a registry database (SQLite or PostgreSQL).

    Obtain one with :func:`quanta.registry.open_registry` (which also migrates the schema); the
    ``Registry`` subclass adds writes. Close it with :meth:`close` or use it as a context manager.

    Args:
        engine: a SQLAlchemy engine from :func:`quanta.registry.db.create_engine`.
        url: the registry URL (for messages).
    """

    def __init__(self, engine: Engine, url: str) -> None:
        from sqlalchemy.orm import sessionmaker

        self.engine = engine
        self.url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- plumbing -------------------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> RegistryReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        from sqlalchemy.engine import make_url

        return f"{type(self).__name__}({make_url(self.url).render_as_string(hide_password=True)!r})"

    @staticmethod
    def _product_id(session: Session, domain: str, product: str) -> int | None:
        from sqlalchemy import select

        from quanta.registry import models as m

        return session.scalar(
            select(m.Product.id).where(m.Product.domain == domain, m.Product.name == product)
        )

    # -- products -------------------------------------------------------------------------------------

    def products(self) -> list[r.ProductInfo]:
        """Return every registered product, ordered by domain and name."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            rows = s.scalars(select(m.Product).order_by(m.Product.domain, m.Product.name)).all()
            ports = s.scalars(select(m.OutputPort).order_by(m.OutputPort.name)).all()
            paused = dict(s.execute(select(m.ProductState.product_id, m.ProductState.paused)).all())
            by_product: dict[int, list[r.PortInfo]] = {}
            for port in ports:
                by_product.setdefault(port.product_id, []).append(port_info(port))
            return [product_info(p, by_product.get(p.id, []), paused.get(p.id, False)) for p in rows]

    def paused_products(self) -> list[str]:
        """Return the keys (``domain.name``) of the products paused through the gateway, sorted.

        One indexed query: a build asks this before it runs anything, whatever the size of the mesh.
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            rows = s.execute(
                select(m.Product.domain, m.Product.name)
                .join(m.ProductState, m.ProductState.product_id == m.Product.id)
                .where(m.ProductState.paused.is_(True))
            ).all()
            return sorted(r.product_key(domain, name) for domain, name in rows)

    def product(self, domain: str, name: str) -> r.ProductInfo | None:
        """Return one product, or ``None`` when it was never registered."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            row = s.scalar(select(m.Product).where(m.Product.domain == domain, m.Product.name == name))
            if row is None:
                return None
            ports = s.scalars(
                select(m.OutputPort).where(m.OutputPort.product_id == row.id).order_by(m.OutputPort.name)
            ).all()
            state = s.get(m.ProductState, row.id)
            return product_info(row, [port_info(p) for p in ports], bool(state and state.paused))

    def descriptors(self, domain: str, name: str) -> list[r.DescriptorInfo]:
        """Return every recorded descriptor text of a product, newest first."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            rows = s.scalars(
                select(m.DescriptorVersion)
                .join(m.Product, m.Product.id == m.DescriptorVersion.product_id)
                .where(m.Product.domain == domain, m.Product.name == name)
                .order_by(m.DescriptorVersion.recorded_at.desc(), m.DescriptorVersion.id.desc())
            ).all()
            return [
                r.DescriptorInfo(domain, name, d.version, d.fingerprint, d.raw_yaml, d.recorded_at)
                for d in rows
            ]

    def contracts(self, contract_id: str | None = None, version: str | None = None) -> list[r.ContractInfo]:
        """Return recorded contract texts, newest first, optionally of one contract id and version."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            query = select(m.ContractVersion, m.Product.domain, m.Product.name).outerjoin(
                m.Product, m.Product.id == m.ContractVersion.product_id
            )
            if contract_id is not None:
                query = query.where(m.ContractVersion.contract_id == contract_id)
            if version is not None:
                query = query.where(m.ContractVersion.version == version)
            query = query.order_by(m.ContractVersion.recorded_at.desc(), m.ContractVersion.id.desc())
            return [
                r.ContractInfo(
                    c.contract_id,
                    c.version,
                    c.kind,
                    c.fingerprint,
                    c.raw_yaml,
                    r.product_key(domain, name) if domain else None,
                    c.recorded_at,
                )
                for c, domain, name in s.execute(query)
            ]

    def product_state(self, domain: str, name: str) -> r.ProductStateInfo:
        """Return a product's operational state (not paused, empty configuration when never set)."""
        from quanta.registry import models as m

        with self._read() as s:
            pid = self._product_id(s, domain, name)
            state = s.get(m.ProductState, pid) if pid is not None else None
            if state is None:
                return r.ProductStateInfo(domain, name)
            return r.ProductStateInfo(
                domain,
                name,
                state.paused,
                state.paused_reason,
                dict(state.configuration or {}),
                state.updated_at,
                state.row_version,
            )

    # -- builds and runs ------------------------------------------------------------------------------

    def builds(self, limit: int = 20, status: str | None = None) -> list[r.BuildInfo]:
        """Return the newest builds first (at most ``limit``), optionally only those with ``status``."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            query = select(m.Build).order_by(m.Build.started_at.desc()).limit(limit)
            if status is not None:
                query = query.where(m.Build.status == status)
            return [build_info(b) for b in s.scalars(query)]

    def build(self, build_id: str) -> r.BuildInfo | None:
        """Return one build, or ``None``."""
        from quanta.registry import models as m

        with self._read() as s:
            row = s.get(m.Build, build_id)
            return build_info(row) if row else None

    def runs(
        self,
        domain: str | None = None,
        product: str | None = None,
        *,
        build_id: str | None = None,
        status: str | Sequence[str] | None = None,
        limit: int | None = 50,
    ) -> list[r.RunInfo]:
        """Return product runs, newest first, filtered by product, build and status.

        Args:
            domain: only runs of products of this domain.
            product: only runs of this product (with ``domain``).
            build_id: only runs of this build.
            status: one status or several.
            limit: at most this many (``None``: all).
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        query = select(m.ProductRun, m.Product.domain, m.Product.name).join(
            m.Product, m.Product.id == m.ProductRun.product_id
        )
        if domain is not None:
            query = query.where(m.Product.domain == domain)
        if product is not None:
            query = query.where(m.Product.name == product)
        if build_id is not None:
            query = query.where(m.ProductRun.build_id == build_id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(m.ProductRun.status.in_(statuses))
        query = query.order_by(m.ProductRun.started_at.desc(), m.ProductRun.id.desc()).limit(limit)
        with self._read() as s:
            return [run_info(run, d, n) for run, d, n in s.execute(query)]

    def run(self, run_id: str) -> r.RunInfo | None:
        """Return one product run, or ``None``."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            row = s.execute(
                select(m.ProductRun, m.Product.domain, m.Product.name)
                .join(m.Product, m.Product.id == m.ProductRun.product_id)
                .where(m.ProductRun.id == run_id)
            ).first()
            return run_info(*row) if row else None

    def last_runs(self, status: str | Sequence[str] | None = None) -> list[r.RunInfo]:
        """Return the newest run of every product (``quanta status``), by domain and product.

        Args:
            status: consider only runs with this status (or these statuses), e.g.
                :data:`quanta.registry.records.PUBLISHED_STATUSES` for the last publication.
        """
        from sqlalchemy import func, select

        from quanta.registry import models as m

        ranked = select(
            m.ProductRun.id,
            func.row_number()
            .over(
                partition_by=m.ProductRun.product_id,
                order_by=(m.ProductRun.started_at.desc(), m.ProductRun.id.desc()),
            )
            .label("rank"),
        )
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            ranked = ranked.where(m.ProductRun.status.in_(statuses))
        latest = ranked.subquery()
        query = (
            select(m.ProductRun, m.Product.domain, m.Product.name)
            .join(m.Product, m.Product.id == m.ProductRun.product_id)
            .join(latest, latest.c.id == m.ProductRun.id)
            .where(latest.c.rank == 1)
            .order_by(m.Product.domain, m.Product.name)
        )
        with self._read() as s:
            return [run_info(run, d, n) for run, d, n in s.execute(query)]

    def last_fingerprint(self, domain: str, product: str) -> str | None:
        """Return the fingerprint of the product's last run that published or found nothing changed.

        The build compares it with the current fingerprint to skip unchanged products.
        """
        runs = self.runs(domain, product, status=(*r.PUBLISHED_STATUSES, "unchanged"), limit=1)
        return runs[0].fingerprint if runs else None

    # -- snapshots ------------------------------------------------------------------------------------

    def snapshots(
        self,
        domain: str,
        product: str,
        port: str | None = None,
        *,
        include_invalid: bool = False,
        limit: int | None = None,
    ) -> list[r.SnapshotInfo]:
        """Return the snapshots of a product (or one port), newest Delta version first."""
        from sqlalchemy import select

        from quanta.registry import models as m

        query = (
            select(m.Snapshot, m.Product.domain, m.Product.name)
            .join(m.Product, m.Product.id == m.Snapshot.product_id)
            .where(m.Product.domain == domain, m.Product.name == product)
        )
        if port is not None:
            query = query.where(m.Snapshot.port == port)
        if not include_invalid:
            query = query.where(m.Snapshot.valid.is_(True))
        query = query.order_by(m.Snapshot.port, m.Snapshot.delta_version.desc()).limit(limit)
        with self._read() as s:
            return [snapshot_info(snap, d, n) for snap, d, n in s.execute(query)]

    def latest_snapshot(
        self, domain: str, product: str, port: str, contract_version: str | None = None
    ) -> r.SnapshotInfo | None:
        """Return the newest valid snapshot of a port (what downstream products read), or ``None``.

        Args:
            domain: domain of the upstream product.
            product: upstream product name.
            port: output port name.
            contract_version: only a snapshot gated on this contract version (an input port's pin).
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        query = (
            select(m.Snapshot, m.Product.domain, m.Product.name)
            .join(m.Product, m.Product.id == m.Snapshot.product_id)
            .where(m.Product.domain == domain, m.Product.name == product, m.Snapshot.port == port)
            .where(m.Snapshot.valid.is_(True))
        )
        if contract_version is not None:
            query = query.where(m.Snapshot.contract_version == contract_version)
        query = query.order_by(m.Snapshot.delta_version.desc()).limit(1)
        with self._read() as s:
            row = s.execute(query).first()
            return snapshot_info(*row) if row else None

    def table_uris(self) -> list[str]:
        """Return every table location the registry knows (ports and snapshots), sorted."""
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._read() as s:
            uris = set(s.scalars(select(m.Snapshot.table_uri).distinct()))
            uris |= {u for u in s.scalars(select(m.OutputPort.table_uri).distinct()) if u}
            return sorted(uris)

    # -- checks, lineage, certification, events --------------------------------------------------------

    def check_results(
        self, run_id: str, *, status: str | Sequence[str] | None = None, port: str | None = None
    ) -> list[r.CheckRecord]:
        """Return the check results of a run, in the order they were recorded."""
        from sqlalchemy import select

        from quanta.registry import models as m

        query = select(m.CheckResult).where(m.CheckResult.run_id == run_id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(m.CheckResult.status.in_(statuses))
        if port is not None:
            query = query.where(m.CheckResult.port == port)
        with self._read() as s:
            return [check_record(c) for c in s.scalars(query.order_by(m.CheckResult.id))]

    def lineage_edges(
        self, *, kind: str | None = None, run_id: str | None = None, latest_only: bool = True
    ) -> list[r.EdgeRecord]:
        """Return lineage edges: by default those of each product's latest run that recorded any.

        Args:
            kind: ``product`` or ``column`` edges only.
            run_id: the edges of one run (``latest_only`` is then ignored).
            latest_only: keep only each product's newest run's edges (the current graph).
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        query = select(m.LineageEdge, m.ProductRun.product_id, m.ProductRun.started_at).join(
            m.ProductRun, m.ProductRun.id == m.LineageEdge.run_id
        )
        if kind is not None:
            query = query.where(m.LineageEdge.kind == kind)
        if run_id is not None:
            query = query.where(m.LineageEdge.run_id == run_id)
        with self._read() as s:
            rows = s.execute(query.order_by(m.LineageEdge.id)).all()
        if latest_only and run_id is None:
            newest: dict[int, tuple[Any, str]] = {}
            for edge, product_id, started in rows:
                if product_id not in newest or (started, edge.run_id) > newest[product_id]:
                    newest[product_id] = (started, edge.run_id)
            keep = {run for _, run in newest.values()}
            rows = [row for row in rows if row[0].run_id in keep]
        return [edge_record(edge) for edge, _, _ in rows]

    def certifications(
        self, domain: str, product: str, limit: int | None = None
    ) -> list[r.CertificationInfo]:
        """Return a product's certifications, newest first."""
        from sqlalchemy import select

        from quanta.registry import models as m

        query = (
            select(m.Certification)
            .join(m.Product, m.Product.id == m.Certification.product_id)
            .where(m.Product.domain == domain, m.Product.name == product)
            .order_by(m.Certification.certified_at.desc(), m.Certification.id.desc())
            .limit(limit)
        )
        with self._read() as s:
            return [
                r.CertificationInfo(
                    domain, product, c.version, c.status, dict(c.report), c.run_id, c.certified_at
                )
                for c in s.scalars(query)
            ]

    def events(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        types: Sequence[str] | None = None,
        product: str | None = None,
    ) -> list[r.EventInfo]:
        """Return outbox events with ``id > after``, oldest first (the ``GET /events?after=ID`` feed).

        Args:
            after: the last id the caller has seen (0 for the start).
            limit: at most this many events.
            types: only these event types.
            product: only events of this product (``domain.name``).
        """
        from sqlalchemy import select

        from quanta.registry import models as m

        query = select(m.Event).where(m.Event.id > after)
        if types:
            query = query.where(m.Event.type.in_(list(types)))
        if product is not None:
            query = query.where(m.Event.product == product)
        with self._read() as s:
            rows = s.scalars(query.order_by(m.Event.id).limit(limit))
            return [r.EventInfo(e.id, e.type, e.product, dict(e.payload or {}), e.created_at) for e in rows]

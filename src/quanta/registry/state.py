"""Writes that people and the API make outside a build: product state, certifications, outbox events.

A mixin of :class:`quanta.registry.Registry` (which provides ``_write``, ``_require_product``, ``_event``
and ``_insert_ignore``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quanta.registry import records as r
from quanta.registry.convert import jsonable
from quanta.registry.errors import RegistryError, check_status


class StateWrites:
    """Product state (paused flag, configuration), certifications and free-form outbox events."""

    def set_paused(
        self, domain: str, product: str, paused: bool, reason: str | None = None
    ) -> r.ProductStateInfo:
        """Pause or resume a product (a paused product is not built and its snapshots stay as they are)."""
        return self._update_state(domain, product, lambda st: {"paused": paused, "paused_reason": reason})

    def set_configuration(
        self,
        domain: str,
        product: str,
        configuration: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> r.ProductStateInfo:
        """Replace a product's configuration JSON.

        Args:
            domain: domain name.
            product: product name.
            configuration: the new configuration (JSON-compatible).
            expected_version: the ``row_version`` the caller read; when given and the state changed since,
                :class:`RegistryError` is raised instead of overwriting the other change.
        """
        return self._update_state(
            domain, product, lambda st: {"configuration": dict(configuration)}, expected_version
        )

    def _update_state(
        self, domain, product, change, expected_version: int | None = None
    ) -> r.ProductStateInfo:
        from sqlalchemy import select

        from quanta.registry import models as m

        with self._write() as s:
            pid = self._require_product(s, domain, product)
            self._insert_ignore(
                s,
                m.ProductState,
                {
                    "product_id": pid,
                    "paused": False,
                    "configuration": {},
                    "updated_at": m.utcnow(),
                    "row_version": 0,
                },
            )
            state = s.scalars(
                select(m.ProductState).where(m.ProductState.product_id == pid).with_for_update()
            ).one()
            if expected_version is not None and state.row_version != expected_version:
                raise RegistryError(
                    f"the state of {domain}.{product} changed since it was read (version "
                    f"{state.row_version}, expected {expected_version}): read it again and retry."
                )
            before = state.paused
            for key, value in change(state).items():
                setattr(state, key, value)
            state.updated_at = m.utcnow()
            s.flush()
            if state.paused != before:
                self._event(
                    s,
                    "product.paused" if state.paused else "product.resumed",
                    r.product_key(domain, product),
                    {"reason": state.paused_reason},
                )
            else:
                self._event(s, "product.state_changed", r.product_key(domain, product), {})
            return r.ProductStateInfo(
                domain,
                product,
                state.paused,
                state.paused_reason,
                dict(state.configuration or {}),
                state.updated_at,
                state.row_version,
            )

    def record_certification(
        self,
        domain: str,
        product: str,
        status: str,
        report: Mapping[str, Any],
        *,
        version: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Record a product's certification (``OK`` or ``NOT COMPLIANT``) with its policy report."""
        from quanta.registry import models as m

        check_status(status, r.CERTIFICATION_STATUSES, "certification")
        with self._write() as s:
            pid = self._require_product(s, domain, product)
            s.add(
                m.Certification(
                    product_id=pid,
                    version=version,
                    status=status,
                    report=jsonable(report),
                    run_id=run_id,
                    certified_at=m.utcnow(),
                )
            )
            self._event(
                s,
                "certification.recorded",
                r.product_key(domain, product),
                {"status": status, "version": version, "run": run_id},
            )

    def add_event(
        self, type_: str, product: str | None = None, payload: Mapping[str, Any] | None = None
    ) -> None:
        """Append an event to the outbox (for writers that record nothing else in the same transaction)."""
        with self._write() as s:
            self._event(s, type_, product, payload or {})

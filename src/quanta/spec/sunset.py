"""The service lifecycle of a contract version: its ``status`` and its ``endOfSupport`` / ``endOfLife`` dates.

ODCS states the lifecycle twice: ``status`` (``proposed``, ``draft``, ``active``, ``deprecated``,
``retired``) and the SLA properties ``endOfSupport`` (``es``: no fixes after it, data still accessible, a
replacement version is expected) and ``endOfLife`` (``el``: no access after it). Quanta combines them into
one *effective* status, used by the build (retired ports are not built), the access layer and the API
(deprecated ports warn their consumers, retired ones are refused):

* ``retired``: ``status: retired``, or ``endOfLife`` is past;
* ``deprecated``: ``status: deprecated``, or ``endOfSupport`` is past;
* otherwise the declared status.

Pure functions over plain data; no clock is read unless ``now`` is omitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

END_OF_SUPPORT = ("endofsupport", "es")
END_OF_LIFE = ("endoflife", "el")


def sla_value(contract: Any, names: tuple[str, ...]) -> str | None:
    """The ``value`` of the first ``slaProperties`` entry whose ``property`` is one of ``names``.

    Args:
        contract: a :class:`quanta.spec.Contract` or its plain ``dict``.
        names: lower-case property names (long and short form, e.g. ``("endoflife", "el")``).

    Returns:
        The value as text, or ``None`` when the contract does not state it.
    """
    plain = contract.to_plain() if hasattr(contract, "to_plain") else contract
    for entry in (plain or {}).get("slaProperties") or []:
        if isinstance(entry, dict) and str(entry.get("property", "")).lower() in names:
            value = entry.get("value")
            return None if value is None else str(value)
    return None


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC time: the one reading of dates Quanta has.

    Accepts ``2030-01-01`` (midnight UTC), ``2030-01-01T04:00:00.000Z``, an offset such as
    ``+02:00`` (converted to UTC), a time without a zone (taken as UTC), and the ``date``/``datetime``
    objects YAML loaders give for unquoted dates.

    Args:
        value: the text or object, or ``None``.

    Returns:
        ``None`` when ``value`` is empty or not ISO 8601 (callers turn that into their own error, or an SLA
        the platform cannot evaluate).

    Source: ISO 8601-1:2019 extended format, as Python's ``datetime.fromisoformat`` reads it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
            except ValueError:
                return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Where one contract version stands in its lifecycle.

    Attributes:
        status: the effective status (see the module docstring).
        declared: the ``status`` written in the contract.
        end_of_support: the ``endOfSupport`` SLA value, as written, if any.
        end_of_life: the ``endOfLife`` SLA value, as written, if any.
        reason: why the effective status differs from ``active`` (empty when it does not).
    """

    status: str
    declared: str
    end_of_support: str | None = None
    end_of_life: str | None = None
    reason: str = ""

    @property
    def retired(self) -> bool:
        """Neither built nor served."""
        return self.status == "retired"

    @property
    def deprecated(self) -> bool:
        """Built and served, but every consumer is warned."""
        return self.status == "deprecated"

    def at(self, now: datetime | None = None) -> Lifecycle:
        """The same lifecycle judged again at ``now`` (dates pass; a retired one stays retired)."""
        if self.retired:
            return self
        return _judge(self.declared, self.end_of_support, self.end_of_life, now or datetime.now(UTC))


def contract_lifecycle(contract: Any, *, now: datetime | None = None) -> Lifecycle:
    """The effective lifecycle of one contract version.

    Args:
        contract: a :class:`quanta.spec.Contract` or its plain ``dict``.
        now: the time to judge the dates at (aware; default: the current UTC time).

    Returns:
        The :class:`Lifecycle`; ``reason`` names the status or the date that decided it.

    Source: ODCS v3.1.0 ``status`` and SLA properties ``endOfSupport`` / ``endOfLife``.
    """
    plain = contract.to_plain() if hasattr(contract, "to_plain") else (contract or {})
    declared = str(plain.get("status") or "")
    support, life = sla_value(plain, END_OF_SUPPORT), sla_value(plain, END_OF_LIFE)
    return _judge(declared, support, life, now or datetime.now(UTC))


def _judge(declared: str, support: str | None, life: str | None, now: datetime) -> Lifecycle:
    life_at, support_at = parse_moment(life), parse_moment(support)
    if declared == "retired":
        return Lifecycle("retired", declared, support, life, "status is retired")
    if life_at is not None and life_at <= now:
        return Lifecycle("retired", declared, support, life, f"endOfLife {life} has passed")
    if declared == "deprecated":
        return Lifecycle("deprecated", declared, support, life, "status is deprecated")
    if support_at is not None and support_at <= now:
        return Lifecycle("deprecated", declared, support, life, f"endOfSupport {support} has passed")
    return Lifecycle(declared or "active", declared, support, life)

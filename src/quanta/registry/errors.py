"""Errors of registry writes."""

from __future__ import annotations

from quanta.errors import QuantaError


class RegistryError(QuantaError):
    """A write refers to something the registry does not hold, or conflicts with a concurrent write."""


def check_status(status: str, allowed: tuple[str, ...], what: str) -> None:
    """Raise :class:`RegistryError` unless ``status`` is one of ``allowed`` (``what``: build, run, ...)."""
    if status not in allowed:
        raise RegistryError(f"{status!r} is not a {what} status: use one of {', '.join(allowed)}.")

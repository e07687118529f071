"""Quanta: a self-serve data mesh platform built on ODPS data products and ODCS data contracts.

The public Python API is imported lazily so that ``import quanta`` (and ``quanta --help``) stays fast:

- :func:`quanta.test_contract` runs a contract's checks against data (see :mod:`quanta.checks`).
- :func:`quanta.connect` opens an enforced, sandboxed query session as a principal (see :mod:`quanta.access`).
- :class:`quanta.Mesh` is the façade over a mesh folder (lint, plan, build, status).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "test_contract": ("quanta.checks.api", "test_contract"),
    "connect": ("quanta.access.session", "connect"),
    "Mesh": ("quanta.facade", "Mesh"),
}

__all__ = ["Mesh", "__version__", "connect", "test_contract"]


def __getattr__(name: str) -> Any:
    """Import the public API on first use (PEP 562)."""
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'quanta' has no attribute {name!r}") from None
    import importlib

    return getattr(importlib.import_module(module_name), attribute)

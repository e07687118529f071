"""Quanta: a self-serve data mesh platform built on ODPS data products and ODCS data contracts.

The public Python API is imported lazily so that ``import quanta`` (and ``quanta --help``) stays fast:

- :func:`quanta.test_contract` runs a contract's checks against data (see :mod:`quanta.checks`).
- :func:`quanta.connect` opens an enforced, sandboxed query session as a principal (see :mod:`quanta.access`).
- :class:`quanta.Mesh` is the façade over a mesh folder (lint, plan, build, status).
"""

from __future__ import annotations

from quanta.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "test_contract": "quanta.checks.api",
    "connect": "quanta.access.session",
    "Mesh": "quanta.facade",
}

__all__ = ["Mesh", "__version__", "connect", "test_contract"]


__getattr__ = lazy_exports(__name__, _LAZY, globals())

"""Lazy public names of a package (PEP 562), so importing a package does not import its heavy modules.

``import quanta`` and ``quanta --help`` must stay fast, yet each package re-exports names whose modules
pull in DuckDB, SQLAlchemy or ruamel.yaml. A package maps each public name to the module that defines it
and sets ``__getattr__ = lazy_exports(__name__, EXPORTS, globals())``: the module is imported on the name's
first use, and the value is kept in the package's namespace so later lookups are ordinary attribute reads.

It also holds :func:`serial_importer`: the first import of a package with circular imports must not
happen in two threads at once.

Source: PEP 562, "Module __getattr__ and __dir__".
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """Build a package's module-level ``__getattr__`` for names defined in its sub-modules.

    Args:
        package: the package's ``__name__`` (for the error message).
        exports: public name -> the module that defines it under the same name.
        namespace: the package's ``globals()``, where each imported value is kept.

    Returns:
        The ``__getattr__`` function.

    Raises:
        AttributeError: (from the returned function) for a name that is not in ``exports``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__


def serial_importer(*modules: str) -> Callable[[], None]:
    """Build a function that imports ``modules`` once, one thread at a time, before threads use them.

    CPython imports are thread-safe except for packages whose modules import each other (sqlglot,
    pyarrow): when two threads enter such a package through different modules, the interpreter's
    deadlock avoidance hands one of them a half-initialised module, and the thread fails with an
    ``ImportError`` ("partially initialized module") or ``AttributeError`` of a name that exists. So a
    thread pool calls the returned function before its work: the first caller imports every module
    while the others wait on a lock, and later calls return at once.

    Args:
        modules: dotted module names, imported in this order.

    Returns:
        A function without arguments; it raises what the first failing import raises (and tries
        again on its next call).

    Source: the import system, "Module locks" (``importlib._bootstrap._ModuleLock``), Python docs.
    """
    lock = threading.Lock()
    done = False

    def import_all() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if not done:
                for name in modules:
                    importlib.import_module(name)
                done = True

    return import_all

"""The registry of custom check engines (ODCS ``type: custom`` rules).

A custom rule names an ``engine`` (``soda``, ``greatExpectations`` ...) and an opaque ``implementation``.
Quanta runs it with the plug-in registered under that engine name, found first among plug-ins
registered in-process with :func:`register_check_engine`, then in the ``quanta.check_engines``
entry-point group. A rule whose engine has no plug-in is ``skipped``.

A plug-in is a callable taking one :class:`CustomCheckRequest` and returning a number (compared with
the rule's operator), a boolean (passes when true unless an operator is given), or an
:class:`~quanta.checks.rules.base.Outcome` for full control.

Example:
    >>> register_check_engine("always-true", lambda request: True)
    >>> check_engine("always-true")(None)
    True
    >>> unregister_check_engine("always-true")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quanta.checks.plan import Check

#: Entry-point group of custom check engines (value: a callable as described above).
ENTRY_POINT_GROUP = "quanta.check_engines"

_REGISTERED: dict[str, Callable[[CustomCheckRequest], Any]] = {}


@dataclass(frozen=True, slots=True)
class CustomCheckRequest:
    """What a custom check engine receives.

    Attributes:
        check: the check (``check.params["implementation"]`` is the rule's ``implementation`` as written).
        engine: the :class:`quanta.engine.base.Engine` the data is on (run queries with ``engine.query``).
        table: the object's table, as SQL in ``engine.dialect``.
        column: the property's column as SQL, or ``None`` for object-level rules.
    """

    check: Check
    engine: Any
    table: str
    column: str | None

    @property
    def implementation(self) -> Any:
        """The rule's ``implementation`` block, passed through untouched."""
        return self.check.params.get("implementation")


def register_check_engine(name: str, plugin: Callable[[CustomCheckRequest], Any]) -> None:
    """Register ``plugin`` for custom rules whose ``engine`` is ``name`` (replaces an earlier one)."""
    _REGISTERED[name] = plugin


def unregister_check_engine(name: str) -> None:
    """Remove an in-process registration (entry points are unaffected)."""
    _REGISTERED.pop(name, None)


def check_engine(name: str) -> Callable[[CustomCheckRequest], Any] | None:
    """Return the plug-in for engine ``name``, or ``None`` when none is registered or installed."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return entry.load()
    return None

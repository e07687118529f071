"""SLA ``availability``: a connection probe of every server of the contract.

Source: ODCS v3.1.0 ``slaProperties`` ``availability``; the book, ch. 5 ("at minimum a JDBC connect()
succeeds"). A single run can only tell whether each server answers now, not the uptime percentage
the SLA states, so each server gets a passed/failed probe (value 1 or 0) and server types Quanta
cannot probe are ``not_evaluated``.

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> server = {"server": "x", "type": "local", "path": "/no/such.csv"}
    >>> check = Check("availability", None, RuleMeta("r", "r", ""), params={"server": server})
    >>> evaluate(check, None, None).status
    'failed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Probe the server named in ``params["server"]``."""
    from quanta.engine.sources import probe

    server = dict(check.params["server"])
    ok, reason = probe(server, check.params.get("base_dir"))
    if ok is None:
        return Outcome("not_evaluated", None, reason)
    return Outcome("passed" if ok else "failed", 1 if ok else 0, reason)

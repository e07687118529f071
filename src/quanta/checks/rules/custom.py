"""``type: custom`` rules: dispatched by ``engine`` to a plug-in of the ``quanta.check_engines`` registry.

Source: ODCS v3.1.0, data quality ``custom`` (``engine`` + ``implementation``). See
:mod:`quanta.checks.plugins`. An engine without a plug-in gives ``skipped`` (never ``passed``).

Example:
    >>> from quanta.checks.plan import Check, RuleMeta
    >>> check = Check("custom", "f", RuleMeta("r", "r", ""), params={"engine": "no-such-engine"})
    >>> evaluate(check, None, None).status
    'skipped'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome, result_value

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.plan import Check
    from quanta.checks.rules.base import Binding

MODE = "python"


def evaluate(check: Check, binding: Binding | None, context: Any) -> Outcome:
    """Run the plug-in and compare its result with the threshold."""
    from quanta.checks.plugins import CustomCheckRequest, check_engine

    name = str(check.params.get("engine") or "")
    plugin = check_engine(name)
    if plugin is None:
        return Outcome("skipped", None, f"no check engine plug-in named {name!r} is installed")
    column = None
    if binding is not None and check.property:
        column = binding.column(check.property).sql(binding.dialect)
    request = CustomCheckRequest(
        check=check,
        engine=getattr(context, "engine", None),
        table=binding.table.sql(binding.dialect) if binding is not None else "",
        column=column,
    )
    value = result_value(plugin(request), check, "the plug-in")
    if isinstance(value, Outcome):
        return value
    passed = check.threshold is not None and check.threshold.holds(value)
    if passed:
        return Outcome("passed", value)
    return Outcome("failed", value, f"the plug-in returned {value!r}, expected {check.threshold.describe()}")

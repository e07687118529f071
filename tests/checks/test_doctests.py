"""Every public rule module documents itself with an example that runs (style point 4)."""

from __future__ import annotations

import doctest
import importlib

import pytest

from quanta.checks.rules import RULE_KINDS

MODULES = [f"quanta.checks.rules.{kind}" for kind in RULE_KINDS] + [
    "quanta.checks.plan",
    "quanta.checks.plugins",
    "quanta.checks.quality",
    "quanta.checks.rules.base",
    "quanta.checks.rules.timeutil",
    "quanta.engine.base",
    "quanta.engine.duckdb",
    "quanta.engine.types",
]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0

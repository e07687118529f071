"""Packages import their heavy modules on a public name's first use (PEP 562), once."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_package_imports_the_module_of_a_name_on_first_use_and_keeps_the_value() -> None:
    script = textwrap.dedent(
        """
        import sys
        import quanta.registry as registry

        before = "quanta.registry.writer" in sys.modules
        first = registry.Registry
        print(before, "quanta.registry.writer" in sys.modules, "Registry" in vars(registry), registry.Registry is first)
        try:
            registry.NoSuchName
        except AttributeError as error:
            print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["False", "True", "True", "True"]
    assert lines[1] == "module 'quanta.registry' has no attribute 'NoSuchName'"

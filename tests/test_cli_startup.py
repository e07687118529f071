"""The console script registers only the invoked command's module; help and unknown commands get them all."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from quanta.cli.app import COMMAND_INDEX, COMMAND_MODULES, build_app, modules_for


def command_names(app) -> set[str]:
    """The top-level command and group names of a Typer app, as click sees them."""
    return set(typer.main.get_command(app).commands)


def test_every_command_is_indexed_under_the_module_that_registers_it() -> None:
    everything = command_names(build_app())
    missing = everything - set(COMMAND_INDEX)
    assert not missing, f"add {sorted(missing)} to COMMAND_INDEX in quanta/cli/app.py"
    for name, module in COMMAND_INDEX.items():
        assert module in COMMAND_MODULES
        assert name in command_names(build_app((module,))), f"{module} does not register {name!r}"


def test_modules_for_picks_the_command_module() -> None:
    assert modules_for(["test", "contract.odcs.yaml", "--format", "json"]) == ("quanta.cli.test",)
    assert modules_for(["new", "product", "sales", "orders"]) == ("quanta.cli.init",)
    assert modules_for(["token", "create"]) == ("quanta.cli.tokens",)
    assert modules_for([]) == COMMAND_MODULES
    assert modules_for(["--help"]) == COMMAND_MODULES
    assert modules_for(["--version"]) == COMMAND_MODULES
    assert modules_for(["no-such-command"]) == COMMAND_MODULES


def test_a_run_imports_only_its_command_module() -> None:
    script = (
        "import sys\n"
        "from quanta.cli.app import main\n"
        "try:\n"
        "    main(['test', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('quanta.cli.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip().splitlines()[-1]
    assert "'quanta.cli.test'" in loaded
    assert "quanta.cli.build" not in loaded and "quanta.cli.serve" not in loaded
    assert "Usage:" in result.stdout and "--format" in result.stdout

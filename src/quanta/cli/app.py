"""The ``quanta`` console script.

Each command group lives in its own module under :mod:`quanta.cli` and exposes ``register(app)``; the
modules listed in :data:`COMMAND_MODULES` are registered here. Heavy libraries are imported inside the
command functions so that ``quanta --help`` starts fast.

User mistakes raise :class:`quanta.errors.QuantaError`; :func:`main` prints them without a traceback and
exits with the error's exit code (1 invalid input, 2 usage or connection error).
"""

from __future__ import annotations

import importlib
import sys

import typer

from quanta import __version__
from quanta.errors import QuantaError

#: Modules that contribute commands; each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "quanta.cli.lint",
    "quanta.cli.contract",
    "quanta.cli.test",
    "quanta.cli.init",
    "quanta.cli.build",
    "quanta.cli.history",
    "quanta.cli.serve",
    "quanta.cli.policy",
    "quanta.cli.certify",
    "quanta.cli.diff",
    "quanta.cli.tokens",
    "quanta.cli.account",
    "quanta.cli.access",
    "quanta.cli.query",
    "quanta.cli.audit",
)

app = typer.Typer(
    name="quanta",
    help="Quanta: a self-serve data mesh platform (ODPS data products, ODCS data contracts).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quanta {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Quanta: a self-serve data mesh platform (ODPS data products, ODCS data contracts)."""


def _register_commands() -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn :class:`QuantaError` into a readable message and its exit code.

    Args:
        argv: arguments without the program name; ``None`` reads ``sys.argv``.
    """
    from quanta.cli.output import print_error

    try:
        # Standalone mode lets click print usage errors and exit 2 on its own.
        app(args=argv, standalone_mode=True)
    except QuantaError as error:
        print_error(error)
        sys.exit(error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()

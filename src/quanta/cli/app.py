"""The ``quanta`` console script.

Each command group lives in its own module under :mod:`quanta.cli` and exposes ``register(app)``; the
modules listed in :data:`COMMAND_MODULES` are registered here. Heavy libraries are imported inside the
command functions so that ``quanta --help`` starts fast, and :func:`main` registers only the module of
the command being run (:data:`COMMAND_INDEX`); ``quanta --help``, an unknown command and ``app`` (for
in-process callers such as ``typer.testing.CliRunner``) get every module.

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

#: Top-level command (or group) name -> the module of :data:`COMMAND_MODULES` that registers it. A command
#: missing here still works (every module is then registered); it only starts a little slower.
COMMAND_INDEX: dict[str, str] = {
    "lint": "quanta.cli.lint",
    "contract": "quanta.cli.contract",
    "test": "quanta.cli.test",
    "init": "quanta.cli.init",
    "new": "quanta.cli.init",
    "plan": "quanta.cli.build",
    "build": "quanta.cli.build",
    "status": "quanta.cli.history",
    "runs": "quanta.cli.history",
    "lineage": "quanta.cli.history",
    "serve": "quanta.cli.serve",
    "policy": "quanta.cli.policy",
    "certify": "quanta.cli.certify",
    "diff": "quanta.cli.diff",
    "token": "quanta.cli.tokens",
    "account": "quanta.cli.account",
    "access": "quanta.cli.access",
    "query": "quanta.cli.query",
    "audit": "quanta.cli.audit",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quanta {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Quanta: a self-serve data mesh platform (ODPS data products, ODCS data contracts)."""


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """Return the ``quanta`` Typer app with the commands of ``modules`` registered.

    Args:
        modules: module names (a subset of :data:`COMMAND_MODULES`); each defines ``register(app)``.
    """
    application = typer.Typer(
        name="quanta",
        help="Quanta: a self-serve data mesh platform (ODPS data products, ODCS data contracts).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode="rich",
    )
    application.callback()(_root)
    for module_name in modules:
        importlib.import_module(module_name).register(application)
    return application


def modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules a run with arguments ``argv`` (without the program name) needs.

    The first argument that is not an option names the command; when it is in :data:`COMMAND_INDEX`,
    only its module is needed. No command (``quanta --help``), ``--version`` or an unknown command need
    them all.
    """
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command is None or "--version" in argv[: argv.index(command)]:
        return COMMAND_MODULES
    module = COMMAND_INDEX.get(command)
    return (module,) if module in COMMAND_MODULES else COMMAND_MODULES


def __getattr__(name: str) -> typer.Typer:
    """``app``: the app with every command, built on first use (PEP 562)."""
    if name == "app":
        globals()["app"] = application = build_app()
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn :class:`QuantaError` into a readable message and its exit code.

    Args:
        argv: arguments without the program name; ``None`` reads ``sys.argv``.
    """
    arguments = sys.argv[1:] if argv is None else list(argv)
    application = build_app(modules_for(arguments))
    try:
        # Standalone mode lets click print usage errors and exit 2 on its own.
        application(args=arguments, standalone_mode=True)
    except QuantaError as error:
        from quanta.cli.output import print_error

        print_error(error)
        sys.exit(error.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()

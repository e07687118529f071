"""Shared rendering helpers for the CLI: one Rich console for stdout and one for stderr."""

from __future__ import annotations

from functools import cache

from quanta.errors import QuantaError


@cache
def console():
    """Return the Rich console that writes results to stdout."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def err_console():
    """Return the Rich console that writes messages and errors to stderr."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(error: QuantaError) -> None:
    """Print a user-facing error and its diagnostics to stderr, without a traceback."""
    out = err_console()
    out.print(f"[bold red]error:[/] {error.message}", markup=True)
    for diagnostic in error.diagnostics:
        out.print(f"  {diagnostic}", markup=False)

"""Shared rendering helpers for the CLI: one Rich console for stdout and one for stderr."""

from __future__ import annotations

from functools import cache
from typing import Any

from quanta.errors import QuantaError

#: Width of tables written to a pipe or a file that states none (``COLUMNS`` unset): Rich's default of 80
#: columns would cut the build summary's cells short in a log file.
PIPE_WIDTH = 160


@cache
def console():
    """Return the Rich console that writes results to stdout.

    On a terminal it takes the terminal's width; on a pipe or a file, ``$COLUMNS`` or :data:`PIPE_WIDTH`.
    """
    import os

    from rich.console import Console

    output = Console(highlight=False, soft_wrap=True)
    if not output.is_terminal and not os.environ.get("COLUMNS"):
        output.width = PIPE_WIDTH
    return output


@cache
def err_console():
    """Return the Rich console that writes messages and errors to stderr."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON (2-space indent, non-ASCII kept, other types through ``str``) to stdout.

    On a terminal Rich colours it; otherwise (a pipe or a file, as scripts read it) the same text is
    written as is: Rich's highlighting costs seconds on a large document such as a build's result.
    """
    import json
    import sys

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if sys.stdout.isatty():
        console().print_json(text)
    else:
        sys.stdout.write(text + "\n")


def print_error(error: QuantaError) -> None:
    """Print a user-facing error and its diagnostics to stderr, without a traceback."""
    out = err_console()
    out.print(f"[bold red]error:[/] {error.message}", markup=True)
    for diagnostic in error.diagnostics:
        out.print(f"  {diagnostic}", markup=False)

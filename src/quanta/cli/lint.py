"""``quanta lint``: validate ODCS data contracts and ODPS data products (filled in by the spec layer)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``lint`` command to ``app``."""

    @app.command("lint")
    def lint() -> None:
        """Lint contracts and products (work in progress)."""
        raise typer.Exit(0)

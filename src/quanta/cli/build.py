"""``quanta plan`` and ``quanta build``: what a build would do, and doing it with a live display."""

from __future__ import annotations

from pathlib import Path

import typer

from quanta.cli.output import console, print_json


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``build`` to ``app``."""

    @app.command("plan")
    def plan(
        selectors: list[str] = typer.Argument(
            None, help="PRODUCT, +PRODUCT (with upstream), PRODUCT+ (downstream)."
        ),
        force: bool = typer.Option(False, "--force", help="Plan to rebuild unchanged products too."),
        fmt: str = typer.Option("text", "--format", help="text or json."),
        mesh: Path = typer.Option(Path("."), "--mesh", help="The mesh folder, or any folder inside it."),
    ) -> None:
        """Print the product graph and what a build would run, without running anything."""
        from quanta.cli.render import render_plan
        from quanta.facade import Mesh

        result = Mesh(mesh).plan(selectors or (), force=force)
        if _format(fmt) == "json":
            print_json(result.to_dict())
        else:
            render_plan(console(), result)

    @app.command("build")
    def build(
        selectors: list[str] = typer.Argument(
            None, help="PRODUCT, +PRODUCT (with upstream), PRODUCT+ (downstream)."
        ),
        jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Products built in parallel."),
        force: bool = typer.Option(False, "--force", help="Rebuild unchanged products too."),
        fmt: str = typer.Option("text", "--format", help="text (live progress and summary) or json."),
        mesh: Path = typer.Option(Path("."), "--mesh", help="The mesh folder, or any folder inside it."),
    ) -> None:
        """Build the mesh's products: resolve, transform, gate on the contract, publish, record, lineage.

        Exits 1 when a product was blocked by its gate or failed.
        """
        from quanta.cli.render import BuildProgress, render_build
        from quanta.facade import Mesh

        target = Mesh(mesh)
        if _format(fmt) == "json":
            result = target.build(selectors or (), jobs=jobs, force=force)
            print_json(result.to_dict())
        else:
            with BuildProgress(console()) as progress:
                result = target.build(selectors or (), jobs=jobs, force=force, on_event=progress.handle)
            render_build(console(), result)
        if result.blocked:
            raise typer.Exit(1)


def _format(value: str) -> str:
    from quanta.errors import UsageError

    if value not in ("text", "json"):
        raise UsageError(f"--format {value!r} is not known: use text or json")
    return value

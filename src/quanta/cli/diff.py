"""``quanta diff``: every change between two versions of a contract, its class and the bump it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

_COLOUR = {"patch": "green", "minor": "yellow", "major": "bold red"}


def register(app: typer.Typer) -> None:
    """Add the ``diff`` command to ``app``."""

    @app.command("diff")
    def diff(
        old: Annotated[
            Path, typer.Argument(help="The old contract file (or the new one with --against/--published).")
        ],
        new: Annotated[Path | None, typer.Argument(help="The new contract file.")] = None,
        against: Annotated[
            str | None,
            typer.Option("--against", help="Compare the contract file with its version at this git ref."),
        ] = None,
        published: Annotated[
            bool,
            typer.Option(
                "--published", help="Compare with the last version recorded in the mesh's registry."
            ),
        ] = False,
        mesh: Annotated[Path, typer.Option("--mesh", help="The mesh folder (for --published).")] = Path("."),
        output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    ) -> None:
        """Compare two versions of an ODCS contract: `quanta diff OLD NEW`, `quanta diff FILE --against
        GIT_REF` or `quanta diff FILE --published`. Exit 1 when the new version bumps less than the
        changes require, 0 otherwise."""
        from quanta.cli.output import console
        from quanta.errors import UsageError
        from quanta.governance import service

        if output_format not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {output_format!r}")
        modes = sum([new is not None, against is not None, published])
        if modes != 1:
            raise UsageError("give exactly one of: NEW, --against GIT_REF, --published")
        if new is not None:
            result = service.diff_files(old, new)
        elif against is not None:
            result = service.diff_against_git(old, against)
        else:
            from quanta.mesh import find_mesh_root

            result = service.diff_against_registry(old, find_mesh_root(mesh))
        out = console()
        if output_format == "json":
            out.print_json(json.dumps(result.to_dict(), default=str))
        else:
            for change in result.changes:
                colour = _COLOUR[change.level]
                out.print(f"[{colour}]{change.level:<5}[/] {change.kind:<8} {change.path}", highlight=False)
                out.print(f"      {change.message}", markup=False, highlight=False)
            verdict = "[green]ok[/]" if result.bump_ok else "[bold red]NOT ENOUGH[/]"
            out.print(
                f"{len(result.changes)} change(s); required bump: [bold]{result.required}[/]; "
                f"{result.old_version} → {result.new_version} is a {result.bump} bump: {verdict}"
                + ("" if result.bump_ok else f"; use version {result.suggested_version}"),
                highlight=False,
            )
        if not result.bump_ok:
            raise typer.Exit(1)

"""``quanta lint``: validate ODCS data contracts and ODPS data products.

Exit codes: 0 every file is valid (warnings allowed), 1 at least one file is invalid, 2 usage error
(unknown option, a path that does not exist).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer


class OutputFormat(StrEnum):
    """How ``quanta lint`` prints its results."""

    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the ``lint`` command to ``app``."""

    @app.command("lint")
    def lint(
        paths: list[Path] = typer.Argument(
            None,
            help="Files or folders (default: the current folder). Folders are searched for "
            "*.odcs.yaml, *.odps.yaml and any YAML whose kind is DataContract or DataProduct.",
        ),
        lenient: bool = typer.Option(
            False,
            "--lenient/--strict",
            help="--lenient normalises older and book forms to ODCS v3.1.0 and "
            "reports each rewrite as a warning; --strict (default) rejects them.",
        ),
        output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
        jobs: int = typer.Option(None, "--jobs", min=1, help="Worker processes for large batches."),
    ) -> None:
        """Lint data contracts (ODCS) and data products (ODPS): YAML safety, JSON Schema by apiVersion,
        semantic rules and mesh references."""
        from quanta.governance.service import lint_with_policies
        from quanta.spec.lint import lint_paths

        results = lint_paths(paths or [Path(".")], lenient=lenient, jobs=jobs)
        results = lint_with_policies(paths or [Path(".")], results)  # inside a mesh: its policies too
        if output is OutputFormat.json:
            typer.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
        else:
            _print_text(results)
        raise typer.Exit(0 if all(r.valid for r in results) else 1)


def _print_text(results) -> None:
    from quanta.cli.output import console

    out = console()
    for result in results:
        for diagnostic in result.diagnostics:
            style = "red" if diagnostic.severity == "error" else "yellow"
            out.print(f"[{style}]{diagnostic.severity}[/]", end=" ")
            out.print(_line(diagnostic), markup=False)
    invalid = sum(1 for r in results if not r.valid)
    warnings = sum(len(r.warnings) for r in results)
    if not results:
        out.print("no contracts or products found", markup=False)
        return
    verdict = "[green]all valid[/]" if not invalid else f"[red]{invalid} invalid[/]"
    out.print(f"{len(results)} file(s) linted: {verdict}, {warnings} warning(s)")


def _line(diagnostic) -> str:
    path = f" at {diagnostic.path}" if diagnostic.path else ""
    return f"{diagnostic.location()}: [{diagnostic.code}]{path}: {diagnostic.message}"

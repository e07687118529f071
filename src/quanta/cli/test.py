"""``quanta test``: run a contract's schema, quality rules and SLAs against its data (exit 0/1/2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMATS = ("text", "json", "junit")


def register(app: typer.Typer) -> None:
    """Add the ``test`` command to ``app``."""

    @app.command("test")
    def test(
        contract: Annotated[Path, typer.Argument(help="The ODCS contract (.odcs.yaml) to test.")],
        server: Annotated[
            str | None,
            typer.Option("--server", help="The servers[].server entry to test (default: the first)."),
        ] = None,
        data: Annotated[
            Path | None,
            typer.Option(
                "--data", help="Test this file, glob, Delta folder or folder of <object> files instead."
            ),
        ] = None,
        output_format: Annotated[str, typer.Option("--format", help="text, json or junit.")] = "text",
        output: Annotated[
            Path | None, typer.Option("--output", help="Write the report to this file.")
        ] = None,
        samples: Annotated[
            int, typer.Option("--samples", min=0, help="Violating rows shown per failure.")
        ] = 5,
        explain: Annotated[
            bool, typer.Option("--explain", help="Print the check plan and its SQL; run nothing.")
        ] = False,
        memory_limit: Annotated[
            str | None,
            typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 2GB (spills above it)."),
        ] = None,
        related: Annotated[
            list[str] | None,
            typer.Option(
                "--related",
                help="OBJECT=PATH: the data of an object of another contract that relationships name "
                "(repeatable). Inside a mesh, published tables are found by quantaContractId.",
            ),
        ] = None,
    ) -> None:
        """Test a data contract against its data. Exit 0: no blocking failure; 1: a blocking failure; 2:
        usage or connection error."""
        from quanta.checks.api import explain_contract, test_contract
        from quanta.errors import UsageError

        if output_format not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
        if explain:
            _emit(explain_contract(contract, data=data, server=server), output)
            return
        report = test_contract(
            contract,
            data=data,
            server=server,
            samples=samples,
            memory_limit=memory_limit,
            related=_related(contract, related or []),
        )
        if output_format == "json":
            text = report.to_json()
        elif output_format == "junit":
            text = report.to_junit()
        else:
            text = report.to_text()
        if output is not None or output_format != "text":
            _emit(text, output)
            if output is not None:
                typer.echo(report.summary(), err=True)
        else:
            from quanta.cli.output import console

            _print_text(report, console())
        raise typer.Exit(0 if report.passed else 1)


def _related(contract: Path, given: list[str]) -> dict[str, str] | None:
    """The data of the relationships' target objects, keyed by object name.

    ``--related OBJECT=PATH`` wins over what the mesh around the contract publishes
    (:func:`quanta.build.gate.published_related`).

    Raises:
        UsageError: a ``--related`` value is not ``OBJECT=PATH``.
    """
    from quanta.errors import UsageError

    explicit = {}
    for value in given:
        key, sep, path = value.partition("=")
        if not sep or not key or not path:
            raise UsageError(
                f"--related takes OBJECT=PATH (e.g. airports=data/airports.parquet), not {value!r}"
            )
        explicit[key] = path
    try:
        text = contract.read_text(encoding="utf-8")
    except OSError:
        text = ""  # test_contract reports the unreadable file
    if "quantaContractId" not in text:  # no target in another contract: skip loading the mesh
        return explicit or None
    from quanta.build.gate import published_related

    return {**published_related(contract), **explicit}


def _emit(text: str, output: Path | None) -> None:
    """Write a machine-readable report (or the plan) as is: to ``output`` atomically, else to stdout.

    Plain text needs no Rich console (whose import costs about 50 ms of every run's start-up).
    """
    if output is None:
        typer.echo(text, nl=False)
        return
    import os
    import tempfile

    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, output)


def _print_text(report, console) -> None:
    from rich.text import Text

    styles = {"[ok]": "green", "[FAIL]": "bold red", "[ERROR]": "bold red"}
    for line in report.to_text().splitlines():
        text = Text(line)
        for marker, style in styles.items():
            start = line.find(marker)
            if start >= 0:
                text.stylize(style, start, start + len(marker))
        if line.startswith(("PASSED", "FAILED")):
            text.stylize("bold green" if report.passed else "bold red")
        console.print(text)

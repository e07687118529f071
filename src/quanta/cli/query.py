"""``quanta query "SQL" --as PRINCIPAL``: an enforced, sandboxed, audited query over published ports."""

from __future__ import annotations

from pathlib import Path

import typer

from quanta.cli.access_common import AS_OPTION, MESH_OPTION, actor, check_format, service
from quanta.errors import UsageError

FORMATS = ("table", "csv", "json", "parquet")
TABLE_ROWS = 200


def register(app: typer.Typer) -> None:
    """Add the ``query`` command to ``app``."""

    @app.command("query")
    def query(
        statement: str = typer.Argument(
            ..., help="One read query; ports are tables named domain.product.port."
        ),
        as_: str | None = AS_OPTION,
        format_: str = typer.Option("table", "--format", "-f", help="table, csv, json or parquet."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to this file."),
        mesh: str = MESH_OPTION,
    ) -> None:
        """Query published ports as a principal: guarded, authorised by Cedar, masked, sandboxed, audited.

        A deprecated port prints a warning on stderr; a retired port is refused (exit 1).
        """
        fmt = check_format(format_, FORMATS)
        if fmt == "parquet" and output is None:
            raise UsageError("--format parquet needs --output FILE")
        svc = service(mesh)
        result = svc.query(actor(svc, as_), statement)
        from quanta.cli.output import err_console

        for warning in result.warnings:  # deprecated ports: before the rows, on stderr
            err_console().print(f"[yellow]warning:[/] {warning}", highlight=False)
        _render(result.table, fmt, output)
        if any(result.masked.values()):
            masked = ", ".join(f"{port}: {', '.join(cols)}" for port, cols in result.masked.items() if cols)
            err_console().print(f"masked: {masked}", markup=False)


def _render(table, fmt: str, output: Path | None) -> None:
    import io
    import json

    from quanta.cli.output import console

    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, str(output))
        return
    if fmt == "csv":
        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        text = buffer.getvalue().decode("utf-8")
    elif fmt == "json":
        text = json.dumps(table.to_pylist(), default=str, indent=2) + "\n"
    else:
        if output is not None:
            raise UsageError("--format table prints to the terminal: use csv, json or parquet with --output")
        from rich.table import Table

        view = Table(*table.column_names)
        for row in table.slice(0, TABLE_ROWS).to_pylist():
            view.add_row(*("" if value is None else str(value) for value in row.values()))
        console().print(view)
        if table.num_rows > TABLE_ROWS:
            console().print(f"({table.num_rows} rows, first {TABLE_ROWS} shown; use --format csv for all)")
        return
    if output is not None:
        temporary = output.with_name(output.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(output)
    else:
        console().out(text, end="")

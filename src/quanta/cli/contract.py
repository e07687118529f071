"""``quanta contract``: show a readable summary of a contract, or upgrade it to ODCS v3.1.0.

Exit codes: 0 success, 1 the contract cannot be read or the upgrade is not valid v3.1.0 (nothing is
written then), 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from quanta.cli.lint import OutputFormat

contract_app = typer.Typer(help="Inspect and upgrade ODCS data contracts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``contract`` command group to ``app``."""
    app.add_typer(contract_app, name="contract")


@contract_app.command("show")
def show(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The contract (*.odcs.yaml)."),
    lenient: bool = typer.Option(False, "--lenient/--strict", help="Read older and book forms leniently."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Print a readable summary: objects, properties, quality rules, SLAs, team and servers."""
    from quanta.spec import load_contract
    from quanta.spec.contract_tools import summarize

    summary = summarize(load_contract(file, lenient=lenient))
    if output is OutputFormat.json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return
    _render(summary)


@contract_app.command("upgrade")
def upgrade(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The contract to upgrade."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
) -> None:
    """Normalise a contract (ODCS v2.2, v3.0.x, book forms) to valid ODCS v3.1.0 and print every rewrite."""
    from quanta.cli.output import console, err_console
    from quanta.spec.contract_tools import describe_rewrite, upgrade, write_atomic

    result = upgrade(file)
    err = err_console()
    for rewrite in result.rewrites:
        err.print(f"rewrite {describe_rewrite(rewrite)}", markup=False)
    if not result.valid:
        for diagnostic in result.diagnostics:
            err.print(str(diagnostic), markup=False)
        err.print("error: the upgraded contract is not valid ODCS v3.1.0; nothing was written", markup=False)
        raise typer.Exit(1)
    if output is None:
        console().print(result.text, end="", markup=False, highlight=False)
    else:
        write_atomic(output, result.text)
        err.print(f"wrote {output} (ODCS v3.1.0, {len(result.rewrites)} rewrite(s))", markup=False)


def _render(summary: dict) -> None:
    from rich.table import Table

    from quanta.cli.output import console

    out = console()
    out.print(f"[bold]{summary['name'] or summary['id']}[/] {summary['version']} ({summary['status']})")
    out.print(
        f"id {summary['id']} · ODCS {summary['apiVersion']} · domain {summary['domain'] or '-'}", markup=False
    )
    if summary["description"]:
        out.print(str(summary["description"]).strip(), markup=False)
    for obj in summary["objects"]:
        table = Table(title=f"{obj['name']} ({obj['physicalType'] or 'object'})", title_justify="left")
        for column in ("property", "logicalType", "physicalType", "required", "unique", "key", "rules"):
            table.add_column(column)
        for prop in obj["properties"]:
            table.add_row(
                str(prop["name"]),
                str(prop["logicalType"] or ""),
                str(prop["physicalType"] or ""),
                "yes" if prop["required"] else "",
                "yes" if prop["unique"] else "",
                "PK" if prop["primaryKey"] else "",
                str(prop["rules"] or ""),
            )
        out.print(table)
    if summary["rules"]:
        table = Table(title="Quality rules", title_justify="left")
        for column in ("where", "metric", "operator", "threshold", "unit", "dimension", "severity"):
            table.add_column(column)
        for rule in summary["rules"]:
            table.add_row(
                *(
                    str(rule[k]) if rule[k] is not None else ""
                    for k in ("path", "metric", "operator", "threshold", "unit", "dimension", "severity")
                )
            )
        out.print(table)
    if summary["slas"]:
        table = Table(title="Service levels", title_justify="left")
        for column in ("property", "value", "unit", "element"):
            table.add_column(column)
        for sla in summary["slas"]:
            table.add_row(
                *(str(sla[k]) if sla[k] is not None else "" for k in ("property", "value", "unit", "element"))
            )
        out.print(table)
    team = summary["team"]
    if team["members"]:
        names = ", ".join(f"{m['username'] or m['name']} ({m['role'] or '-'})" for m in team["members"])
        out.print(f"team {team['name'] or ''}: {names}".replace("team :", "team:"), markup=False)
    for server in summary["servers"]:
        out.print(
            f"server {server['server']}: {server['type']} {server['environment'] or ''}".rstrip(),
            markup=False,
        )

"""``quanta policy list|show|test``: what the mesh's policies check, and their verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

MeshOption = Annotated[Path, typer.Option("--mesh", help="The mesh folder, or any folder inside it.")]
FormatOption = Annotated[str, typer.Option("--format", help="text or json.")]
_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "dim", "error-severity": "red"}


def _root(mesh: Path) -> Path:
    from quanta.mesh import find_mesh_root

    return find_mesh_root(mesh)


def _check_format(output_format: str) -> None:
    from quanta.errors import UsageError

    if output_format not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {output_format!r}")


def register(app: typer.Typer) -> None:
    """Add the ``policy`` command group to ``app``."""
    group = typer.Typer(help="Governance policies: list them, explain one, test it.", no_args_is_help=True)
    app.add_typer(group, name="policy")

    @group.command("list")
    def list_policies(mesh: MeshOption = Path("."), output_format: FormatOption = "text") -> None:
        """List every policy (global and per domain) and every problem in the policy files. Exit 1 when a
        policy file is invalid."""
        from quanta.cli.output import console
        from quanta.governance import lint_policies

        _check_format(output_format)
        policy_set = lint_policies(_root(mesh))
        if output_format == "json":
            data = {
                "policies": [p.to_dict() for p in policy_set.all()],
                "diagnostics": [d.to_dict() for d in policy_set.diagnostics],
            }
            console().print_json(json.dumps(data, default=str))
        else:
            _print_list(console(), policy_set)
        if not policy_set.ok:
            raise typer.Exit(1)

    @group.command("show")
    def show(
        policy: Annotated[str, typer.Argument(help="The policy id.")],
        domain: Annotated[
            str | None, typer.Option("--domain", help="Show it as it applies in this domain.")
        ] = None,
        mesh: MeshOption = Path("."),
        output_format: FormatOption = "text",
    ) -> None:
        """Explain what a policy checks: scope, severity, lifecycle, rule and how to comply."""
        from quanta.cli.output import console
        from quanta.errors import UsageError
        from quanta.governance import load_policies

        _check_format(output_format)
        found = load_policies(_root(mesh)).get(policy, domain)
        if found is None:
            raise UsageError(f"no policy {policy!r}" + (f" in domain {domain}" if domain else ""))
        if output_format == "json":
            console().print_json(json.dumps(found.to_dict(), default=str))
            return
        from rich.markup import escape

        out = console()
        out.print(f"[bold]{escape(found.id)}[/]: {escape(found.title)}")
        mandatory = "mandatory" if found.mandatory else "not mandatory"
        since = f" from {found.enforced_from}" if found.enforced_from else ""
        out.print(
            f"  {found.severity} · scope {found.scope} · {found.status}{since} · {mandatory} · {found.origin}"
        )
        if found.description:
            out.print(f"\n{found.description}", markup=False)
        if found.when:
            out.print(f"\n[bold]applies when[/] {escape(found.when)}", highlight=False)
        out.print(f"\n[bold]rule[/] {escape(found.rule_text)}", highlight=False)
        if found.params:
            out.print(f"[bold]params[/] {escape(str(found.params))}", highlight=False)
        if found.remediation:
            out.print(f"\n[bold]to comply[/] {escape(found.remediation)}")
        if found.file:
            out.print(f"\n{found.file}", style="dim", markup=False)

    @group.command("test")
    def test(
        policy: Annotated[str, typer.Argument(help="The policy id.")],
        target: Annotated[
            str | None, typer.Argument(help="A product (domain.product); all when omitted.")
        ] = None,
        mesh: MeshOption = Path("."),
        output_format: FormatOption = "text",
    ) -> None:
        """Evaluate one policy on one product or every product, with the evidence of each verdict. Exit 1
        when a verdict blocks publication."""
        from dataclasses import asdict

        from quanta.cli.output import console
        from quanta.governance.service import evaluate_policy

        _check_format(output_format)
        results = evaluate_policy(_root(mesh), policy, target)
        if output_format == "json":
            data = [{"product": key, **asdict(verdict)} for key, verdict in results]
            console().print_json(json.dumps(data, default=str))
        else:
            for key, verdict in results:
                _print_verdict(console(), key, verdict)
        if any(verdict.blocking for _, verdict in results):
            raise typer.Exit(1)


def _print_list(out: Any, policy_set: Any) -> None:
    from rich.table import Table

    table = Table(title="Policies", show_lines=False)
    for column in ("id", "where", "scope", "severity", "status", "mandatory"):
        table.add_column(column, no_wrap=True)
    table.add_column("title")
    for p in policy_set.all():
        where = p.domain if p.origin == "domain" else "global"
        status = p.status + (f" ({p.enforced_from})" if p.enforced_from else "")
        table.add_row(p.id, where, p.scope, p.severity, status, "yes" if p.mandatory else "", p.title)
    out.print(table)
    for diagnostic in policy_set.diagnostics:
        style = "red" if diagnostic.severity == "error" else "yellow"
        out.print(str(diagnostic), style=style, markup=False, highlight=False)


def _print_verdict(out: Any, key: str, verdict: Any) -> None:
    from rich.markup import escape

    style = _STYLE.get(verdict.verdict, "")
    blocking = " [bold red]BLOCKS PUBLICATION[/]" if verdict.blocking else ""
    out.print(
        f"[{style}]{verdict.verdict:<7}[/] {escape(key)} · {escape(verdict.policy)} "
        f"({verdict.effective_severity}){blocking}",
        highlight=False,
    )
    out.print(f"        {verdict.message}", markup=False, highlight=False)
    for evidence in verdict.evidence:
        if evidence.outcome == "passed" and verdict.verdict != "passed":
            continue
        where = evidence.file or ""
        if evidence.line:
            where += f":{evidence.line}" + (f":{evidence.column}" if evidence.column else "")
        value = repr(evidence.value) if evidence.present else "(missing)"
        note = f" — {evidence.message}" if evidence.message else ""
        out.print(
            f"        {evidence.outcome}: {evidence.path or '(element)'} = {value}{note}  {where}",
            markup=False,
            highlight=False,
        )

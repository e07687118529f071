"""``quanta audit``: read the append-only log of access decisions."""

from __future__ import annotations

import typer

from quanta.cli.access_common import FORMAT_OPTION, MESH_OPTION, check_format, parse_date, service


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to ``app``."""

    @app.command("audit")
    def audit(
        principal: str | None = typer.Option(
            None, "--principal", "-p", help="Only this principal's decisions."
        ),
        port: str | None = typer.Option(
            None, "--port", help="Only decisions about this port (domain.product.port)."
        ),
        decision: str | None = typer.Option(None, "--decision", help="allow or deny."),
        since: str | None = typer.Option(None, "--since", help="Only decisions at or after this date (UTC)."),
        limit: int = typer.Option(50, "--limit", "-n", help="At most this many entries, newest first."),
        format_: str = FORMAT_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Show access decisions: who, when, allow/deny, ports, masked columns, purpose, statement hash."""
        import json

        from rich.table import Table

        from quanta.cli.output import console

        fmt = check_format(format_, ("table", "json"))
        entries = service(mesh).audit(
            principal=principal, port=port, decision=decision, since=parse_date(since, "--since"), limit=limit
        )
        if fmt == "json":
            console().out(json.dumps([e.to_dict() for e in entries], indent=2))
            return
        table = Table(
            "#", "at", "principal", "action", "decision", "ports", "masked", "purpose / reason", "statement"
        )
        for e in entries:
            masked = "; ".join(f"{p}: {', '.join(c)}" for p, c in e.masked.items() if c)
            table.add_row(
                str(e.id),
                e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "",
                e.principal,
                e.action,
                e.decision,
                ", ".join(e.ports),
                masked,
                e.purpose or e.reason or "",
                (e.statement_hash or "")[:12],
            )
        console().print(table)

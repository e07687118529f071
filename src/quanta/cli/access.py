"""``quanta access request|list|show|approve|reject|revoke|ports|policies``: access agreements."""

from __future__ import annotations

import typer

from quanta.cli.access_common import (
    AS_OPTION,
    FORMAT_OPTION,
    MESH_OPTION,
    actor,
    check_format,
    parse_date,
    service,
)


def register(app: typer.Typer) -> None:
    """Add the ``access`` command group to ``app``."""
    group = typer.Typer(help="Access agreements: request, approve, reject, revoke, list and show them.")
    app.add_typer(group, name="access")

    @group.command("request")
    def request(
        port: str = typer.Argument(..., help="The output port: domain.product.port."),
        purpose: str = typer.Option(..., "--purpose", help="What the data will be used for (required)."),
        consumer: str | None = typer.Option(
            None, "--for", help="Request for this team or product (default: yourself)."
        ),
        until: str | None = typer.Option(None, "--until", help="End date (YYYY-MM-DD, UTC); expires then."),
        pii: bool = typer.Option(False, "--pii", help="Ask to see sensitive (PII) values unmasked."),
        row_filter: str | None = typer.Option(
            None, "--row-filter", help="Only rows matching this condition."
        ),
        role: str | None = typer.Option(
            None, "--role", help="The contract role (ODCS roles[].role) requested."
        ),
        as_: str | None = AS_OPTION,
        format_: str = FORMAT_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Request access to one output port (approved at once when the port auto-approves)."""
        svc = service(mesh)
        who = actor(svc, as_)
        agreement = svc.request(
            consumer or who.name,
            port,
            purpose,
            requested_by=who.name,
            ends_at=parse_date(until, "--until"),
            pii=pii,
            row_filter=row_filter,
            role=role,
        )
        _show(agreement, check_format(format_, ("table", "json")))

    @group.command("list")
    def list_agreements(
        consumer: str | None = typer.Option(
            None, "--consumer", help="Only this consumer's (and its teams')."
        ),
        port: str | None = typer.Option(None, "--port", help="Only this port's."),
        state: str | None = typer.Option(
            None, "--state", help="requested, active, rejected, expired, revoked."
        ),
        pending: bool = typer.Option(False, "--pending", help="Only requests you (--as) may approve now."),
        as_: str | None = AS_OPTION,
        format_: str = FORMAT_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """List access agreements, newest first."""
        import json

        from rich.table import Table

        from quanta.access.agreements import State
        from quanta.cli.output import console
        from quanta.errors import UsageError

        fmt = check_format(format_, ("table", "json"))
        if state is not None and state not in {s.value for s in State}:
            raise UsageError(f"--state {state!r} is unknown: use {', '.join(s.value for s in State)}")
        svc = service(mesh)
        if pending:
            found = svc.pending_for(actor(svc, as_).name)
        else:
            found = svc.list(consumer=consumer, port=port, state=state)
        if fmt == "json":
            console().out(json.dumps([a.to_dict() for a in found], indent=2))
            return
        table = Table("id", "consumer", "port", "state", "pii", "contract", "ends", "purpose")
        for a in found:
            table.add_row(
                a.id[:8],
                a.consumer,
                a.port,
                a.state.value,
                "yes" if a.pii else "",
                f"{a.contract_id} {a.contract_version}",
                a.ends_at.strftime("%Y-%m-%d") if a.ends_at else "",
                a.purpose,
            )
        console().print(table)

    @group.command("show")
    def show(
        agreement_id: str = typer.Argument(..., help="The agreement id (or its first 8 characters)."),
        format_: str = FORMAT_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Show one agreement and its history (who, when, why)."""
        _show(service(mesh).get(agreement_id), check_format(format_, ("table", "json")))

    @group.command("approve")
    def approve(
        agreement_id: str = typer.Argument(..., help="The agreement id (or its first 8 characters)."),
        reason: str = typer.Option("", "--reason", help="Why (recorded)."),
        as_: str | None = AS_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Approve a request (owner team, firstLevelApprovers, then secondLevelApprovers if any)."""
        svc = service(mesh)
        _show(svc.approve(agreement_id, actor(svc, as_).name, reason), "table")

    @group.command("reject")
    def reject(
        agreement_id: str = typer.Argument(..., help="The agreement id (or its first 8 characters)."),
        reason: str = typer.Option(..., "--reason", help="Why (required, recorded)."),
        as_: str | None = AS_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Reject a request."""
        svc = service(mesh)
        _show(svc.reject(agreement_id, actor(svc, as_).name, reason), "table")

    @group.command("revoke")
    def revoke(
        agreement_id: str = typer.Argument(..., help="The agreement id (or its first 8 characters)."),
        reason: str = typer.Option(..., "--reason", help="Why (required, recorded)."),
        as_: str | None = AS_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Revoke an agreement (or withdraw a request); the next query is denied."""
        svc = service(mesh)
        _show(svc.revoke(agreement_id, actor(svc, as_).name, reason), "table")

    @group.command("ports")
    def ports(as_: str | None = AS_OPTION, mesh: str = MESH_OPTION) -> None:
        """List every port with whether you (--as) may query it and see its PII."""
        from rich.table import Table

        from quanta.cli.output import console

        svc = service(mesh)
        table = Table("port", "owner", "pii columns", "query", "pii access")
        for access in svc.ports_for(actor(svc, as_)):
            pii = ", ".join(c.name for c in access.port.columns if c.sensitive)
            table.add_row(
                access.port.key,
                access.port.owner or "",
                pii,
                "allow" if access.decision.query else "deny",
                "yes" if access.decision.pii else ("masked" if pii else ""),
            )
        console().print(table)

    @group.command("policies")
    def policies(
        principal: str | None = typer.Option(
            None, "--principal", "-p", help="Only this principal's agreements."
        ),
        mesh: str = MESH_OPTION,
    ) -> None:
        """Print the Cedar policies in force (built-in, one per active agreement, the mesh's .cedar files)."""
        from quanta.cli.output import console

        console().out(service(mesh).policies(principal))


def _show(agreement, fmt: str) -> None:
    import json

    from rich.table import Table

    from quanta.cli.output import console

    if fmt == "json":
        console().out(json.dumps(agreement.to_dict(), indent=2))
        return
    out = console()
    out.print(
        f"agreement {agreement.id}: {agreement.consumer} → {agreement.port}  [{agreement.state.value}]",
        markup=False,
    )
    out.print(f"  purpose: {agreement.purpose}", markup=False)
    out.print(f"  contract: {agreement.contract_id} {agreement.contract_version}", markup=False)
    if agreement.ends_at:
        out.print(f"  ends: {agreement.ends_at.isoformat()}", markup=False)
    if agreement.pii or agreement.row_filter:
        out.print(
            f"  pii: {'yes' if agreement.pii else 'no'}   row filter: {agreement.row_filter or '-'}",
            markup=False,
        )
    history = Table("at", "action", "from", "to", "by", "why")
    for t in agreement.transitions:
        history.add_row(
            t.at.strftime("%Y-%m-%d %H:%M:%S"),
            t.action,
            t.from_state.value if t.from_state else "",
            t.to_state.value,
            t.actor,
            t.reason,
        )
    out.print(history)

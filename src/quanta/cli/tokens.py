"""``quanta token create|list|revoke``: API tokens (shown once, stored hashed)."""

from __future__ import annotations

import typer

from quanta.cli.access_common import AS_OPTION, MESH_OPTION, actor, parse_date, service


def register(app: typer.Typer) -> None:
    """Add the ``token`` command group to ``app``."""
    group = typer.Typer(help="API tokens: the CLI and the API act as a token's principal ($QUANTA_TOKEN).")
    app.add_typer(group, name="token")

    @group.command("create")
    def create(
        principal: str = typer.Option(..., "--principal", "-p", help="The principal the token acts as."),
        kind: str | None = typer.Option(
            None, "--kind", help="Register the principal first: user, team or service (if the mesh lacks it)."
        ),
        label: str | None = typer.Option(None, "--label", help="A label to recognise the token by."),
        expires: str | None = typer.Option(None, "--expires", help="Expiry date (YYYY-MM-DD), UTC."),
        mesh: str = MESH_OPTION,
    ) -> None:
        """Create an API token and print it once (only its salted hash is stored)."""
        from quanta.cli.output import console, err_console

        new = service(mesh).create_token(
            principal, kind=kind, label=label, expires_at=parse_date(expires, "--expires")
        )
        console().print(new.token, markup=False)
        err_console().print(
            f"token {new.id} for {principal}: store it now, it is not shown again (export QUANTA_TOKEN=...)",
            markup=False,
        )

    @group.command("list")
    def list_tokens(
        principal: str | None = typer.Option(None, "--principal", "-p", help="Only this principal's tokens."),
        mesh: str = MESH_OPTION,
    ) -> None:
        """List tokens (ids, principals, dates; never secrets)."""
        from rich.table import Table

        from quanta.cli.output import console

        table = Table("id", "principal", "label", "created", "expires", "revoked")
        for token in service(mesh).store.tokens(principal):
            table.add_row(
                token.id,
                token.principal,
                token.label or "",
                token.created_at.strftime("%Y-%m-%d %H:%M"),
                token.expires_at.strftime("%Y-%m-%d") if token.expires_at else "",
                token.revoked_at.strftime("%Y-%m-%d %H:%M") if token.revoked_at else "",
            )
        console().print(table)

    @group.command("revoke")
    def revoke(
        token_id: str = typer.Argument(..., help="The token id (the part after qt_)."),
        as_: str | None = AS_OPTION,
        mesh: str = MESH_OPTION,
    ) -> None:
        """Revoke one of your tokens."""
        from quanta.cli.output import console

        svc = service(mesh)
        svc.revoke_token(token_id, actor(svc, as_).name)
        console().print(f"token {token_id} revoked", markup=False)

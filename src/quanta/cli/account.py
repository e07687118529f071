"""``quanta account set-password|disable``: local accounts for signing in to the UI with a password."""

from __future__ import annotations

import typer

from quanta.cli.access_common import MESH_OPTION, service


def register(app: typer.Typer) -> None:
    """Add the ``account`` command group to ``app``."""
    group = typer.Typer(help="Local accounts: sign in to the marketplace UI with a username and password.")
    app.add_typer(group, name="account")

    @group.command("set-password")
    def set_password(
        username: str = typer.Argument(
            ..., help="An existing principal (a team member, or a registered user)."
        ),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the password from the first line of standard input."
        ),
        mesh: str = MESH_OPTION,
    ) -> None:
        """Create USERNAME's local account or change its password (asked twice, not echoed)."""
        import sys

        from quanta.access import accounts
        from quanta.cli.output import console

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        accounts.set_password(service(mesh), username, password)
        console().print(f"password of {username} set: sign in at /ui/login", markup=False)

    @group.command("disable")
    def disable(
        username: str = typer.Argument(..., help="The account to disable."),
        mesh: str = MESH_OPTION,
    ) -> None:
        """Disable USERNAME's local account (API tokens are not affected)."""
        from quanta.access import accounts
        from quanta.cli.output import console

        accounts.disable(service(mesh), username)
        console().print(f"account {username} disabled", markup=False)

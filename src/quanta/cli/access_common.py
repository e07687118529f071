"""Options shared by the access commands (``quanta token|access|query|audit``): mesh and identity."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer

from quanta.errors import UsageError

if TYPE_CHECKING:
    from quanta.access.authorizer import PrincipalRef
    from quanta.access.service import AccessService

MESH_OPTION = typer.Option(".", "--mesh", "-m", help="The mesh folder (or any folder inside it).")
AS_OPTION = typer.Option(
    None, "--as", help="Act as this principal (user, team or service); default: the owner of $QUANTA_TOKEN."
)
FORMAT_OPTION = typer.Option("table", "--format", "-f", help="Output format: table or json.")


def service(mesh: str) -> AccessService:
    """Open the access service of the mesh at ``mesh``."""
    from quanta.access.session import open_service

    return open_service(mesh)


def actor(svc: AccessService, name: str | None) -> PrincipalRef:
    """Return who the command acts as (``--as`` or ``$QUANTA_TOKEN``)."""
    from quanta.access.session import acting

    return acting(svc, name)


def parse_date(text: str | None, option: str) -> datetime | None:
    """Parse an ISO date or timestamp given on the command line (UTC when no zone is given)."""
    from quanta.spec.sunset import parse_moment

    if text is None:
        return None
    moment = parse_moment(text)
    if moment is None:
        raise UsageError(f"{option} {text!r} is not a date: use YYYY-MM-DD or an ISO timestamp")
    return moment


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` lower-cased, or raise a usage error naming the allowed formats."""
    lowered = value.lower()
    if lowered not in allowed:
        raise UsageError(f"--format {value!r} is unknown: use {', '.join(allowed)}")
    return lowered

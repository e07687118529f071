"""``quanta certify [PRODUCT]``: a product's certification (``OK`` / ``NOT COMPLIANT``) and its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add the ``certify`` command to ``app``."""

    @app.command("certify")
    def certify(
        product: Annotated[
            str | None, typer.Argument(help="A product (domain.product); all when omitted.")
        ] = None,
        mesh: Annotated[
            Path, typer.Option("--mesh", help="The mesh folder, or any folder inside it.")
        ] = Path("."),
        fresh: Annotated[
            bool, typer.Option("--fresh", help="Evaluate now from the files even if a build recorded one.")
        ] = False,
        output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    ) -> None:
        """Print the certification report: the last one a build recorded, or one evaluated now from the
        mesh's files. Exit 1 when a product is NOT COMPLIANT."""
        from quanta.cli.output import console
        from quanta.errors import UsageError
        from quanta.governance.service import all_certifications, product_certification
        from quanta.mesh import find_mesh_root

        if output_format not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {output_format!r}")
        root = find_mesh_root(mesh)
        views = (
            [product_certification(root, product, fresh=fresh)]
            if product
            else all_certifications(root, fresh=fresh)
        )
        if output_format == "json":
            data = [
                {
                    "product": v.product,
                    "source": v.source,
                    "recordedAt": v.recorded_at,
                    **v.certification.to_dict(),
                }
                for v in views
            ]
            console().print_json(json.dumps(data if not product else data[0], default=str))
        else:
            for view in views:
                _print(console(), view)
        if any(v.certification.status != "OK" for v in views):
            raise typer.Exit(1)


def _print(out: Any, view: Any) -> None:
    from rich.markup import escape

    from quanta.cli.policy import _print_verdict

    cert = view.certification
    colour = "green" if cert.status == "OK" else "bold red"
    source = f"recorded {view.recorded_at}" if view.source == "registry" else "evaluated now from the files"
    out.print(
        f"[bold]{escape(view.product)}[/] {escape(cert.version or '')}: [{colour}]{cert.status}[/] ({source})",
        highlight=False,
    )
    counts = cert.summary()
    out.print(
        f"  {counts['passed']} passed, {counts['failed']} failed, {counts['error']} error, "
        f"{counts['skipped']} skipped; {counts['blocking']} blocking publication",
        highlight=False,
    )
    for verdict in cert.verdicts:
        if verdict.verdict in ("failed", "error"):
            _print_verdict(out, view.product, verdict)
    for verdict in cert.verdicts:
        if verdict.verdict in ("passed", "skipped"):
            out.print(
                f"  [dim]{verdict.verdict:<7}[/] {escape(verdict.policy)}: {escape(verdict.message)}",
                highlight=False,
            )

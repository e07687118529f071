"""``quanta serve``: the marketplace, the REST API and every product's gateway, under uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve(
        mesh: Path = typer.Option(Path("."), "--mesh", help="The mesh folder (or a folder inside it)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port to listen on."),
        anonymous_discovery: bool = typer.Option(
            None,
            "--anonymous-discovery/--no-anonymous-discovery",
            help="Let callers without a token browse products and read discovery metadata.",
            show_default=False,
        ),
    ) -> None:
        """Serve the marketplace UI, the API (/api/v1) and the product gateway (/products/...)."""
        import uvicorn

        from quanta.api.settings import ServeSettings
        from quanta.web import create_app

        settings = ServeSettings.from_env(mesh_root=mesh, anonymous_discovery=anonymous_discovery)
        application = create_app(settings)
        typer.echo(
            f"Quanta marketplace of {application.state.services.catalog.name} on http://{host}:{port}/"
        )
        uvicorn.run(application, host=host, port=port, log_level="info")

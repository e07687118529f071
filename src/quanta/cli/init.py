"""``quanta init`` and ``quanta new product``: scaffold a mesh and the products of the product factory."""

from __future__ import annotations

from pathlib import Path

import typer

from quanta.cli.output import console


def register(app: typer.Typer) -> None:
    """Add ``init`` and ``new product`` to ``app``."""

    @app.command("init")
    def init(
        directory: Path = typer.Argument(..., help="Folder to create the mesh in (new or empty)."),
        example: str | None = typer.Option(
            None, "--example", help="Copy an example mesh with its source data instead (e.g. nycflights)."
        ),
        name: str | None = typer.Option(None, "--name", help="Mesh name (default: the folder name)."),
    ) -> None:
        """Create a mesh: an empty one, or a complete example with its source data."""
        if example:
            from quanta.mesh.examples import materialize_example

            root = materialize_example(example, directory)
            _install_policies(root)
            console().print(f"Created the [bold]{example}[/] example mesh in {root}")
            console().print(f"Next: cd {root} && quanta build")
            return
        from quanta.mesh.scaffold import init_mesh

        root = init_mesh(directory, name=name)
        _install_policies(root)
        console().print(f"Created an empty mesh in {root}")
        console().print("Next: quanta new product DOMAIN NAME")

    def _install_policies(root: Path) -> None:
        from quanta.governance import install_builtin_pack

        written = install_builtin_pack(root)
        if written:
            folder = root / "policies"
            console().print(f"Enabled the built-in policy pack: {len(written)} policies in {folder}")

    new = typer.Typer(help="Scaffold new mesh content.", no_args_is_help=True)
    app.add_typer(new, name="new")

    @new.command("product")
    def new_product(
        domain: str = typer.Argument(..., help="Domain of the product (created when missing)."),
        name: str = typer.Argument(..., help="Product name."),
        mesh: Path = typer.Option(Path("."), "--mesh", help="The mesh folder, or any folder inside it."),
    ) -> None:
        """Scaffold a product: descriptor, source and output contracts, SQL transform and sample data."""
        from quanta.mesh import find_mesh_root
        from quanta.mesh.scaffold import new_product as scaffold

        root = find_mesh_root(mesh)
        files = scaffold(root, domain, name)
        console().print(f"Created product [bold]{domain}.{name}[/]:")
        for path in files:
            console().print(f"  {path.relative_to(root)}")
        console().print(f"Next: edit the contracts and transform, then quanta build {domain}.{name}")

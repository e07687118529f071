"""``quanta status``, ``quanta runs`` and ``quanta lineage``: what the builds of a mesh left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from quanta.cli.output import console, print_json

MESH_OPTION = typer.Option(Path("."), "--mesh", help="The mesh folder, or any folder inside it.")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never published"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _badge(certification: str | None) -> str:
    """The certification badge: ``OK`` in green, ``NOT COMPLIANT`` in red, ``-`` when never certified."""
    if not certification:
        return "-"
    return f"[green]{certification}[/]" if certification == "OK" else f"[red]{certification}[/]"


def register(app: typer.Typer) -> None:
    """Add ``status``, ``runs`` and ``lineage`` to ``app``."""

    @app.command("status")
    def status(
        fmt: str = typer.Option("text", "--format", help="text or json."), mesh: Path = MESH_OPTION
    ) -> None:
        """Show every product's published versions, their freshness, certification and open warnings."""
        from rich import box
        from rich.table import Table

        from quanta.facade import Mesh

        entries = Mesh(mesh).status()
        if fmt == "json":
            print_json(entries)
            return
        table = Table(title="Product status", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        for column in ("product", "version", "published", "last run", "certified", "warnings"):
            table.add_column(column, no_wrap=True)
        for entry in entries:
            versions = ", ".join(
                ("-" if p["deltaVersion"] is None else f"v{p['deltaVersion']}")
                + ("" if p["name"] == entry["product"].split(".")[1] else f" ({p['name']})")
                for p in entry["ports"]
            )
            warnings = entry.get("warnings") or []
            table.add_row(
                entry["product"],
                versions,
                _age(entry["ageSeconds"]),
                entry.get("lastRun") or "",
                _badge(entry.get("certification")),
                str(len(warnings)),
            )
        console().print(table)
        for entry in entries:
            for warning in entry.get("warnings") or []:
                console().print(f"  [yellow]warning[/] {entry['product']}: {warning}")
            for port in entry["ports"]:
                lifecycle = port.get("lifecycle") or {}
                if lifecycle.get("status") in ("deprecated", "retired"):
                    dates = "".join(
                        f", {key} {lifecycle[key]}"
                        for key in ("endOfSupport", "endOfLife")
                        if lifecycle.get(key)
                    )
                    console().print(
                        f"  [magenta]{lifecycle['status']}[/] {entry['product']}.{port['name']}: "
                        f"{lifecycle['reason']}{dates}",
                        highlight=False,
                    )

    @app.command("runs")
    def runs(
        product: str | None = typer.Argument(None, help="Only the runs of this product."),
        limit: int = typer.Option(20, "--limit", min=1, help="How many runs."),
        fmt: str = typer.Option("text", "--format", help="text or json."),
        mesh: Path = MESH_OPTION,
    ) -> None:
        """List the most recent build runs, newest first."""
        from rich import box
        from rich.table import Table

        from quanta.facade import Mesh

        entries = Mesh(mesh).runs(product, limit=limit)
        if fmt == "json":
            print_json(entries)
            return
        table = Table(title="Build runs", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        for column in ("started", "product", "status", "pass", "warn", "fail", "s"):
            table.add_column(column, no_wrap=True)
        for run in entries:
            cells = [("" if run.get(key) is None else str(run[key])) for key in _RUN_KEYS]
            cells[0] = cells[0][5:16].replace("T", " ")
            table.add_row(*cells)
        console().print(table)

    @app.command("lineage")
    def lineage(
        product: str = typer.Argument(..., help="The product (domain.product or a unique name)."),
        fmt: str = typer.Option("tree", "--format", help="tree, json or mermaid."),
        mesh: Path = MESH_OPTION,
    ) -> None:
        """Show where a product's data comes from and which products consume it."""
        from quanta.build.history import lineage_mermaid
        from quanta.errors import UsageError
        from quanta.facade import Mesh

        if fmt not in ("tree", "json", "mermaid"):
            raise UsageError(f"--format {fmt!r} is not known: use tree, json or mermaid")
        tree = Mesh(mesh).lineage(product)
        if fmt == "json":
            print_json(tree)
        elif fmt == "mermaid":
            console().print(lineage_mermaid(tree), markup=False, highlight=False)
        else:
            console().print(_tree(tree))


_RUN_KEYS = ("startedAt", "product", "status", "passed", "warned", "failed", "seconds")


def _tree(tree: dict[str, Any]) -> Any:
    from rich.tree import Tree

    root = Tree(f"[bold]{tree['product']}[/]")
    upstream = root.add("[dim]upstream[/]")

    def add_up(parent: Any, items: list[dict[str, Any]]) -> None:
        for item in items:
            if "source" in item:
                parent.add(f"source [magenta]{item['source']}[/] ({item['location']}) as {item['input']}")
            else:
                branch = parent.add(f"{item['product']} port {item['port']} as {item['input']}")
                add_up(branch, item["upstream"])

    def add_down(parent: Any, items: list[dict[str, Any]]) -> None:
        for item in items:
            branch = parent.add(f"{item['product']} reads port {item['port']} as {item['input']}")
            add_down(branch, item["downstream"])

    add_up(upstream, tree["upstream"])
    add_down(root.add("[dim]downstream[/]"), tree["downstream"])
    agreements = tree.get("agreements") or []
    if agreements:
        branch = root.add("[dim]access agreements[/]")
        for edge in agreements:
            if edge["direction"] == "consumes":
                branch.add(f"{edge['consumer']} consumes {edge['port']} (agreement {edge['agreement']})")
            else:
                branch.add(f"holds {edge['port']} (agreement {edge['agreement']})")

    return root

"""What builds left behind, for ``quanta status``, ``quanta runs`` and ``quanta lineage``.

Status and lineage read the mesh and the published tables' logs (the source of truth); runs and check
results come from the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from quanta.mesh import Workspace, build_graph
from quanta.mesh.selection import resolve_name


def status(workspace: Workspace) -> list[dict[str, Any]]:
    """Return one entry per product: last published version of each port, its age, the last run.

    Each entry: ``product``, ``ports`` (``name``, ``location``, ``deltaVersion``, ``publishedAt``,
    ``runId``, ``lifecycle``: ``status``, ``reason``, ``endOfSupport``, ``endOfLife``), ``ageSeconds`` (since the oldest port's last publication; ``None`` if never published),
    ``lastRun`` (status of the last recorded run), ``lastRunAt``, ``warnings`` (the names of the
    warnings of that run, which stay open until a run passes them) and ``certification`` (``OK`` or
    ``NOT COMPLIANT``: the last certification a build recorded; ``None`` when never certified).

    What an interrupted build left is repaired first (:func:`quanta.build.reconcile_if_interrupted`).
    """
    from quanta import storage
    from quanta.build import reconcile_if_interrupted
    from quanta.build.state import storage_options
    from quanta.mesh.plan import lifecycle_dict

    reconcile_if_interrupted(workspace)  # after a crash, show the repaired record, not a stale one
    now = datetime.now(UTC)
    options = storage_options(workspace)
    last = _last_runs(workspace)
    entries = []
    for product in workspace.products.values():
        ports, stamps = [], []
        for port in product.output_ports:
            location = workspace.table_location(product, port)
            latest = storage.list_versions(location, limit=1, storage_options=options)
            version = latest[0] if latest else None
            if version is not None:
                stamps.append(version.timestamp)
            ports.append(
                {
                    "name": port.name,
                    "location": location,
                    "deltaVersion": version.version if version else None,
                    "publishedAt": version.timestamp.isoformat() if version else None,
                    "runId": version.run_id if version else None,
                    "lifecycle": lifecycle_dict(product.lifecycle(port, now=now)),
                }
            )
        published = len(stamps) == len(ports) and bool(ports)
        run = last.get(product.key, {})
        entries.append(
            {
                "product": product.key,
                "ports": ports,
                "ageSeconds": (now - min(stamps)).total_seconds() if published else None,
                "lastRun": run.get("status"),
                "lastRunAt": run.get("startedAt"),
                "warnings": run.get("warnings"),
                "certification": run.get("certification"),
            }
        )
    return entries


def _last_runs(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """Each product's last recorded run (status, start, open warnings: failed non-blocking checks) and
    its last recorded certification."""
    from quanta.registry import open_reader

    url = workspace.config.registry_url(workspace.root)
    found: dict[str, dict[str, Any]] = {}
    with open_reader(url, base_dir=workspace.root) as reader:
        for product in workspace.products.values():
            certified = reader.certifications(product.domain, product.name, limit=1)
            if certified:
                found[product.key] = {"certification": certified[0].status}
        for run in reader.last_runs(status=("passed", "warned", "blocked", "failed")):
            warnings = [
                c.rule_name or c.rule_id
                for c in reader.check_results(run.id, status="failed")
                if (c.severity or "error") != "error"
            ]
            found.setdefault(f"{run.domain}.{run.product}", {}).update(
                {
                    "status": run.status,
                    "startedAt": run.started_at.isoformat(timespec="seconds"),
                    "warnings": warnings,
                }
            )
    return found


def runs(workspace: Workspace, product: str | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
    """Return the most recent build runs from the registry, newest first.

    What an interrupted build left is repaired first (:func:`quanta.build.reconcile_if_interrupted`).
    """
    from quanta.build import reconcile_if_interrupted
    from quanta.build.record import recent_runs

    reconcile_if_interrupted(workspace)

    key = resolve_name(product, workspace.products) if product else None
    return recent_runs(workspace, key, limit=limit)


def lineage(workspace: Workspace, product: str) -> dict[str, Any]:
    """Return the lineage of one product as a tree.

    Returns:
        ``{"product", "upstream": [node...], "downstream": [node...]}`` where a node is
        ``{"product" | "source", "port", "contractId", "upstream"/"downstream": [...]}``; sources are the
        raw data behind source contracts (with their server path).
    """
    graph = build_graph(workspace)
    key = resolve_name(product, graph.products)

    def up(node: str, seen: frozenset[str]) -> list[dict[str, Any]]:
        spec = workspace.products[node]
        edges = {e.input: e for e in graph.inputs_of(node)}
        items = []
        for port in spec.input_ports:
            if port.source is not None:
                server = port.source.servers[0] if port.source.servers else {}
                items.append(
                    {
                        "source": port.contract_id,
                        "input": port.name,
                        "location": server.get("path") or server.get("host"),
                        "format": server.get("format") or server.get("type"),
                    }
                )
            else:
                edge = edges[port.name]
                parent = edge.producer
                items.append(
                    {
                        "product": parent,
                        "port": edge.port,
                        "input": port.name,
                        "contractId": edge.contract_id,
                        "upstream": [] if parent in seen else up(parent, seen | {parent}),
                    }
                )
        return items

    def down(node: str, seen: frozenset[str]) -> list[dict[str, Any]]:
        items = []
        for edge in graph.edges:
            if edge.producer == node:
                child = edge.consumer
                items.append(
                    {
                        "product": child,
                        "port": edge.port,
                        "input": edge.input,
                        "contractId": edge.contract_id,
                        "downstream": [] if child in seen else down(child, seen | {child}),
                    }
                )
        return items

    return {"product": key, "upstream": up(key, frozenset({key})), "downstream": down(key, frozenset({key}))}


def lineage_mermaid(tree: dict[str, Any]) -> str:
    """Render a lineage tree as a Mermaid ``flowchart LR``."""
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}

    def node(label: str, source: bool = False) -> str:
        if label not in ids:
            ids[label] = f"n{len(ids)}"
            shape = f'[("{label}")]' if source else f'["{label}"]'
            lines.append(f"  {ids[label]}{shape}")
        return ids[label]

    edges: list[str] = []

    def walk_up(target: str, items: list[dict[str, Any]]) -> None:
        for item in items:
            if "source" in item:
                edges.append(f"  {node(item['source'], True)} --> {node(target)}")
            else:
                edges.append(f"  {node(item['product'])} -->|{item['port']}| {node(target)}")
                walk_up(item["product"], item["upstream"])

    def walk_down(origin: str, items: list[dict[str, Any]]) -> None:
        for item in items:
            edges.append(f"  {node(origin)} -->|{item['port']}| {node(item['product'])}")
            walk_down(item["product"], item["downstream"])

    node(tree["product"])
    walk_up(tree["product"], tree["upstream"])
    walk_down(tree["product"], tree["downstream"])
    for edge in tree.get("agreements") or []:  # consumption edges, dotted: granted, not built
        producer = edge["port"].rsplit(".", 1)[0]
        edges.append(f"  {node(producer)} -.->|agreement| {node(edge['consumer'])}")
    lines.extend(dict.fromkeys(edges))
    return "\n".join(lines)

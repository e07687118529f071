"""The lineage graph, laid out in layers and drawn as clickable SVG.

Layout: each node's layer is the length of the longest path reaching it (sources on the left, consumers on
the right); within a layer nodes are ordered by the mean position of their predecessors (one barycentre
sweep), which keeps most edges short and uncrossed for graphs the size of a mesh. Nodes with an ``href``
become SVG links, reachable with the keyboard (Tab) and announced by screen readers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 190, 38, 48, 16, 10


@dataclass(frozen=True, slots=True)
class Node:
    """A box in the graph.

    Args:
        id: unique id (e.g. ``"product:operations.flights"``).
        label: text shown (shortened to fit).
        kind: ``product``, ``source``, ``port``, ``consumer`` (holder of an access agreement) or
            ``column``; styles the box.
        href: where a click goes, or ``""``.
        current: highlight this node (the product being viewed).
    """

    id: str
    label: str
    kind: str = "product"
    href: str = ""
    current: bool = False


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from ``source`` to ``target`` (node ids).

    Args:
        source: the node the arrow leaves.
        target: the node the arrow points at.
        label: shown as the arrow's tooltip and read by screen readers (e.g. an agreement), or ``""``.
        kind: ``input``, ``publishes`` or ``agreement``; styles the arrow (``""``: plain).
    """

    source: str
    target: str
    label: str = ""
    kind: str = ""


def layout(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, tuple[float, float]]:
    """Place nodes in layers.

    Args:
        nodes: the boxes.
        edges: the arrows; edges naming unknown nodes are ignored, cycles are broken arbitrarily.

    Returns:
        Node id → (x, y) of the box's top-left corner, in pixels.
    """
    ids = [n.id for n in nodes]
    known = set(ids)
    preds: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        if e.source in known and e.target in known and e.source != e.target:
            preds[e.target].append(e.source)
    layer: dict[str, int] = {}

    def depth(node: str, seen: frozenset[str]) -> int:
        if node in layer:
            return layer[node]
        parents = [p for p in preds[node] if p not in seen]
        value = 1 + max((depth(p, seen | {node}) for p in parents), default=-1)
        layer[node] = value
        return value

    for node in ids:
        depth(node, frozenset())
    columns: dict[int, list[str]] = defaultdict(list)
    for node in ids:
        columns[layer[node]].append(node)
    position: dict[str, float] = {}
    for index in sorted(columns):
        column = columns[index]

        def barycentre(node: str) -> float:
            placed = [position[p] for p in preds[node] if p in position]
            return sum(placed) / len(placed) if placed else float(ids.index(node)) / 1000

        column.sort(key=barycentre)
        for row, node in enumerate(column):
            position[node] = row
    return {
        node: (PAD + layer[node] * (NODE_W + GAP_X), PAD + position[node] * (NODE_H + GAP_Y)) for node in ids
    }


def lineage_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, title: str) -> Markup:
    """Draw the graph.

    Args:
        nodes: the boxes.
        edges: the arrows.
        title: what the graph shows (read by screen readers).

    Returns:
        SVG markup, safe to insert into a template.
    """
    places = layout(nodes, edges)
    width = max((x for x, _ in places.values()), default=0) + NODE_W + PAD
    height = max((y for _, y in places.values()), default=0) + NODE_H + PAD
    desc = "; ".join(f"{e.source} → {e.target}" for e in edges) or "No lineage recorded yet."
    parts = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
    ]
    for e in edges:
        if e.source not in places or e.target not in places:
            continue
        (x1, y1), (x2, y2) = places[e.source], places[e.target]
        sx, sy, tx, ty = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        mid = (sx + tx) / 2
        parts.append(
            f'<path class="edge {escape(e.kind)}" d="M{sx:.0f},{sy:.0f} C{mid:.0f},{sy:.0f} '
            f'{mid:.0f},{ty:.0f} {tx:.0f},{ty:.0f}" '
            f'marker-end="url(#arrow)"><title>{escape(e.label or f"{e.source} → {e.target}")}</title></path>'
        )
    for n in nodes:
        x, y = places[n.id]
        label = n.label if len(n.label) <= 27 else n.label[:26] + "…"
        classes = f"node {escape(n.kind)}" + (" current" if n.current else "")
        box = (
            f'<g class="{classes}"><rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + NODE_H / 2 + 4:.0f}" text-anchor="middle">'
            f"{escape(label)}</text><title>{escape(n.kind)}: {escape(n.label)}</title></g>"
        )
        if n.href:
            box = f'<a href="{escape(n.href)}" aria-label="{escape(n.kind)} {escape(n.label)}">{box}</a>'
        parts.append(box)
    return Markup("".join(parts) + "</svg>")

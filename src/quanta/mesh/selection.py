"""Selection of products by name, as dbt users expect: ``PRODUCT``, ``+PRODUCT``, ``PRODUCT+``.

A name is ``domain.product`` or, when unique in the mesh, just ``product``. A leading ``+`` adds every
upstream product, a trailing ``+`` every downstream product.
"""

from __future__ import annotations

from collections.abc import Iterable

from quanta.errors import UsageError
from quanta.mesh.graph import ProductGraph


def resolve_name(name: str, products: Iterable[str]) -> str:
    """Return the product key (``domain.product``) that ``name`` designates.

    Raises:
        UsageError: no product or several products have that name.
    """
    keys = list(products)
    if name in keys:
        return name
    matches = [key for key in keys if key.split(".", 1)[1] == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"{name!r} is ambiguous: write one of {', '.join(sorted(matches))}")
    raise UsageError(
        f"no product called {name!r} in this mesh; products: {', '.join(sorted(keys)) or 'none'}"
    )


def select(graph: ProductGraph, selectors: Iterable[str]) -> tuple[str, ...]:
    """Return the selected product keys in build order (upstream first).

    Args:
        graph: the product graph.
        selectors: ``PRODUCT``, ``+PRODUCT`` (with its upstream), ``PRODUCT+`` (with its downstream),
            ``+PRODUCT+`` (both); no selector selects every product.

    Raises:
        UsageError: a selector names no product or is ambiguous.
    """
    selectors = [s.strip() for s in selectors if s.strip()]
    if not selectors:
        return graph.products
    chosen: set[str] = set()
    for selector in selectors:
        up, down = selector.startswith("+"), selector.endswith("+")
        name = selector.strip("+")
        if not name:
            raise UsageError(f"selector {selector!r} names no product: write PRODUCT, +PRODUCT or PRODUCT+")
        key = resolve_name(name, graph.products)
        chosen.add(key)
        if up:
            chosen |= graph.ancestors(key)
        if down:
            chosen |= graph.descendants(key)
    return tuple(key for key in graph.products if key in chosen)

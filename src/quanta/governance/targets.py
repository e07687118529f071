"""The elements a policy runs on: one :class:`Target` per document in the policy's scope.

For a product the scopes give:

========== ======================================================= =========================================
scope      one target per                                          CEL variables (besides product, domain,
                                                                   params, build)
========== ======================================================= =========================================
product    the product                                             ``previous`` (last published descriptor)
contract   contract of the product (output and source contracts)   ``contract``, ``port`` (null for a source),
                                                                   ``previous`` (last published version)
outputPort output port                                             ``port``, ``contract`` (its contract),
                                                                   ``previous``
property   property of every contract (nested ones included)      ``contract``, ``port``, ``object``,
                                                                   ``property``, ``previous`` (same property
                                                                   in the last published version)
build      the build (only when build results are given)          ``build``
========== ======================================================= =========================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class Target:
    """One element a policy is evaluated on.

    Attributes:
        scope: the policy scope it belongs to.
        label: a readable name, e.g. ``"operations.flights.flights: flights.tailnum"``.
        file: the file holding the element, or ``None``.
        path: JSON path of the element inside ``file`` (``""`` for the whole document).
        document: the :class:`quanta.spec.documents.Document` holding it (for line numbers), or ``None``.
        element: the element itself (plain data), the root of evidence paths.
        variables: the plain variables the rule sees (``product``, ``contract``, ...).
    """

    scope: str
    label: str
    file: str | None
    path: str
    document: Any
    element: Any
    variables: dict[str, Any] = field(default_factory=dict)

    def position(self, path: str) -> tuple[int | None, int | None]:
        """1-based (line, column) of ``path`` (a JSON path inside ``file``), when known."""
        source = getattr(self.document, "source", None)
        if source is None:
            return None, None
        return source.position(split_path(path))


def split_path(path: str) -> tuple[str | int, ...]:
    """``"schema[0].properties[2].name"`` → ``("schema", 0, "properties", 2, "name")``."""
    return tuple(int(index) if index else name for name, index in _SEGMENT.findall(path))


def join_path(base: str, key: str | int) -> str:
    """Append a key or index to a JSON path."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def resolve(element: Any, dotted: str, base: str) -> tuple[str, Any, bool]:
    """Follow ``dotted`` (e.g. ``team.name``, ``customProperties.quantaMask``, ``slaProperties.retention``)
    from ``element``.

    In a list, a segment selects the item whose ``property``, ``name``, ``id`` or ``channel`` equals it
    (for custom properties the path then continues at its ``value``).

    Returns:
        ``(JSON path of what was reached, its value, whether it exists)``.
    """
    path, node = base, element
    for segment in dotted.split("."):
        if isinstance(node, list):
            index = next(
                (
                    i
                    for i, item in enumerate(node)
                    if isinstance(item, dict)
                    and segment
                    in (item.get("property"), item.get("name"), item.get("id"), item.get("channel"))
                ),
                None,
            )
            if index is None:
                return join_path(path, segment), None, False
            path, node = join_path(path, index), node[index]
            if "property" in node and "value" in node and node.get("property") == segment:
                path, node = join_path(path, "value"), node["value"]
        elif isinstance(node, dict) and segment in node:
            path, node = join_path(path, segment), node[segment]
        else:
            return join_path(path, segment), None, False
    return path, node, True


def _plain(document: Any) -> Any:
    if document is None:
        return None
    return document.to_plain() if hasattr(document, "to_plain") else document


def _name(document: Any, plain: Any) -> str:
    return str((plain or {}).get("id") or (plain or {}).get("name") or getattr(document, "path", "") or "?")


def _match(items: list[Any], item: dict[str, Any]) -> Any:
    for key in ("id", "name"):
        if item.get(key) is not None:
            for other in items or []:
                if isinstance(other, dict) and other.get(key) == item.get(key):
                    return other
    return None


def _walk_properties(
    properties: Any, previous: Any, path: str, owner: str
) -> Iterator[tuple[str, str, Any, Any]]:
    for index, prop in enumerate(properties or []):
        if not isinstance(prop, dict):
            continue
        where = join_path(path, index)
        before = _match(previous or [], prop)
        name = f"{owner}.{prop.get('name', index)}"
        yield where, name, prop, before
        yield from _walk_properties(
            prop.get("properties"), (before or {}).get("properties"), join_path(where, "properties"), name
        )
        items = prop.get("items")
        if isinstance(items, dict):
            items_before = (before or {}).get("items")
            yield join_path(where, "items"), f"{name}[]", items, items_before
            yield from _walk_properties(
                items.get("properties"),
                (items_before or {}).get("properties"),
                join_path(join_path(where, "items"), "properties"),
                f"{name}[]",
            )


class TargetBuilder:
    """Builds the targets of each scope for one product (documents are converted to plain data once)."""

    def __init__(
        self,
        product: Any,
        contracts: dict[str, Any],
        previous_contracts: dict[str, Any],
        previous_product: Any,
        domain: Any,
        build: Any,
    ) -> None:
        self.product_doc = product
        self.product = _plain(product)
        self.contract_docs = contracts
        self.contracts = {key: _plain(value) for key, value in contracts.items()}
        self.previous = {key: _plain(value) for key, value in previous_contracts.items()}
        self.previous_product = _plain(previous_product)
        self.domain = domain
        self.build = build
        domain_name = self.product.get("domain") or (domain or {}).get("name") or "?"
        self.product_label = str(self.product.get("id") or f"{domain_name}.{self.product.get('name')}")
        self.ports_by_contract: dict[str, dict[str, Any]] = {}
        for port in self.product.get("outputPorts") or []:
            if isinstance(port, dict) and port.get("contractId") is not None:
                self.ports_by_contract.setdefault(str(port["contractId"]), port)
        self._cache: dict[str, list[Target]] = {}

    def base(self) -> dict[str, Any]:
        """Variables every target has."""
        return {"product": self.product, "domain": self.domain, "build": self.build}

    def targets(self, scope: str) -> list[Target]:
        """The targets of ``scope`` (cached)."""
        if scope not in self._cache:
            self._cache[scope] = list(getattr(self, f"_{scope}")())
        return self._cache[scope]

    def _file(self, document: Any) -> str | None:
        path = getattr(document, "path", None)
        return str(path) if path is not None else None

    def _product(self) -> Iterator[Target]:
        variables = {**self.base(), "previous": self.previous_product}
        yield Target(
            "product",
            self.product_label,
            self._file(self.product_doc),
            "",
            self.product_doc,
            self.product,
            variables,
        )

    def _contract(self) -> Iterator[Target]:
        for key, contract in self.contracts.items():
            variables = {
                **self.base(),
                "contract": contract,
                "port": self.ports_by_contract.get(key),
                "previous": self.previous.get(key),
            }
            doc = self.contract_docs[key]
            yield Target("contract", f"contract {key}", self._file(doc), "", doc, contract, variables)

    def _outputPort(self) -> Iterator[Target]:
        for index, port in enumerate(self.product.get("outputPorts") or []):
            if not isinstance(port, dict):
                continue
            key = str(port.get("contractId"))
            variables = {
                **self.base(),
                "port": port,
                "contract": self.contracts.get(key),
                "previous": self.previous.get(key),
            }
            label = f"{self.product_label} port {port.get('name', index)}"
            yield Target(
                "outputPort",
                label,
                self._file(self.product_doc),
                f"outputPorts[{index}]",
                self.product_doc,
                port,
                variables,
            )

    def _property(self) -> Iterator[Target]:
        for key, contract in self.contracts.items():
            doc = self.contract_docs[key]
            before_contract = self.previous.get(key) or {}
            port = self.ports_by_contract.get(key)
            for index, obj in enumerate(contract.get("schema") or []):
                if not isinstance(obj, dict):
                    continue
                before_obj = _match(before_contract.get("schema") or [], obj) or {}
                owner = str(obj.get("name", index))
                for path, name, prop, before in _walk_properties(
                    obj.get("properties"), before_obj.get("properties"), f"schema[{index}].properties", owner
                ):
                    variables = {
                        **self.base(),
                        "contract": contract,
                        "port": port,
                        "object": obj,
                        "property": prop,
                        "previous": before,
                    }
                    yield Target("property", f"{key}: {name}", self._file(doc), path, doc, prop, variables)

    def _build(self) -> Iterator[Target]:
        if self.build is not None:
            yield Target("build", f"{self.product_label} build", None, "", None, self.build, self.base())

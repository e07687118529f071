"""ODCS data contracts and ODPS data products as documents that keep every field.

Minimal version: loading and accessors. Validation is added by :mod:`quanta.spec.validate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quanta.spec.loader import LoadedYaml, load_yaml


class Document:
    """A loaded ODCS or ODPS document.

    Attributes:
        data: the document as loaded (a ``dict`` subclass keeping key order and positions).
        source: the loaded YAML with positions.
        path: the file it came from, or ``None``.
    """

    kind: str = ""

    def __init__(self, source: LoadedYaml, path: Path | None = None) -> None:
        self.source = source
        self.data: dict[str, Any] = source.data
        self.path = path

    @property
    def api_version(self) -> str | None:
        """``apiVersion`` as written."""
        return self.data.get("apiVersion")

    @property
    def id(self) -> str | None:
        """The document ``id``."""
        return self.data.get("id")

    @property
    def name(self) -> str | None:
        """The document ``name``."""
        return self.data.get("name")

    @property
    def version(self) -> str | None:
        """The document ``version`` (SemVer for contracts)."""
        value = self.data.get("version")
        return None if value is None else str(value)

    @property
    def status(self) -> str | None:
        """The lifecycle ``status`` (proposed, draft, active, deprecated, retired)."""
        return self.data.get("status")

    @property
    def domain(self) -> str | None:
        """The ``domain`` the document belongs to."""
        return self.data.get("domain")

    def to_plain(self) -> Any:
        """Return the document as plain ``dict``/``list``/scalars (JSON-compatible)."""
        return _plain(self.data)


class Contract(Document):
    """An ODCS v3 data contract (Open Data Contract Standard, Bitol)."""

    kind = "DataContract"

    @property
    def schema(self) -> list[dict[str, Any]]:
        """The schema objects (``schema[]``)."""
        return list(self.data.get("schema") or [])

    @property
    def servers(self) -> list[dict[str, Any]]:
        """The ``servers[]`` entries."""
        return list(self.data.get("servers") or [])

    @property
    def sla_properties(self) -> list[dict[str, Any]]:
        """The ``slaProperties[]`` entries."""
        return list(self.data.get("slaProperties") or [])

    def schema_object(self, name: str) -> dict[str, Any] | None:
        """Return the schema object called ``name``, or ``None``."""
        return next((obj for obj in self.schema if obj.get("name") == name), None)


class Product(Document):
    """An ODPS v1 data product (Open Data Product Standard, Bitol)."""

    kind = "DataProduct"

    @property
    def input_ports(self) -> list[dict[str, Any]]:
        """The ``inputPorts[]`` entries."""
        return list(self.data.get("inputPorts") or [])

    @property
    def output_ports(self) -> list[dict[str, Any]]:
        """The ``outputPorts[]`` entries."""
        return list(self.data.get("outputPorts") or [])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_contract(source: str | bytes | Path, *, lenient: bool = False) -> Contract:
    """Load an ODCS data contract from a path or YAML text."""
    path = source if isinstance(source, Path) else None
    return Contract(load_yaml(source, lenient=lenient), path)


def load_product(source: str | bytes | Path, *, lenient: bool = False) -> Product:
    """Load an ODPS data product from a path or YAML text."""
    path = source if isinstance(source, Path) else None
    return Product(load_yaml(source, lenient=lenient), path)

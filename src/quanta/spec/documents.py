"""ODCS data contracts and ODPS data products as documents that keep every field.

A document is the loaded YAML (every field, known or not, in the order written) plus accessors for the
fields other layers use. Under ``lenient=True`` a contract is normalised to the ODCS v3.1.0 shape first
(see :mod:`quanta.spec.normalize`), so callers only ever see current field names; the rewrites are kept
in :attr:`Document.rewrites`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.spec.loader import LoadedYaml, load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from quanta.spec.normalize import Rewrite


class Document:
    """A loaded ODCS or ODPS document.

    Attributes:
        data: the document (a plain ``dict`` that keeps key order).
        source: the loaded YAML with positions (``source.position(path_tuple)``).
        path: the file it came from, or ``None`` when loaded from text.
        rewrites: the lenient rewrites applied (old path → new path); empty when strict.
    """

    kind: str = ""

    def __init__(self, source: LoadedYaml, path: Path | None = None, rewrites: list[Rewrite] | None = None):
        self.source = source
        self.data: dict[str, Any] = source.data
        self.path = path
        self.rewrites: list[Rewrite] = list(rewrites or [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, version={self.version!r}, path={self.path!s})"

    @property
    def api_version(self) -> str | None:
        """``apiVersion`` as written (after a lenient read: the current version)."""
        value = self.data.get("apiVersion")
        return None if value is None else str(value)

    @property
    def id(self) -> str | None:
        """The document ``id``."""
        value = self.data.get("id")
        return None if value is None else str(value)

    @property
    def name(self) -> str | None:
        """The document ``name``."""
        return self.data.get("name")

    @property
    def version(self) -> str | None:
        """The document ``version`` (SemVer)."""
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
        """Return the document as plain ``dict``/``list``/scalars (JSON-compatible, a deep copy)."""
        return _plain(self.data)

    def to_yaml(self) -> str:
        """Return the document as YAML text (same data, same key order)."""
        from quanta.spec.loader import dump_yaml

        return dump_yaml(self.data)


class Contract(Document):
    """An ODCS v3 data contract (Open Data Contract Standard, Bitol)."""

    kind = "DataContract"

    @property
    def schema(self) -> list[dict[str, Any]]:
        """The schema objects (``schema[]``)."""
        value = self.data.get("schema")
        return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []

    @property
    def servers(self) -> list[dict[str, Any]]:
        """The ``servers[]`` entries."""
        value = self.data.get("servers")
        return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []

    @property
    def sla_properties(self) -> list[dict[str, Any]]:
        """The ``slaProperties[]`` entries."""
        value = self.data.get("slaProperties")
        return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []

    def schema_object(self, name: str) -> dict[str, Any] | None:
        """Return the schema object called ``name``, or ``None``."""
        return next((obj for obj in self.schema if obj.get("name") == name), None)


class Product(Document):
    """An ODPS v1 data product (Open Data Product Standard, Bitol)."""

    kind = "DataProduct"

    @property
    def input_ports(self) -> list[dict[str, Any]]:
        """The ``inputPorts[]`` entries."""
        value = self.data.get("inputPorts")
        return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []

    @property
    def output_ports(self) -> list[dict[str, Any]]:
        """The ``outputPorts[]`` entries."""
        value = self.data.get("outputPorts")
        return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and type(value) is not str:  # a block scalar's text
        return str(value)
    return value


def resolve_source(source: str | bytes | os.PathLike[str]) -> tuple[str | bytes | Path, Path | None]:
    """Decide whether ``source`` is a file or YAML text.

    A ``Path`` (or any ``os.PathLike``) is a file. A one-line ``str`` that names an existing file is a
    file too; any other ``str``/``bytes`` is YAML text.

    Returns:
        ``(source for the loader, path or None)``.
    """
    if isinstance(source, os.PathLike):
        path = Path(source)
        return path, path
    if isinstance(source, str) and "\n" not in source and len(source) < 4096:
        candidate = Path(source)
        try:
            if candidate.is_file():
                return candidate, candidate
        except OSError:
            pass
    return source, None


def contract_from(loaded: LoadedYaml, path: Path | None = None, *, lenient: bool = False) -> Contract:
    """Build a :class:`Contract` from already loaded YAML, normalising it when ``lenient``."""
    if not lenient:
        return Contract(loaded, path)
    from quanta.spec.normalize import normalize_contract

    data, rewrites = normalize_contract(loaded.data, file=loaded.file)
    positions = _moved_positions(loaded, rewrites)
    normalised = LoadedYaml(data=data, file=loaded.file, warnings=loaded.warnings, positions=positions)
    return Contract(normalised, path, rewrites)


def _moved_positions(loaded: LoadedYaml, rewrites: list[Rewrite]) -> dict:
    """Carry the positions of renamed fields, and of everything under them, over to their new paths.

    Rewrites are applied in the order they were made, so a field under a renamed parent (``dataset`` →
    ``schema``, then ``schema[0].table`` → ``schema[0].name``) still finds its line.
    """
    positions = dict(loaded.positions)
    for rewrite in rewrites:
        old, new = rewrite.old_path, rewrite.new_path
        if old == new:
            continue
        size = len(old)
        moved = {(*new, *path[size:]): where for path, where in positions.items() if path[:size] == old}
        for path, where in moved.items():
            positions.setdefault(path, where)
        if new not in positions:
            line, column = loaded.position(old)
            if line is not None and column is not None:
                positions[new] = (line, column)
    return positions


def load_contract(
    source: str | bytes | os.PathLike[str], *, lenient: bool = False, cache: bool = False
) -> Contract:
    """Load an ODCS data contract from a file or YAML text.

    Args:
        source: a path (``Path`` or a one-line ``str`` naming an existing file), or YAML text/bytes.
        lenient: repair copy-paste damage and normalise older and book forms to ODCS v3.1.0, recording
            every rewrite in :attr:`Contract.rewrites` (see ``docs/standards.md``).
        cache: read a file through the per-user cache of parsed documents
            (:mod:`quanta.spec.doccache`: no YAML parser on an unchanged file). Block scalars then come
            back as plain ``str`` (same text, YAML style not kept): leave it off to write the contract
            back as YAML.

    Returns:
        The contract. It is not validated: call :func:`quanta.spec.validate` for diagnostics.

    Raises:
        SpecError: the input is not one safe YAML mapping (the diagnostics give file, line, column, path).
    """
    loadable, path = resolve_source(source)
    if cache and isinstance(loadable, Path):
        from quanta.spec.doccache import load_yaml_cached

        return contract_from(load_yaml_cached(loadable, lenient=lenient), path, lenient=lenient)
    return contract_from(load_yaml(loadable, lenient=lenient), path, lenient=lenient)


def load_product(source: str | bytes | os.PathLike[str], *, lenient: bool = False) -> Product:
    """Load an ODPS data product from a file or YAML text.

    Args:
        source: a path (``Path`` or a one-line ``str`` naming an existing file), or YAML text/bytes.
        lenient: repair copy-paste damage (non-breaking spaces, typographic quotes) with a warning.

    Returns:
        The product. It is not validated: call :func:`quanta.spec.validate` for diagnostics.

    Raises:
        SpecError: the input is not one safe YAML mapping (the diagnostics give file, line, column, path).
    """
    loadable, path = resolve_source(source)
    return Product(load_yaml(loadable, lenient=lenient), path)

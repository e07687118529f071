"""Validate a loaded contract or product: kind, ``apiVersion``, JSON Schema, then semantic rules.

:func:`validate` never raises for a user's mistake: it returns every problem as a
:class:`~quanta.errors.Diagnostic` with code, message, JSON path, line, column and file.

The catalog of schemas and the semantic rules are imported when a document is validated, not with this
module: :mod:`quanta.spec` imports it eagerly (its ``validate`` function shares the module's name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.errors import Diagnostic
from quanta.spec.paths import format_path

if TYPE_CHECKING:
    from quanta.spec.documents import Document

PathTuple = tuple[str | int, ...]
#: Findings reported even inside a node that fails the JSON Schema (a leaked secret must always be named).
_NEVER_HIDDEN = frozenset({"odcs.credentials"})


def _diagnostic(document: Document, code: str, message: str, path: PathTuple, severity: str = "error"):
    line, column = document.source.position(path)
    return Diagnostic(code, message, severity, format_path(path), line, column, document.source.file)  # type: ignore[arg-type]


def check_kind_and_version(document: Document) -> list[Diagnostic]:
    """Check ``kind`` and ``apiVersion`` against what Quanta supports.

    Args:
        document: a loaded contract or product.

    Returns:
        Errors naming the supported kinds or versions; a warning for a legacy version.
    """
    from quanta.spec.catalog import CURRENT, LEGACY, STANDARD, supported_kinds, supported_versions

    std = STANDARD[document.kind]
    found: list[Diagnostic] = []
    kind = document.data.get("kind")
    if kind != document.kind:
        written = "missing" if kind is None else repr(kind)
        found.append(
            _diagnostic(
                document,
                f"{std}.kind",
                f"kind is {written}; expected {document.kind!r} "
                f"(Quanta reads {', '.join(supported_kinds())})",
                ("kind",),
            )
        )
    api = document.api_version
    versions = supported_versions(document.kind)
    if api not in versions:
        written = "missing" if api is None else repr(api)
        extra = ""
        if document.kind == "DataProduct" and api == "v1.1.0":
            extra = " (ODPS v1.1.0 is not supported yet: its final JSON Schema has not been published to us)"
        found.append(
            _diagnostic(
                document,
                f"{std}.api-version",
                f"apiVersion is {written}; supported: {', '.join(versions)}{extra}",
                ("apiVersion",),
            )
        )
    elif api in LEGACY[document.kind]:
        found.append(
            _diagnostic(
                document,
                f"{std}.legacy-version",
                f"apiVersion {api} is a legacy version; "
                f"upgrade to {CURRENT[document.kind]} with `quanta contract upgrade`",
                ("apiVersion",),
                "warning",
            )
        )
    return found


def validate(document: Document, *, known_objects: dict[str, set[str]] | None = None) -> list[Diagnostic]:
    """Validate ``document`` strictly and return every problem found.

    Order: load-time warnings and lenient rewrites, then ``kind``/``apiVersion``, then the official JSON
    Schema chosen by ``apiVersion`` (Draft 2019-09, every violation), then the semantic rules of
    :mod:`quanta.spec.rules`. A semantic finding inside a node that already fails the JSON Schema is left
    out, since it would repeat the same problem.

    Args:
        document: a :class:`~quanta.spec.Contract` or :class:`~quanta.spec.Product`.
        known_objects: inside a mesh, every contract's schema objects (name → property names) so that
            relationships into other contracts resolve (:func:`quanta.spec.references.mesh_objects`).

    Returns:
        Diagnostics in document order within each stage; errors make the document invalid, warnings do not.
    """
    from quanta.spec.catalog import STANDARD
    from quanta.spec.rules import run_rules
    from quanta.spec.schema_validation import validator_for

    std = STANDARD[document.kind]
    found: list[Diagnostic] = list(document.source.warnings)
    for rewrite in document.rewrites:
        old, new = format_path(rewrite.old_path) or "(root)", format_path(rewrite.new_path) or "(root)"
        message = f"{old} → {new}: {rewrite.note}" if old != new else f"{new}: {rewrite.note}"
        found.append(_diagnostic(document, f"{std}.lenient-rewrite", message, rewrite.new_path, "warning"))
    header = check_kind_and_version(document)
    found.extend(header)
    if any(d.severity == "error" for d in header):
        return found
    schema_errors: list[PathTuple] = []
    validator = validator_for(document.kind, document.api_version or "")
    for violation in validator.violations(document.data):
        schema_errors.append(violation.path)
        found.append(_diagnostic(document, f"{std}.schema", violation.message, violation.path))
    covered = {p for p in schema_errors if p}
    for finding in run_rules(document.data, document.kind, known_objects=known_objects):
        if finding.code not in _NEVER_HIDDEN and any(finding.path[: len(p)] == p for p in covered):
            continue
        found.append(_diagnostic(document, finding.code, finding.message, finding.path, finding.severity))
    return found


def is_valid(diagnostics: list[Diagnostic]) -> bool:
    """Return whether ``diagnostics`` hold no error (warnings do not count)."""
    return not any(d.severity == "error" for d in diagnostics)

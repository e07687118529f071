"""Lint files and folders of ODCS contracts and ODPS products: the engine behind ``quanta lint``.

:func:`lint_paths` finds the documents, validates each one (:func:`quanta.spec.validate.validate`) and
then checks the references between products and contracts (:mod:`quanta.spec.references`). It never
raises for a problem in a document; only a path that does not exist is a usage error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, SpecError, UsageError
from quanta.spec.catalog import CONTRACT, PRODUCT, supported_kinds

CONTRACT_SUFFIXES = (".odcs.yaml", ".odcs.yml")
PRODUCT_SUFFIXES = (".odps.yaml", ".odps.yml")
_KIND_LINE = re.compile(rb"(?m)^kind:\s*[\"']?(DataContract|DataProduct)\b")
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}
PARALLEL_THRESHOLD = 64
"""Lint in worker processes only when there are at least this many files (process start-up costs)."""


@dataclass
class LintResult:
    """The verdict on one file.

    Attributes:
        file: the file as given or found.
        kind: ``"DataContract"``, ``"DataProduct"`` or ``None`` when it could not be told.
        api_version: the document's ``apiVersion`` (``None`` when missing or unreadable).
        diagnostics: every error and warning, in order.
    """

    file: str
    kind: str | None
    api_version: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics of severity ``error``."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The diagnostics of severity ``warning`` or ``info``."""
        return [d for d in self.diagnostics if d.severity != "error"]

    @property
    def valid(self) -> bool:
        """Whether the file has no error."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``quanta lint --format json`` (one object per file)."""

        def item(d: Diagnostic) -> dict[str, Any]:
            return {"code": d.code, "message": d.message, "path": d.path, "line": d.line, "column": d.column}

        return {
            "file": self.file,
            "kind": self.kind,
            "apiVersion": self.api_version,
            "valid": self.valid,
            "errors": [item(d) for d in self.errors],
            "warnings": [item(d) for d in self.warnings],
        }


def kind_from_name(path: Path) -> str | None:
    """Return the kind a file name implies (``*.odcs.yaml`` → contract, ``*.odps.yaml`` → product)."""
    name = path.name.lower()
    if name.endswith(CONTRACT_SUFFIXES):
        return CONTRACT
    if name.endswith(PRODUCT_SUFFIXES):
        return PRODUCT
    return None


def _sniff_kind(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    match = _KIND_LINE.search(head)
    return match.group(1).decode() if match else None


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders into the documents to lint.

    A folder contributes, recursively and in sorted order, every ``*.odcs.yaml``/``*.odps.yaml`` and any
    other ``*.yaml``/``*.yml`` whose top-level ``kind`` is ``DataContract`` or ``DataProduct``; hidden
    folders (``.git``, ``.venv``, ``.quanta``) are skipped. A file given explicitly is always linted.

    Args:
        paths: files and folders.

    Returns:
        The files, without duplicates, in the order found.

    Raises:
        UsageError: a path does not exist.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for file in _walk(path):
                found[file] = None
        else:
            raise UsageError(f"{raw}: no such file or folder; give contract/product files or folders to lint")
    return list(found)


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            file = Path(folder, name)
            lower = name.lower()
            named = lower.endswith(CONTRACT_SUFFIXES + PRODUCT_SUFFIXES)
            if named or (lower.endswith((".yaml", ".yml")) and _sniff_kind(file)):
                yield file


def load_document(path: Path, *, lenient: bool = False):
    """Load ``path`` as a contract or product, telling the kind from ``kind:`` or the file name.

    Returns:
        The :class:`~quanta.spec.Contract` or :class:`~quanta.spec.Product`.

    Raises:
        SpecError: the file cannot be loaded, or its kind cannot be told.
    """
    from quanta.spec.documents import Product, contract_from
    from quanta.spec.loader import load_yaml

    loaded = load_yaml(path, lenient=lenient)
    kind = loaded.data.get("kind")
    if kind not in (CONTRACT, PRODUCT):
        kind = kind_from_name(path)
    if kind == PRODUCT:
        return Product(loaded, path)
    if kind == CONTRACT:
        return contract_from(loaded, path, lenient=lenient)
    written = loaded.data.get("kind")
    line, column = loaded.position(("kind",))
    diagnostic = Diagnostic(
        "spec.kind",
        f"cannot tell what this file is: kind is {'missing' if written is None else repr(written)}; write "
        f"kind: {' or '.join(supported_kinds())}, or name the file *.odcs.yaml / *.odps.yaml",
        path="kind" if written is not None else "",
        line=line,
        column=column,
        file=str(path),
    )
    raise SpecError(f"{diagnostic.location()}: {diagnostic.message}", diagnostics=[diagnostic])


def lint_file(path: Path, lenient: bool = False) -> LintResult:
    """Load and validate one file; never raises for a problem in the file.

    Args:
        path: the file.
        lenient: normalise older forms (reported as warnings) instead of rejecting them.

    Returns:
        The file's verdict (mesh references are checked by :func:`lint_paths`).
    """
    from quanta.spec.validate import validate

    try:
        document = load_document(path, lenient=lenient)
    except SpecError as error:
        diagnostics = error.diagnostics or [Diagnostic("spec.load", error.message, file=str(path))]
        return LintResult(str(path), kind_from_name(path), None, list(diagnostics))
    if document.kind != CONTRACT:
        return LintResult(str(path), document.kind, document.api_version, validate(document))
    from quanta.spec.references import duplicate_contract_ids, find_mesh_root, mesh_objects

    mesh = find_mesh_root(path)
    known = mesh_objects(mesh, lenient=lenient) if mesh is not None else None
    diagnostics = validate(document, known_objects=known)
    if mesh is not None:
        diagnostics.extend(duplicate_contract_ids(document, mesh, lenient=lenient))
    return LintResult(str(path), document.kind, document.api_version, diagnostics)


def _lint_many(args: tuple[list[str], bool]) -> list[LintResult]:
    files, lenient = args
    return [lint_file(Path(f), lenient) for f in files]


def lint_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    lenient: bool = False,
    references: bool = True,
    jobs: int | None = None,
) -> list[LintResult]:
    """Lint every contract and product under ``paths``.

    Args:
        paths: files and folders (see :func:`discover`).
        lenient: normalise older and book forms with warnings instead of errors.
        references: also check product ↔ contract references (inside a mesh: errors; outside: warnings).
        jobs: worker processes for large batches; ``None`` uses every CPU when there are at least
            :data:`PARALLEL_THRESHOLD` files, ``1`` lints in this process.

    Returns:
        One :class:`LintResult` per file, in discovery order.

    Raises:
        UsageError: a path does not exist.
    """
    from quanta.spec.references import clear_cache

    clear_cache()
    files = discover(paths)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers > 1 and len(files) >= PARALLEL_THRESHOLD:
        results = _parallel(files, lenient, workers)
    else:
        results = [lint_file(f, lenient) for f in files]
    if references:
        from quanta.spec.references import check_references

        by_file = {r.file: r for r in results}
        for file, diagnostics in check_references(
            [Path(r.file) for r in results if r.kind == PRODUCT], lenient=lenient
        ).items():
            if file in by_file:
                by_file[file].diagnostics.extend(diagnostics)
    return results


def _parallel(files: list[Path], lenient: bool, workers: int) -> list[LintResult]:
    from concurrent.futures import ProcessPoolExecutor

    size = max(16, len(files) // (workers * 4))
    chunks = [[str(f) for f in files[i : i + size]] for i in range(0, len(files), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [result for batch in pool.map(_lint_many, [(c, lenient) for c in chunks]) for result in batch]

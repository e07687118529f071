"""The standards layer: safe YAML loading, ODCS v3 data contracts and ODPS v1 data products.

Everything above this layer reads contracts and products through it:

* :func:`load_contract` / :func:`load_product` load a file or YAML text into a :class:`Contract` /
  :class:`Product` that keeps every field (``lenient=True`` normalises older forms to ODCS v3.1.0);
* :func:`validate` returns every problem of a loaded document as diagnostics (never raises for a
  user's mistake);
* :func:`lint_paths` lints files and folders, mesh references included.

See ``docs/standards.md``.
"""

from quanta.spec.documents import Contract, Document, Product, load_contract, load_product
from quanta.spec.lint import LintResult, lint_paths
from quanta.spec.normalize import Rewrite, normalize_contract
from quanta.spec.validate import is_valid, validate

__all__ = [
    "Contract",
    "Document",
    "LintResult",
    "Product",
    "Rewrite",
    "is_valid",
    "lint_paths",
    "load_contract",
    "load_product",
    "normalize_contract",
    "validate",
]

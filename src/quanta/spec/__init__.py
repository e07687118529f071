"""The standards layer: safe YAML loading, ODCS v3 data contracts and ODPS v1 data products.

Everything above this layer reads contracts and products through it:

* :func:`load_contract` / :func:`load_product` load a file or YAML text into a :class:`Contract` /
  :class:`Product` that keeps every field (``lenient=True`` normalises older forms to ODCS v3.1.0);
* :func:`validate` returns every problem of a loaded document as diagnostics (never raises for a
  user's mistake);
* :func:`lint_paths` lints files and folders, mesh references included.

The names are imported on first use (PEP 562), so importing one module of this package (say
:mod:`quanta.spec.documents` for ``quanta test``) does not import the YAML parser, the linter and the
normaliser with it. Only :func:`validate` and :func:`is_valid` are imported here, because the function
``validate`` shares its name with the module :mod:`quanta.spec.validate` (which imports its own
dependencies when it runs): importing that submodule later would otherwise rebind the package's
``validate`` to the module.

See ``docs/standards.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanta.lazy import lazy_exports
from quanta.spec.validate import is_valid, validate

if TYPE_CHECKING:  # pragma: no cover
    from quanta.spec.documents import Contract, Document, Product, load_contract, load_product
    from quanta.spec.lint import LintResult, lint_paths
    from quanta.spec.normalize import Rewrite, normalize_contract

#: Public name -> the module of this package that defines it.
_LAZY: dict[str, str] = {
    "Contract": "quanta.spec.documents",
    "Document": "quanta.spec.documents",
    "Product": "quanta.spec.documents",
    "load_contract": "quanta.spec.documents",
    "load_product": "quanta.spec.documents",
    "LintResult": "quanta.spec.lint",
    "lint_paths": "quanta.spec.lint",
    "Rewrite": "quanta.spec.normalize",
    "normalize_contract": "quanta.spec.normalize",
}

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


__getattr__ = lazy_exports(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

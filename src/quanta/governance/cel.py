"""CEL (Common Expression Language) for policy rules, through ``cel-python`` (``celpy``).

Rules are compiled once per policy and evaluated for every document in scope. Two choices keep this
fast enough for a mesh of hundreds of products (``benchmarks/governance.py``):

* :class:`_ReusingRunner` builds celpy's base activation and evaluator once per program instead of once
  per evaluation (celpy's :class:`celpy.InterpretedRunner` rebuilds both on every call, which costs more
  than evaluating a short rule). Evaluations are therefore not thread-safe; use one :class:`CelProgram`
  per thread.
* :func:`_collapse` removes the single-child pass-through nodes of the parse tree (``expr`` →
  ``conditionalor`` → ... → ``member`` chains that only forward their one child's value), the AST
  transformation celpy's documentation invites; it halves evaluation time and is checked against the
  untransformed tree by ``tests/governance/test_cel.py``.
* documents are converted to CEL values once (:func:`to_cel`) and shared by every rule.
* celpy's Lark parser is loaded from a per-user cache instead of being built by every process
  (:mod:`quanta.governance.cel_parser`).

Besides the standard CEL functions, rules may call the helpers in :data:`FUNCTIONS` (documented in
``docs/governance.md``): ``custom(doc, name)``, ``tagged(doc, tag)``, ``sensitive(property)``,
``semver(text)``, ``sla(contract, property)``, ``has_sla(contract, property)``,
``quality_dimensions(contract)`` and ``quality_metrics(contract)``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_SLA_ALIASES = {"ly": "latency", "freshness": "latency", "re": "retention", "fy": "frequency"}


class CelEvaluationError(Exception):
    """A rule could not be evaluated on a document (a type error, a missing field used without ``has``)."""


_ready = False


def _celpy():
    global _ready
    import celpy

    if not _ready:
        from quanta.governance import cel_parser

        # celpy logs every evaluation error at ERROR level with a traceback; our report carries them.
        logging.getLogger("celpy").setLevel(logging.CRITICAL)
        cel_parser.install()  # the grammar analysed once per machine, not once per process
        _ready = True
    return celpy


def to_cel(value: Any) -> Any:
    """Convert plain JSON-compatible data (``dict``/``list``/scalars) to CEL values."""
    return _celpy().json_to_cel(value)


def _plain(value: Any) -> Any:
    """Convert a CEL value back to plain Python (for evidence and helper functions)."""
    celpy = _celpy()
    if isinstance(value, celpy.celtypes.MapType):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, celpy.celtypes.ListType):
        return [_plain(v) for v in value]
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, celpy.celtypes.IntType | celpy.celtypes.UintType):
        return int(value)
    if isinstance(value, celpy.celtypes.DoubleType):
        return float(value)
    if isinstance(value, celpy.celtypes.StringType):
        return str(value)
    return value


# -- helper functions available in every rule ---------------------------------------------------------------
def _get(doc: Any, key: str) -> Any:
    try:
        return doc[key] if doc is not None and key in doc else None
    except TypeError:
        return None


def _custom(doc: Any, name: Any) -> Any:
    """``custom(doc, name)``: the ``value`` of the custom property ``name`` of ``doc``, or ``null``."""
    for entry in _get(doc, "customProperties") or []:
        if _get(entry, "property") == name:
            return _get(entry, "value")
    return None


def _tagged(doc: Any, tag: Any) -> Any:
    """``tagged(doc, tag)``: whether ``doc.tags`` holds ``tag`` (case-insensitive)."""
    wanted = str(tag).lower()
    return _celpy().celtypes.BoolType(any(str(t).lower() == wanted for t in (_get(doc, "tags") or [])))


def _sensitive(doc: Any) -> Any:
    """``sensitive(property)``: tagged ``pii`` or classified restricted, confidential or secret (what the
    access layer masks)."""
    classification = str(_get(doc, "classification") or "").lower()
    return _celpy().celtypes.BoolType(
        bool(_tagged(doc, "pii")) or classification in ("restricted", "confidential", "secret")
    )


def _semver(text: Any) -> Any:
    """``semver(text)``: whether ``text`` is a SemVer ``MAJOR.MINOR.PATCH`` version."""
    return _celpy().celtypes.BoolType(text is not None and bool(_SEMVER.match(str(text))))


def _find_sla(contract: Any, name: Any) -> Any:
    wanted = _SLA_ALIASES.get(str(name).lower(), str(name).lower())
    for entry in _get(contract, "slaProperties") or []:
        prop = str(_get(entry, "property") or "").lower()
        if _SLA_ALIASES.get(prop, prop) == wanted:
            return entry
    return None


def _sla(contract: Any, name: Any) -> Any:
    """``sla(contract, name)``: the ``slaProperties`` entry for ``name`` (``latency`` also finds
    ``freshness`` and ``ly``), or an empty map (test with ``has(sla(c, 'latency').value)``)."""
    entry = _find_sla(contract, name)
    return entry if entry is not None else to_cel({})


def _has_sla(contract: Any, name: Any) -> Any:
    """``has_sla(contract, name)``: whether the contract has an ``slaProperties`` entry for ``name``."""
    return _celpy().celtypes.BoolType(_find_sla(contract, name) is not None)


def iter_quality(contract: Any):
    """Yield every quality rule of a contract: object-level, then property-level (nested included)."""

    def walk(properties: Any):
        for prop in properties or []:
            yield from _get(prop, "quality") or []
            yield from walk(_get(prop, "properties"))
            items = _get(prop, "items")
            if items is not None:
                yield from _get(items, "quality") or []
                yield from walk(_get(items, "properties"))

    for obj in _get(contract, "schema") or []:
        yield from _get(obj, "quality") or []
        yield from walk(_get(obj, "properties"))


def _quality_dimensions(contract: Any) -> Any:
    """``quality_dimensions(contract)``: the distinct ``dimension`` values of all its quality rules."""
    found = dict.fromkeys(
        str(_get(r, "dimension")).lower() for r in iter_quality(contract) if _get(r, "dimension")
    )
    return to_cel(list(found))


def _quality_metrics(contract: Any) -> Any:
    """``quality_metrics(contract)``: the distinct ``metric`` (or legacy ``rule``) names of its rules."""
    names = (_get(r, "metric") or _get(r, "rule") for r in iter_quality(contract))
    return to_cel(list(dict.fromkeys(str(n) for n in names if n)))


#: Functions every rule may call, by CEL name.
FUNCTIONS = {
    "custom": _custom,
    "tagged": _tagged,
    "semver": _semver,
    "sensitive": _sensitive,
    "sla": _sla,
    "has_sla": _has_sla,
    "quality_dimensions": _quality_dimensions,
    "quality_metrics": _quality_metrics,
}


@dataclass(frozen=True, slots=True)
class CelSyntaxError:
    """Where a CEL expression is wrong: 1-based line and column inside the expression, and why."""

    line: int
    column: int
    message: str


def check_syntax(expression: str) -> CelSyntaxError | None:
    """Parse ``expression``; return where and why it is wrong, or ``None`` when it parses."""
    celpy = _celpy()
    try:
        celpy.Environment().compile(expression)
    except celpy.CELParseError as error:
        line = int(getattr(error, "line", None) or 1)
        column = int(getattr(error, "column", None) or 1)
        lines = expression.splitlines() or [""]
        rest = lines[min(line, len(lines)) - 1][column - 1 :].strip()
        where = f"at {rest[:30]!r}" if rest else "at the end of the expression"
        return CelSyntaxError(
            line, column, f"CEL syntax error {where}: the rule cannot be parsed; check operators and brackets"
        )
    return None


#: Parse-tree rules that only forward the value of their single child (see the module docstring).
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
)


def _collapse(tree: Any) -> Any:
    """Replace every chain of single-child pass-through nodes by the node it forwards."""
    import lark

    while isinstance(tree, lark.Tree) and tree.data in _PASS_THROUGH and len(tree.children) == 1:
        if not isinstance(tree.children[0], lark.Tree):
            break
        tree = tree.children[0]
    if isinstance(tree, lark.Tree):
        tree.children = [_collapse(child) for child in tree.children]
    return tree


class _ReusingRunner:
    """A celpy runner that keeps one evaluator (see the module docstring)."""

    def __init__(self, ast: Any) -> None:
        celpy = _celpy()
        from celpy.evaluation import Evaluator

        environment = celpy.Environment()
        runner = celpy.InterpretedRunner(environment, ast, FUNCTIONS)
        self._evaluator = Evaluator(ast=ast, activation=runner.new_activation())

    def evaluate(self, context: dict[str, Any]) -> Any:
        return self._evaluator.evaluate(context)


class CelProgram:
    """A compiled CEL rule.

    Args:
        expression: the CEL text.

    Raises:
        ValueError: the expression does not parse (lint policies first: :func:`check_syntax`).

    Example:
        >>> CelProgram("product.status == 'active'").evaluate({"product": to_cel({"status": "active"})})
        True
    """

    def __init__(self, expression: str, *, optimize: bool = True) -> None:
        celpy = _celpy()
        self.expression = expression
        try:
            ast = celpy.Environment().compile(expression)
        except celpy.CELParseError as error:
            raise ValueError(f"CEL syntax error: {error}") from error
        self._runner = _ReusingRunner(_collapse(ast) if optimize else ast)

    def evaluate(self, variables: dict[str, Any]) -> Any:
        """Evaluate with ``variables`` (CEL values, see :func:`to_cel`); return the plain result.

        Raises:
            CelEvaluationError: the rule failed on this input (its message says why).
        """
        celpy = _celpy()
        try:
            return _plain(self._runner.evaluate(variables))
        except (celpy.CELEvalError, TypeError, KeyError, ValueError) as error:
            raise CelEvaluationError(_explain(error)) from error


def _explain(error: Exception) -> str:
    """Dig the first readable reason out of celpy's nested error tuples."""
    text = error.args[0] if error.args else str(error)
    while isinstance(error, Exception) and len(error.args) >= 3 and isinstance(error.args[2], tuple):
        inner = error.args[2]
        if inner and isinstance(inner[0], str):
            text = f"{error.args[0]}: {inner[0]}"
            break
        error = inner[0] if inner and isinstance(inner[0], Exception) else None  # type: ignore[assignment]
    return str(text)

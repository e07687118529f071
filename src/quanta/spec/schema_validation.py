"""JSON Schema validation (Draft 2019-09) that stays linear on deeply nested contracts.

The ODCS v3.1.0 schema describes a property with ``unevaluatedProperties: false`` over an ``allOf`` of
``if``/``then`` branches, and a property can hold nested ``properties``. Python ``jsonschema`` finds the
evaluated keys of a node by validating every ``allOf`` branch again, children included, so a naive run
costs about 3× more for every level of nesting (10 levels: minutes).

Two engines give the same verdict in linear time:

* **Verdict**: ``jsonschema-rs`` (a compiled, complete Draft 2019-09 validator), when it is installed.
* **Diagnostics**: Python ``jsonschema``'s ``Draft201909Validator`` with *deferred recursion*: a ``$ref``
  to a schema definition that lies on a reference cycle (``SchemaProperty``, ``SchemaItemProperty`` ...)
  is not followed into a *different* node; that node is queued and validated once, on its own, against
  the same definition. Every node is therefore validated a bounded number of times. A child that fails
  is reported at its own path, so the verdict is unchanged (a valid document has only valid children).

``tests/spec/test_conformance.py`` proves both equal to the naive strict validator on every entry of
the ODCS and ODPS conformance manifests, and on random mutations of them.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

PathTuple = tuple[str | int, ...]

_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_MAX_MESSAGE = 300


@dataclass(frozen=True, slots=True)
class Violation:
    """One JSON Schema violation.

    Attributes:
        path: JSON path of the offending node, from the document root.
        message: readable explanation (for ``oneOf``/``anyOf``: the closest branch and why it fails).
        keyword: the JSON Schema keyword that failed (``required``, ``type``, ``oneOf`` ...).
    """

    path: PathTuple
    message: str
    keyword: str


def _cyclic_refs(schema: dict[str, Any]) -> frozenset[str]:
    """Return the local ``$ref`` targets (``#/$defs/X``) that lie on a reference cycle."""
    defs = {f"#/$defs/{k}": v for k, v in (schema.get("$defs") or {}).items()}
    defs.update({f"#/definitions/{k}": v for k, v in (schema.get("definitions") or {}).items()})

    def refs(node: Any, out: set[str]) -> set[str]:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in defs:
                out.add(ref)
            for value in node.values():
                refs(value, out)
        elif isinstance(node, list):
            for value in node:
                refs(value, out)
        return out

    graph = {name: refs(body, set()) for name, body in defs.items()}
    cyclic = set()
    for start, targets in graph.items():
        stack, seen = list(targets), set()
        while stack:
            node = stack.pop()
            if node == start:
                cyclic.add(start)
                break
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
    return frozenset(cyclic)


class SchemaValidator:
    """Validate documents against one JSON Schema, in linear time, reporting every violation.

    Args:
        schema: a Draft 2019-09 JSON Schema (other drafts are honoured through their ``$schema``).
        use_compiled: use ``jsonschema-rs`` for the verdict when it is installed (default ``True``).
    """

    def __init__(self, schema: dict[str, Any], *, use_compiled: bool = True) -> None:
        import jsonschema
        from jsonschema import _keywords, validators

        self.schema = schema
        self._state = threading.local()
        deferred = _cyclic_refs(schema)
        state = self._state

        def ref(validator: Any, ref: str, instance: Any, subschema: Any) -> Iterator[Any]:
            if ref in deferred and instance is not state.root and isinstance(instance, dict | list):
                state.queue.append((instance, ref))
                return
            yield from _keywords.ref(validator, ref, instance, subschema)

        self._known_fields = _declared_fields(schema)
        base = validators.validator_for(schema, default=jsonschema.Draft201909Validator)
        self._python = validators.extend(base, {"$ref": ref})(schema)
        self._compiled = None
        #: How many (node, definition) validations the last Python run made: one per nested property,
        #: which is what keeps the cost linear (see tests/spec/test_nesting.py).
        self.last_node_validations = 0
        if use_compiled:
            try:
                import jsonschema_rs
            except ImportError:  # pragma: no cover - the compiled engine is optional
                jsonschema_rs = None
            if jsonschema_rs is not None:
                # Formats are annotations in Draft 2019-09 (as in Python jsonschema); never fetch remote refs.
                self._compiled = jsonschema_rs.validator_for(schema, validate_formats=False, offline=True)

    @property
    def compiled(self) -> bool:
        """Whether the compiled engine (``jsonschema-rs``) gives the verdict."""
        return self._compiled is not None

    def is_valid(self, instance: Any) -> bool:
        """Return whether ``instance`` satisfies the schema.

        Args:
            instance: plain JSON-compatible data.
        """
        if self._compiled is not None:
            return self._compiled_is_valid(instance)
        return not self._python_errors(instance, first_only=True)

    def _compiled_is_valid(self, instance: Any) -> bool:
        try:
            return bool(self._compiled.is_valid(instance))
        except ValueError:  # a str subclass (a YAML block scalar) the compiled engine does not take
            return bool(self._compiled.is_valid(_plain(instance)))

    def violations(self, instance: Any) -> list[Violation]:
        """Return every violation, each at its JSON path, in document order.

        Args:
            instance: plain JSON-compatible data.

        Returns:
            An empty list when the instance is valid.
        """
        if self._compiled is not None and self._compiled_is_valid(instance):
            return []
        found = self._python_errors(instance, first_only=False)
        if (
            not found and self._compiled is not None
        ):  # pragma: no cover - engines disagree: trust the stricter
            found = [
                Violation(tuple(error.instance_path), error.message, "schema")
                for error in self._compiled.iter_errors(_plain(instance))
            ]
        return found

    def _python_errors(self, instance: Any, *, first_only: bool) -> list[Violation]:
        state = self._state
        paths = _node_paths(instance)
        queue: deque[tuple[Any, str | None]] = deque([(instance, None)])
        seen: set[tuple[int, str | None]] = set()
        found: list[Violation] = []
        while queue:
            node, ref = queue.popleft()
            state.root, state.queue = node, []
            validator = self._python if ref is None else self._python.evolve(schema={"$ref": ref})
            prefix = paths.get(id(node), ())
            for error in validator.iter_errors(node):
                found.extend(_render(error, prefix))
                if first_only:
                    return found
            for child, child_ref in state.queue:  # children met through a cyclic $ref: validate them once
                key = (id(child), child_ref)
                if key not in seen:
                    seen.add(key)
                    queue.append((child, child_ref))
        self.last_node_validations = len(seen) + 1
        return _tidy(found, self._known_fields)


def _plain(value: Any) -> Any:
    """Return ``value`` with every ``str`` subclass turned into ``str`` (for the compiled engine)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


def _declared_fields(schema: Any) -> frozenset[str]:
    """Return every field name the schema declares somewhere (keys of any ``properties``)."""
    names: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            declared = node.get("properties")
            if isinstance(declared, dict):
                names.update(declared)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(names)


def _tidy(found: list[Violation], known_fields: frozenset[str]) -> list[Violation]:
    """Sort, de-duplicate, and drop 'field not allowed' noise that only echoes another failure.

    When a node fails for a real reason (a missing field, a bad ``oneOf``), ``unevaluatedProperties``
    also rejects the node's legitimate fields, because the failed branches do not count as having
    evaluated them. Such a report is dropped when the field is one the standard declares; the node's
    real failure is still reported, so the verdict does not change.
    """
    failing_nodes = {
        v.path for v in found if v.keyword not in ("unevaluatedProperties", "additionalProperties")
    }
    kept: dict[tuple[PathTuple, str], Violation] = {}
    for v in found:
        if (
            v.keyword == "unevaluatedProperties"
            and v.path[:-1] in failing_nodes
            and v.path
            and v.path[-1] in known_fields
            and v.path[-1] not in _HINTS
        ):
            continue
        kept.setdefault((v.path, v.message), v)
    return sorted(kept.values(), key=lambda v: _sort_key(v.path))


def _sort_key(path: PathTuple) -> tuple[tuple[int, str | int], ...]:
    return tuple((0, step) if isinstance(step, int) else (1, step) for step in path)


def _node_paths(instance: Any) -> dict[int, PathTuple]:
    paths: dict[int, PathTuple] = {}
    stack: list[tuple[Any, PathTuple]] = [(instance, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            paths[id(node)] = path
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            paths[id(node)] = path
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return paths


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _render(error: Any, prefix: PathTuple) -> list[Violation]:
    """Turn one ``jsonschema`` error into readable violations."""
    path = (*prefix, *error.absolute_path)
    keyword = error.validator
    if keyword in ("unevaluatedProperties", "additionalProperties"):
        match = _UNEXPECTED.search(error.message)
        if match:
            names = _QUOTED.findall(match.group(1))
            return [
                Violation((*path, name), f"field {name!r} is not allowed here{_hint(name)}", keyword)
                for name in names
            ]
    if keyword == "not" and isinstance(error.validator_value, dict):
        forbidden = error.validator_value.get("required")
        if isinstance(forbidden, list) and len(forbidden) == 1:
            name = forbidden[0]
            return [Violation((*path, name), f"field {name!r} must not be given here", keyword)]
    if keyword == "required":
        return [Violation(path, error.message.replace(" is a required property", " is required"), keyword)]
    if keyword in ("oneOf", "anyOf"):
        return [Violation(path, _branch_message(error), keyword)]
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = f"value {_short(error.instance)} fails '{keyword}': {_short(error.validator_value)}"
    return [Violation(path, message, keyword)]


def _branch_name(subschema: Any, index: int) -> str:
    if isinstance(subschema, dict):
        if isinstance(subschema.get("$ref"), str):
            return subschema["$ref"].rsplit("/", 1)[-1]
        if isinstance(subschema.get("required"), list) and subschema["required"]:
            return "the form with " + ", ".join(map(str, subschema["required"]))
        if isinstance(subschema.get("type"), str):
            return f"the {subschema['type']} form"
    return f"form #{index + 1}"


def _branch_message(error: Any) -> str:
    """Explain a failed ``oneOf``/``anyOf`` by the branch that came closest."""
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    names = [_branch_name(b, i) for i, b in enumerate(branches)]
    if not error.context:
        if error.validator == "oneOf" and "is valid under each of" in error.message:
            matched = [n for b, n in zip(branches, names, strict=False) if _valid(error, b)]
            shown = ", ".join(matched) if matched else "several of them"
            count = len(branches)
            return f"matches more than one of the {count} allowed forms ({shown}); it must match exactly one"
        return error.message if len(error.message) <= _MAX_MESSAGE else "matches none of the allowed forms"
    by_branch: dict[int, list[Any]] = {}
    for sub in error.context:
        index = sub.schema_path[0] if sub.schema_path and isinstance(sub.schema_path[0], int) else 0
        by_branch.setdefault(index, []).append(sub)

    def distance(index: int) -> tuple[int, int, int]:
        subs = by_branch[index]
        shape = sum(1 for s in subs if not s.path and s.validator in ("type", "const", "enum"))
        depth = max(len(s.path) for s in subs)
        return (shape, len(subs), -depth)

    closest = min(by_branch, key=distance)
    reasons = []
    for sub in by_branch[closest][:4]:
        where = ".".join(str(p) for p in sub.path)
        text = sub.message if len(sub.message) <= 160 else f"fails '{sub.validator}'"
        reasons.append(f"{where}: {text}" if where else text)
    name = names[closest] if closest < len(names) else f"form #{closest + 1}"
    return (
        f"matches none of the {len(branches)} allowed forms; closest is {name}, which fails because "
        + "; ".join(reasons)
    )


def _valid(error: Any, subschema: Any) -> bool:
    try:
        from jsonschema import Draft201909Validator

        return Draft201909Validator(subschema).is_valid(error.instance)
    except Exception:  # a branch with a local $ref cannot be checked alone
        return False


#: Hints for fields that older or book forms of ODCS use, shown with "field X is not allowed here".
_HINTS = {
    "rule": "use 'metric' (ODCS v3.1.0); quanta lint --lenient rewrites it",
    "object": "use 'name'; quanta lint --lenient rewrites it",
    "table": "use 'name'; quanta lint --lenient rewrites it",
    "primary": "use 'primaryKey'; quanta lint --lenient rewrites it",
    "isPrimary": "use 'primaryKey'; quanta lint --lenient rewrites it",
    "isNullable": "use 'required' (inverted); quanta lint --lenient rewrites it",
    "mustBeGreaterThanOrEqualTo": "use 'mustBeGreaterOrEqualTo'; quanta lint --lenient rewrites it",
    "mustBeLessThanOrEqualTo": "use 'mustBeLessOrEqualTo'; quanta lint --lenient rewrites it",
    "scheduleCronExpression": "use 'scheduler: cron' and 'schedule'; quanta lint --lenient rewrites it",
    "slaDefaultColumn": "use 'slaDefaultElement'; quanta lint --lenient rewrites it",
    "column": "use 'element' (SLA) or 'name' (property); quanta lint --lenient rewrites it",
    "columns": "use 'properties'; quanta lint --lenient rewrites it",
    "comment": "use 'description'; quanta lint --lenient rewrites it",
    "engine": "'engine' belongs to rules of type 'custom' only",
}


def _hint(name: str) -> str:
    hint = _HINTS.get(name)
    return f" ({hint})" if hint else " (unknown field, misspelled, or from another version of the standard)"


@cache
def validator_for(kind: str, api_version: str) -> SchemaValidator:
    """Return the (cached) validator of the shipped schema for ``kind`` at ``api_version``.

    Args:
        kind: ``"DataContract"`` or ``"DataProduct"``.
        api_version: a supported version, see :func:`quanta.spec.catalog.supported_versions`.

    Raises:
        KeyError: unsupported kind or version.
    """
    from quanta.spec.catalog import load_schema

    return SchemaValidator(load_schema(kind, api_version))

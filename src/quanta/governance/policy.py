"""Policies as code: one YAML file per policy, loaded and linted with file, line and column.

A policy file (see ``docs/governance.md`` for the full reference)::

    id: pii-classified                 # stable id; a domain file with the same id overrides it
    title: PII has a classification
    description: Why the rule exists and how to comply.
    severity: error                    # info | warning | error
    scope: property                    # product | contract | outputPort | property | build
    mandatory: true                    # global policies only: domains cannot weaken it
    status: enforced                   # draft | grace | enforced | deprecated
    enforcedFrom: 2026-03-01           # grace: blocks from this date, warns before
    when: tagged(property, 'pii')      # optional CEL filter: which elements of the scope it applies to
    rule: has(property.classification) # CEL, or {python: <entry point name>} for a registered function
    params: {threshold: 0.8}           # values the rule reads as params.<name>
    stricter: {threshold: higher}      # which way of a param is stricter (federation checks it)
    evidence: [classification]         # fields, relative to the element, reported as evidence

Lifecycle (after Witboost's Draft → Grace → Enabled): ``draft`` policies are evaluated and never block;
``grace`` ones block from ``enforcedFrom`` and warn before; ``enforced`` ones block; ``deprecated`` ones
are not evaluated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from quanta.errors import Diagnostic
from quanta.governance.cel import check_syntax

Scope = Literal["product", "contract", "outputPort", "property", "build"]
SCOPES: tuple[str, ...] = ("product", "contract", "outputPort", "property", "build")
SEVERITIES: tuple[str, ...] = ("info", "warning", "error")
STATUSES: tuple[str, ...] = ("draft", "grace", "enforced", "deprecated")
#: Entry-point group of Python policy rules (``name = "module:function"``).
ENTRY_POINT_GROUP = "quanta.policies"
_FIELDS = {
    "id",
    "title",
    "description",
    "severity",
    "scope",
    "mandatory",
    "status",
    "enforcedFrom",
    "when",
    "rule",
    "params",
    "stricter",
    "evidence",
    "remediation",
}


@dataclass(frozen=True)
class Policy:
    """One policy, as loaded (a domain override is merged onto its global policy by federation).

    Attributes:
        id: stable identifier.
        title: one line saying what is required.
        description: why, and how to comply.
        severity: ``info``, ``warning`` or ``error``; only ``error`` can block publication.
        scope: which documents the rule runs on (see the module docstring).
        status: lifecycle state.
        cel: the CEL rule, or ``None`` for a Python rule.
        python: the entry-point name of a Python rule, or ``None`` for a CEL rule.
        mandatory: global policies only: domains may not weaken it.
        enforced_from: the date a ``grace`` policy starts blocking.
        when: optional CEL filter choosing the elements of the scope the rule applies to.
        params: parameters the rule reads (``params.<name>``).
        stricter: for each param, ``higher`` or ``lower``: which way is stricter.
        evidence: fields (dotted, relative to the element) whose path and value are reported.
        remediation: what to do when it fails.
        origin: ``global`` or ``domain``.
        domain: the domain of a domain policy.
        file: the file it came from.
        line: the line of its ``id``.
    """

    id: str
    title: str
    severity: str
    scope: str
    status: str
    cel: str | None = None
    python: str | None = None
    description: str = ""
    mandatory: bool = False
    enforced_from: dt.date | None = None
    when: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    stricter: dict[str, str] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    remediation: str = ""
    origin: str = "global"
    domain: str | None = None
    file: str | None = None
    line: int | None = None

    def state_on(self, day: dt.date) -> str:
        """Return the state in force on ``day``: ``draft``, ``warning`` (grace, before its date),
        ``enforced`` (enforced, or grace from its date on) or ``deprecated``."""
        if self.status == "grace":
            if self.enforced_from is not None and day >= self.enforced_from:
                return "enforced"
            return "warning"
        return self.status

    def effective_severity(self, day: dt.date) -> str:
        """The severity reported on ``day`` (an ``error`` policy in grace before its date: ``warning``)."""
        if self.severity == "error" and self.state_on(day) == "warning":
            return "warning"
        return self.severity

    def can_block(self, day: dt.date) -> bool:
        """Whether a failure of this policy blocks publication on ``day``."""
        return self.severity == "error" and self.state_on(day) == "enforced"

    @property
    def rule_text(self) -> str:
        """The rule as written: the CEL expression, or ``python: <name>``."""
        return self.cel if self.cel is not None else f"python: {self.python}"

    def to_dict(self) -> dict[str, Any]:
        """Return the policy in its YAML field names (for ``quanta policy show --format json``)."""
        data = {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "severity": self.severity,
            "scope": self.scope,
            "mandatory": self.mandatory,
            "status": self.status,
            "enforcedFrom": self.enforced_from.isoformat() if self.enforced_from else None,
            "when": self.when,
            "rule": self.cel if self.cel is not None else {"python": self.python},
            "params": self.params,
            "stricter": self.stricter,
            "evidence": list(self.evidence),
            "remediation": self.remediation,
            "origin": self.origin,
            "domain": self.domain,
            "file": self.file,
        }
        return {key: value for key, value in data.items() if value not in (None, "", [], {})}


@dataclass(frozen=True)
class PolicyFile:
    """A policy file as written: its fields (a domain override may give only some) and their positions."""

    data: dict[str, Any]
    file: str | None
    positions: dict[str, tuple[int | None, int | None]]

    @property
    def id(self) -> str:
        """The policy ``id``."""
        return str(self.data.get("id"))

    def where(self, key: str) -> tuple[int | None, int | None]:
        """1-based (line, column) of ``key``, or of the file start when absent."""
        return self.positions.get(key, (1, 1))


def read_policy_file(
    path: Path | str, *, text: str | None = None
) -> tuple[PolicyFile | None, list[Diagnostic]]:
    """Read one policy YAML file (or ``text`` reported as ``path``) and lint its fields.

    Returns:
        The file (``None`` when it cannot be read as a YAML mapping) and every problem found, each with
        file, line and column. Field presence rules that depend on federation (a domain override may
        leave fields out) are checked by :func:`build_policy`.
    """
    from ruamel.yaml import YAMLError

    from quanta.errors import SpecError
    from quanta.spec.loader import load_yaml

    name = str(path)
    try:
        loaded = load_yaml(text if text is not None else Path(path), filename=name)
    except SpecError as error:
        diagnostics = error.diagnostics or [Diagnostic("policy.yaml", error.message, file=name)]
        return None, [replace(d, code="policy.yaml", file=d.file or name) for d in diagnostics]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Diagnostic("policy.yaml", f"cannot read the policy file: {error}", file=name)]
    except YAMLError as error:  # when the loader lets one through
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        message = f"not valid YAML: {reason}"
        return None, [Diagnostic("policy.yaml", message, line=line, column=column, file=name)]
    data = dict(loaded.data)
    positions = {str(key): loaded.position((key,)) for key in data}
    policy_file = PolicyFile(data, name, positions)
    return policy_file, _lint_fields(policy_file)


def _lint_fields(pf: PolicyFile) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def problem(key: str, message: str, code: str = "policy.field") -> None:
        line, column = pf.where(key)
        out.append(
            Diagnostic(
                code, message, path=key if key in pf.data else "", line=line, column=column, file=pf.file
            )
        )

    data = pf.data
    for key in data:
        if key not in _FIELDS:
            problem(key, f"unknown policy field {key!r}; known fields: {', '.join(sorted(_FIELDS))}")
    if not isinstance(data.get("id"), str) or not data.get("id"):
        problem("id", "a policy needs an `id` (a non-empty string, e.g. pii-classified)")
    for key, allowed in (("severity", SEVERITIES), ("scope", SCOPES), ("status", STATUSES)):
        if key in data and data[key] not in allowed:
            problem(key, f"{key} must be one of {', '.join(allowed)}, not {data[key]!r}")
    if "mandatory" in data and not isinstance(data["mandatory"], bool):
        problem("mandatory", "mandatory must be true or false")
    if "enforcedFrom" in data and _parse_date(data["enforcedFrom"]) is None:
        problem("enforcedFrom", f"enforcedFrom must be a date YYYY-MM-DD, not {data['enforcedFrom']!r}")
    if data.get("status") == "grace" and "enforcedFrom" not in data:
        problem("status", "a policy in `grace` needs `enforcedFrom` (the date it starts blocking)")
    for key in ("params", "stricter"):
        if key in data and not isinstance(data[key], dict):
            problem(key, f"{key} must be a mapping")
    for name, way in (data.get("stricter") or {}).items() if isinstance(data.get("stricter"), dict) else ():
        if way not in ("higher", "lower"):
            problem("stricter", f"stricter.{name} must be `higher` or `lower`, not {way!r}")
    if "evidence" in data and not (
        isinstance(data["evidence"], list) and all(isinstance(e, str) for e in data["evidence"])
    ):
        problem("evidence", "evidence must be a list of field paths, e.g. [classification, team.name]")
    rule = data.get("rule")
    if rule is not None:
        if isinstance(rule, dict):
            if set(rule) == {"cel"} and isinstance(rule["cel"], str):
                out.extend(_lint_cel(pf, "rule", rule["cel"], nested=True))
            elif set(rule) != {"python"} or not isinstance(rule["python"], str):
                problem(
                    "rule",
                    "rule must be a CEL expression, {cel: <expression>} or {python: <entry point name>}",
                )
            elif rule["python"] not in python_rules():
                installed = ", ".join(sorted(python_rules())) or "none"
                problem(
                    "rule",
                    f"no Python rule {rule['python']!r} is registered under the entry-point group "
                    f"{ENTRY_POINT_GROUP} (installed: {installed})",
                    "policy.python-rule",
                )
        elif isinstance(rule, str):
            out.extend(_lint_cel(pf, "rule", rule))
        else:
            problem("rule", "rule must be a CEL expression (a string) or {python: <entry point name>}")
    if isinstance(data.get("when"), str):
        out.extend(_lint_cel(pf, "when", data["when"]))
    elif "when" in data:
        problem("when", "when must be a CEL expression (a string)")
    return out


def _lint_cel(pf: PolicyFile, key: str, expression: str, *, nested: bool = False) -> list[Diagnostic]:
    error = check_syntax(expression)
    if error is None:
        return []
    path = "rule.cel" if nested else key
    line, column = _locate(pf, "cel" if nested else key, error.line, error.column, after=pf.where(key)[0])
    return [Diagnostic("policy.cel-syntax", error.message, path=path, line=line, column=column, file=pf.file)]


def _scalar_segments(lines: list[str], key_line: int, key: str) -> tuple[list[tuple[int, int, str]], str]:
    """The file lines holding the value of ``key`` (declared on 1-based ``key_line``), as
    ``(line, column of its first character, text)``, and how YAML joins them: ``literal`` (``|``: with
    line breaks) or ``folded`` (``>``, and plain or quoted scalars that span lines: with spaces)."""
    text = lines[key_line - 1]
    at = text.find(f"{key}:")
    indent = len(text) - len(text.lstrip())
    value_start = at + len(key) + 1
    while value_start < len(text) and text[value_start] == " ":
        value_start += 1
    head = text[value_start:]
    segments: list[tuple[int, int, str]] = []
    mode = "folded"
    if head[:1] in ("|", ">"):
        mode = "literal" if head[0] == "|" else "folded"
    elif head:
        quote = 1 if head[0] in "'\"" else 0
        segments.append((key_line, value_start + 1 + quote, head[quote:]))
    for number in range(key_line + 1, len(lines) + 1):
        line = lines[number - 1]
        stripped = line.lstrip()
        if stripped and len(line) - len(stripped) <= indent:
            break
        segments.append((number, len(line) - len(stripped) + 1, stripped))
    return segments, mode


def _locate(
    pf: PolicyFile, key: str, line: int, column: int, *, after: int | None
) -> tuple[int | None, int | None]:
    """Map a (line, column) inside a CEL expression to the policy file, by reading the scalar's lines."""
    if pf.file is None or after is None:
        return after, None
    try:
        lines = Path(pf.file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return after, None
    key_line = next(
        (n for n in range(after, len(lines) + 1) if lines[n - 1].lstrip().startswith(f"{key}:")), None
    )
    if key_line is None:
        return after, None
    segments, mode = _scalar_segments(lines, key_line, key)
    if not segments:
        return key_line, None
    if mode == "literal":  # lines kept; indentation beyond the block's first line is content
        block_indent = segments[0][1]
        number, _, _ = segments[min(line, len(segments)) - 1]
        return number, block_indent + column - 1
    offset = column - 1  # folded: the expression's first line is the segments joined with spaces
    for number, start, text in segments:
        if offset <= len(text):
            return number, start + offset
        offset -= len(text) + 1
    number, start, text = segments[-1]
    return number, start + len(text)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def build_policy(pf: PolicyFile, *, origin: str = "global", domain: str | None = None) -> Policy:
    """Build a :class:`Policy` from a complete policy file (call after linting it)."""
    data = pf.data
    rule = data.get("rule")
    cel = rule if isinstance(rule, str) else (rule.get("cel") if isinstance(rule, dict) else None)
    python = rule.get("python") if isinstance(rule, dict) else None
    return Policy(
        id=str(data["id"]),
        title=str(data.get("title") or data["id"]),
        description=str(data.get("description") or "").strip(),
        severity=str(data.get("severity", "error")),
        scope=str(data.get("scope", "product")),
        status=str(data.get("status", "enforced")),
        cel=str(cel).strip() if cel is not None else None,
        python=python,
        mandatory=bool(data.get("mandatory", False)),
        enforced_from=_parse_date(data["enforcedFrom"]) if "enforcedFrom" in data else None,
        when=str(data["when"]).strip() if data.get("when") else None,
        params=dict(data.get("params") or {}),
        stricter={str(k): str(v) for k, v in (data.get("stricter") or {}).items()},
        evidence=tuple(data.get("evidence") or ()),
        remediation=str(data.get("remediation") or "").strip(),
        origin=origin,
        domain=domain,
        file=pf.file,
        line=pf.where("id")[0],
    )


def missing_fields(pf: PolicyFile) -> list[Diagnostic]:
    """Problems of a policy that stands alone (not an override): the fields it must give."""
    out = []
    for key in ("title", "severity", "scope", "status", "rule"):
        if key not in pf.data:
            line, column = pf.where("id")
            out.append(
                Diagnostic("policy.field", f"a policy needs `{key}`", line=line, column=column, file=pf.file)
            )
    return out


_PYTHON_RULES: dict[str, Any] | None = None


def python_rules() -> dict[str, Any]:
    """The Python rules installed under the entry-point group :data:`ENTRY_POINT_GROUP`, by name."""
    global _PYTHON_RULES
    if _PYTHON_RULES is None:
        from importlib.metadata import entry_points

        _PYTHON_RULES = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return _PYTHON_RULES

"""One error tree for Quanta, and the diagnostic record every layer reports with.

A user's mistake (a bad contract, a wrong flag, a missing file) is raised as a :class:`QuantaError`
subclass whose message says what is wrong and how to fix it; the CLI prints it without a traceback and
exits with the error's ``exit_code``. Validation problems that do not stop the run are collected as
:class:`Diagnostic` records instead, so that a linter can report every problem at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a document, with enough location to jump straight to it.

    Args:
        code: stable machine-readable identifier, e.g. ``"yaml.duplicate-key"`` or ``"odcs.schema"``.
        message: what is wrong and how to fix it, in one or two sentences.
        severity: ``"error"`` (the document is invalid), ``"warning"`` or ``"info"``.
        path: JSON path inside the document, e.g. ``"schema[0].properties[3].quality[0]"``;
            empty for the whole document.
        line: 1-based line in the file, or ``None`` when unknown.
        column: 1-based column in the file, or ``None`` when unknown.
        file: the file the document came from, or ``None`` for a string.
    """

    code: str
    message: str
    severity: Severity = "error"
    path: str = ""
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``--format json`` outputs."""
        return asdict(self)

    def location(self) -> str:
        """Return ``file:line:column`` (parts that are unknown are left out)."""
        parts = [self.file or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        path = f" at {self.path}" if self.path else ""
        return f"{where}: {self.severity} [{self.code}]{path}: {self.message}"


class QuantaError(Exception):
    """Base of every error Quanta raises for a user's mistake or an unavailable component.

    Attributes:
        exit_code: the process exit code the CLI uses (1 = invalid input or failed gate, 2 = usage or
            connection error).
        diagnostics: the problems that caused the error, when there are several.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics: list[Diagnostic] = list(diagnostics or [])


class UsageError(QuantaError):
    """A command was called wrongly (unknown option value, missing file, conflicting flags)."""

    exit_code = 2


class ConfigError(QuantaError):
    """``mesh.yaml``, a policy or another configuration file is invalid."""


class SpecError(QuantaError):
    """A contract or product document cannot be loaded or is invalid."""


class ConnectionFailed(QuantaError):
    """A server named by a contract or the configuration cannot be reached."""

    exit_code = 2


class AccessDenied(QuantaError):
    """The principal is not allowed to do what it asked; the message says why."""


class GateFailed(QuantaError):
    """A blocking contract check or policy failed, so nothing was published."""


@dataclass(slots=True)
class DiagnosticList:
    """An ordered collection of diagnostics with convenience views.

    Used by validators that keep going after the first problem.
    """

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        """Append one diagnostic."""
        self.items.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics of severity ``error``."""
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The diagnostics of severity ``warning`` or ``info``."""
        return [d for d in self.items if d.severity != "error"]

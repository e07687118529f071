"""Compiled check plans as SQL text, cached per user so a repeated ``quanta test`` skips sqlglot.

Compiling a plan (building sqlglot expressions for every rule and rendering them) and importing sqlglot
cost about a quarter of a second, more than DuckDB takes to scan 300,000 rows. The SQL a plan compiles
to depends only on:

- the check plan itself (every check's kind, object, property, parameters, threshold and metadata; its
  ``repr`` is hashed, so any change of the contract that reaches the plan misses);
- the data: each binding's table, the mapping of properties to columns and every column's type (a
  column that becomes text, a timestamp that gains a time zone, a renamed column: all miss);
- the engine's SQL dialect;
- the code that compiles: Quanta's version, the size and modification time of every module of
  :mod:`quanta.checks` and of the engine's type and table helpers, and the installed sqlglot version.

The entry is a JSON file named after the SHA-256 of all of that, in ``check-plans/`` of the per-user
cache folder (:func:`quanta.usercache.cache_dir`), written atomically. An entry that cannot be read,
is not valid JSON or does not have the expected shape is ignored (and replaced). ``QUANTA_CACHE_DIR=off``
turns the cache off. SLA checks compile to the same SQL at any run time (the reference time is applied
in Python after the query), so the run time is not part of the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.checks.rules.base import Outcome
from quanta.usercache import cache_dir, read_entry, source_fingerprint, write_entry

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.compiler import CompiledPlan
    from quanta.checks.plan import CheckPlan
    from quanta.checks.rules.base import Binding

#: The column of every fused query holding the object's row count (``COUNT(*)``).
ROWS_ALIAS = "quanta_rows"
#: Bumped when the stored form changes.
FORMAT = 2
#: Sub-folder of the per-user cache folder.
FOLDER = "check-plans"
#: Entries kept; the oldest beyond this are removed when a new one is written.
MAX_ENTRIES = 512


@dataclass(slots=True)
class FusedSql:
    """The one aggregate query of an object, as SQL text.

    Attributes:
        object: the schema object's name.
        sql: the query in the engine's dialect.
        columns: check index -> the result column holding its raw value.
    """

    object: str
    sql: str
    columns: dict[int, str]


@dataclass(slots=True)
class RenderedPlan:
    """A compiled plan as SQL text (what the runner executes and the cache stores).

    Attributes:
        fused: one aggregate query per object.
        singles: ``(check index, SQL)`` of the checks that need their own query.
        python: indexes of the checks evaluated without SQL.
        settled: index -> outcome of the checks that could not be compiled.
        cached: whether this came from the cache.
    """

    fused: list[FusedSql] = field(default_factory=list)
    singles: list[tuple[int, str]] = field(default_factory=list)
    python: list[int] = field(default_factory=list)
    settled: dict[int, Outcome] = field(default_factory=dict)
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        """The stored form (JSON-compatible)."""
        return {
            "fused": [{"object": q.object, "sql": q.sql, "columns": q.columns} for q in self.fused],
            "singles": [[index, sql] for index, sql in self.singles],
            "python": list(self.python),
            "settled": [[index, o.status, o.value, o.reason, o.details] for index, o in self.settled.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RenderedPlan:
        """Read the stored form back (raises ``KeyError``/``TypeError``/``ValueError`` on a bad shape)."""
        return cls(
            fused=[
                FusedSql(str(q["object"]), _text(q["sql"]), {int(k): str(v) for k, v in q["columns"].items()})
                for q in data["fused"]
            ],
            singles=[(int(index), _text(sql)) for index, sql in data["singles"]],
            python=[int(index) for index in data["python"]],
            settled={
                int(index): Outcome(str(status), value, reason, dict(details))
                for index, status, value, reason, details in data["settled"]
            },
            cached=True,
        )


def render(compiled: CompiledPlan, dialect: str) -> RenderedPlan:
    """Render every query of ``compiled`` in ``dialect``."""
    return RenderedPlan(
        fused=[FusedSql(q.object, q.select.sql(dialect), dict(q.columns)) for q in compiled.fused],
        singles=[(q.index, q.sql) for q in compiled.singles],
        python=list(compiled.python),
        settled=dict(compiled.settled),
    )


def rendered_plan(plan: CheckPlan, bindings: dict[str, Binding], dialect: str, context: Any) -> RenderedPlan:
    """The SQL of ``plan`` for ``bindings``: from the cache when an entry for exactly this input exists,
    else compiled with sqlglot (and stored).

    Args:
        plan: the check plan.
        bindings: object name (or related-object key) -> binding, as for
            :func:`quanta.checks.compiler.compile_plan`.
        dialect: the engine's sqlglot dialect.
        context: the run context (passed to the compiler).

    Returns:
        The rendered plan; ``cached`` says whether it came from the cache.
    """
    root = cache_dir()
    key = plan_key(plan, bindings, dialect) if root is not None else None
    folder = root / FOLDER if root is not None and key else None
    if folder is not None and key:
        found = _read(folder, key)
        if found is not None:
            return found
    from quanta.checks.compiler import compile_plan

    rendered = render(compile_plan(plan, bindings, dialect, context), dialect)
    if folder is not None and key:
        _write(folder, key, rendered)
    return rendered


def plan_key(plan: CheckPlan, bindings: dict[str, Binding], dialect: str) -> str | None:
    """The SHA-256 (hex) of everything the compiled SQL depends on; ``None`` when it cannot be told."""
    parts: list[Any] = [FORMAT, dialect, _code_fingerprint(), repr(plan)]
    for name, binding in bindings.items():
        if not isinstance(binding.source, str | tuple):
            return None  # a table given as an expression: no stable text for it without sqlglot
        parts.append(
            [
                name,
                binding.object,
                list(binding.source) if isinstance(binding.source, tuple) else binding.source,
                binding.dialect,
                sorted(binding.columns.items()),
                [[column, kind.key()] for column, kind in binding.types.items()],
            ]
        )
    text = json.dumps(parts, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_FINGERPRINT: list[str] = []


def _code_fingerprint() -> str:
    """Quanta's version, the sqlglot version and the size and time of every module compilation runs."""
    if _FINGERPRINT:
        return _FINGERPRINT[0]
    import importlib.util

    import quanta

    here = Path(__file__).resolve().parent
    files = sorted(here.rglob("*.py"))
    engine = here.parent / "engine"
    files += [engine / "base.py", engine / "types.py"]
    spec = importlib.util.find_spec("sqlglot")
    sqlglot_version = "none"
    if spec is not None and spec.origin:
        version_file = Path(spec.origin).with_name("_version.py")
        try:
            sqlglot_version = hashlib.sha256(version_file.read_bytes()).hexdigest()
        except OSError:
            from importlib.metadata import version

            sqlglot_version = version("sqlglot")
    _FINGERPRINT.append(f"{quanta.__version__}|{sqlglot_version}|{source_fingerprint(files)}")
    return _FINGERPRINT[0]


def _read(folder: Path, key: str) -> RenderedPlan | None:
    stored = read_entry(folder, key, FORMAT)
    if stored is None:
        return None
    try:
        return RenderedPlan.from_json(stored)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _write(folder: Path, key: str, rendered: RenderedPlan) -> None:
    try:
        stored = json.loads(json.dumps(rendered.to_json()))
        if RenderedPlan.from_json(stored).settled != rendered.settled:
            return  # an outcome JSON cannot carry exactly (e.g. a tuple value): do not cache it
        write_entry(folder, key, FORMAT, stored, max_entries=MAX_ENTRIES)
    except (KeyError, TypeError, ValueError):
        return


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("SQL must be text")
    return value

"""``test_contract``: run everything a contract promises against its data, in one pass per object.

This is the public entry point of :mod:`quanta.checks` (also ``quanta.test_contract``) and the quality
gate of every build: ``report.blocking_failures`` decides it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from quanta.checks.report import TestReport
    from quanta.spec import Contract

DATA_SUFFIXES = (".parquet", ".csv", ".json", ".jsonl", ".ndjson")


def load(contract: Contract | str | Path) -> Contract:
    """Return ``contract`` loaded with :func:`quanta.spec.load_contract` (a path or YAML text).

    A file is read through the per-user cache of parsed documents (:mod:`quanta.spec.doccache`), so a
    contract tested again unchanged costs no YAML parsing.

    Raises:
        UsageError: a path that does not exist.
        SpecError: the document cannot be loaded.
    """
    from quanta.spec.documents import Contract, load_contract

    if isinstance(contract, Contract):
        return contract
    if isinstance(contract, Path):
        if not contract.is_file():
            raise UsageError(f"contract file {contract} does not exist")
        return load_contract(contract, cache=True)
    text = str(contract)
    if "\n" not in text:
        path = Path(text)
        if not path.is_file():
            raise UsageError(f"contract file {text} does not exist")
        return load_contract(path, cache=True)
    return load_contract(text)


def test_contract(
    contract: Contract | str | Path,
    data: Any = None,
    server: str | None = None,
    engine: Any = None,
    samples: int = 5,
    now: dt.datetime | None = None,
    *,
    related: Mapping[str, Any] | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    base_dir: str | Path | None = None,
) -> TestReport:
    """Test ``contract`` against data: schema, implied rules, quality rules, relationships and SLAs.

    Args:
        contract: a :class:`quanta.spec.Contract`, a path to an ``.odcs.yaml`` file, or YAML text.
        data: where the data is instead of the contract's ``servers``: a path (a Parquet/CSV/JSON file or
            glob, a Delta table folder, or a folder holding one ``<object>.<ext>`` file or Delta folder per
            schema object), a mapping ``object name -> path | pyarrow Table/Dataset/RecordBatchReader |
            DuckDB relation | table name`` (table names for engines such as PostgreSQL that cannot
            register data), or a single Arrow table/relation for a one-object contract.
        server: the ``servers[].server`` name to test (default: the first server) when ``data`` is None.
            With ``data`` given, a named server still supplies reader options (``quantaNullValue``).
        engine: an engine to run on (e.g. the build's :class:`quanta.engine.DuckDBEngine` holding staged
            relations); it is not closed. Default: one made for the server (DuckDB or PostgreSQL).
        samples: violating rows to show per failed check (0 = none).
        now: the reference time for SLAs (aware or UTC-naive); default: the current time.
        related: objects of other contracts referenced by ``relationships``: key as written before the
            property in ``to`` (``"airlines"`` for ``airlines.carrier``) -> path, Arrow data, relation or
            table name.
        memory_limit: DuckDB memory limit (``"2GB"``); above it DuckDB spills to ``temp_directory``.
        temp_directory: where DuckDB spills.
        threads: DuckDB worker threads.
        base_dir: folder relative server paths start from (default: the mesh root above the contract,
            else the contract's folder).

    Returns:
        The :class:`~quanta.checks.report.TestReport`; ``report.blocking_failures`` lists the failed or
        errored checks whose severity is ``error`` or absent.

    Raises:
        UsageError: no data location (no ``data`` and no ``servers``), an unknown server name or a
            missing file.
        ConnectionFailed: the server cannot be reached.
        SpecError: the contract cannot be loaded.
    """
    from quanta.checks.builder import build_plan
    from quanta.checks.runner import RunContext, run_plan

    document = load(contract)
    base = Path(base_dir) if base_dir else _base_dir(document)
    plan = build_plan(document, base_dir=base)
    settings = {
        k: v
        for k, v in {
            "memory_limit": memory_limit,
            "temp_directory": temp_directory,
            "threads": threads,
        }.items()
        if v
    }
    session = _open(document, data, server, engine, settings, base, related)
    try:
        context = RunContext(session.engine, session.bindings, _utc(now), max(0, int(samples)))
        return run_plan(plan, context, server=session.server_name)
    finally:
        session.close()


def explain_contract(
    contract: Contract | str | Path,
    data: Any = None,
    server: str | None = None,
    engine: Any = None,
    *,
    related: Mapping[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> str:
    """The check plan and the SQL it compiles to (what ``quanta test --explain`` prints); runs nothing
    but a zero-row read of each table's columns. Arguments as for :func:`test_contract`."""
    from quanta.checks.builder import build_plan
    from quanta.checks.compiler import compile_plan, explain
    from quanta.checks.runner import RunContext

    document = load(contract)
    base = Path(base_dir) if base_dir else _base_dir(document)
    plan = build_plan(document, base_dir=base)
    session = _open(document, data, server, engine, {}, base, related)
    try:
        context = RunContext(session.engine, session.bindings)
        compiled = compile_plan(plan, session.bindings, session.engine.dialect, context)
        header = (
            f"-- contract {plan.contract_id} {plan.contract_version or ''} on {session.server_name} "
            f"({session.engine.dialect}): {len(plan.checks)} checks, "
            f"{len(compiled.fused) + len(compiled.singles)} queries\n"
        )
        return header + explain(plan, compiled, session.engine.dialect)
    finally:
        session.close()


class _Session:
    def __init__(self, engine: Any, owned: bool, server_name: str) -> None:
        self.engine, self.owned, self.server_name = engine, owned, server_name
        self.bindings: dict[str, Any] = {}

    def close(self) -> None:
        if self.owned:
            self.engine.close()


def _open(
    document: Contract,
    data: Any,
    server_name: str | None,
    engine: Any,
    settings: dict[str, Any],
    base: Path,
    related: Mapping[str, Any] | None,
) -> _Session:
    from quanta.checks.runner import bind
    from quanta.engine import sources

    objects = [o for o in document.schema if isinstance(o, dict) and o.get("name")]
    server = _server(document, server_name, required=data is None)
    owned = engine is None
    if engine is None:
        engine = sources.open_engine(None if data is not None else server, settings=settings)
    session = _Session(engine, owned, str(server.get("server")) if data is None and server else "data")
    try:
        tables: dict[str, Any] = {}
        if data is None:
            assert server is not None
            for obj in objects:
                tables[obj["name"]] = sources.register_object(
                    engine, server, obj["name"], obj.get("physicalName"), base
                )
        else:
            options = _reader_options(server)
            for name, source in _data_by_object(data, objects).items():
                tables[name] = _register(engine, name, source, options)
        for obj in objects:
            if obj["name"] in tables:
                session.bindings[obj["name"]] = bind(engine, obj["name"], tables[obj["name"]], obj)
        for number, (key, source) in enumerate((related or {}).items()):
            table = _register(engine, f"quanta_related_{number}", source, {})
            session.bindings.setdefault(key, bind(engine, key, table, None))
        if owned and hasattr(engine, "use_one_thread_if_small"):
            engine.use_one_thread_if_small()  # small local files: one thread costs less CPU, same results
    except QuantaError:
        session.close()
        raise
    except Exception as error:
        session.close()
        raise UsageError(f"cannot read the data: {str(error).strip().splitlines()[0]}") from error
    return session


def _register(engine: Any, name: str, source: Any, options: dict[str, Any]) -> Any:
    if not getattr(engine, "CAN_REGISTER", False):
        if isinstance(source, str | tuple):
            return source  # a table name in the engine's own storage
        raise UsageError(
            f"the {engine.dialect} engine cannot read {type(source).__name__}; pass a table name"
        )
    if isinstance(source, str) and _is_table_name(source):
        return source  # a table or view the engine already has (e.g. the build's staged relation)
    if isinstance(source, str | Path):
        path = Path(source)
        csv = path.suffix.lower() in (".csv", ".tsv")
        kwargs = {k: v for k, v in options.items() if v is not None} if csv else {}
        engine.register(name, str(path), **kwargs)
    else:
        engine.register(name, source)
    return name


def _is_table_name(text: str) -> bool:
    """A bare name (no path separator, suffix or glob) that is not a file: a table of the engine."""
    return not Path(text).exists() and not any(ch in text for ch in "/\\*?[") and "." not in text


def _data_by_object(data: Any, objects: list[dict[str, Any]]) -> dict[str, Any]:
    names = [o["name"] for o in objects]
    if isinstance(data, Mapping):
        unknown = [k for k in data if k not in names]
        if unknown:
            raise UsageError(
                f"data names objects the contract does not declare: {', '.join(unknown)}; "
                f"declared: {', '.join(names)}"
            )
        return dict(data)
    if isinstance(data, str | Path):
        path = Path(data)
        if len(names) == 1 and not (path.is_dir() and not (path / "_delta_log").is_dir()):
            return {names[0]: path}
        if path.is_dir():
            found: dict[str, Any] = {}
            for name in names:
                for candidate in [path / name, *(path / f"{name}{suffix}" for suffix in DATA_SUFFIXES)]:
                    if candidate.exists():
                        found[name] = candidate
                        break
            if not found:
                raise UsageError(
                    f"{path} holds no data for {', '.join(names)} (expected <object>.parquet, "
                    "<object>.csv or a Delta folder per object)"
                )
            return found
        raise UsageError(f"{path} does not exist; give a file or a folder of per-object files")
    if len(names) != 1:
        raise UsageError("pass data as a mapping of object name to data for a contract with several objects")
    return {names[0]: data}


def _server(document: Contract, name: str | None, *, required: bool) -> dict[str, Any] | None:
    servers = [s for s in document.servers if isinstance(s, dict)]
    if name is not None:
        for entry in servers:
            if entry.get("server") == name:
                return entry
        known = ", ".join(str(s.get("server")) for s in servers) or "none"
        raise UsageError(f"the contract has no server named {name!r} (servers: {known})")
    if servers:
        return servers[0]
    if required:
        raise UsageError("the contract has no servers entry; pass the data with --data PATH")
    return None


def _reader_options(server: dict[str, Any] | None) -> dict[str, Any]:
    if not server:
        return {}
    from quanta.engine.sources import custom_property

    return {"null_value": custom_property(server, "quantaNullValue"), "delimiter": server.get("delimiter")}


def _base_dir(document: Contract) -> Path:
    from quanta.engine.sources import find_base_dir

    return find_base_dir(document.path)


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)

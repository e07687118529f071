"""Running a product's transform into the staging area: Parquet data per output port.

The staged data (one Parquet file on DuckDB, a folder of Parquet files on Spark) is what the gate tests
and what publishing commits; it lives under the storage's staging folder (``quanta.storage.staging_path``)
until the run ends, and an interrupted run's folder is removed by reconciliation. The functions here
drive the product's engine only through ``register``, ``table``, ``write_parquet`` and ``drop``, so one
transform runs on DuckDB or on Spark unchanged.

* SQL (``transforms/<port>.sql``): one ``SELECT`` (CTEs allowed), in the DuckDB dialect unless a comment
  line ``-- dialect: <name>`` (any sqlglot dialect: ``spark``, ``postgres``...) in the comments before the
  query says otherwise. It is parsed with sqlglot before it runs: only a query is accepted, every table it
  reads must be an input port (or one of its own CTEs), and table functions (``read_csv``,
  ``read_parquet``...) are refused, so a transform reads nothing but its declared inputs. It is then
  rendered in the engine's dialect (transpiled when the two differ).
* Python (``transforms/<port>.py``): a function ``transform`` called with one keyword argument per input
  port (a DuckDB relation, or a Spark DataFrame when the product runs on Spark); a parameter called
  ``connection`` receives the DuckDB connection (or the ``SparkSession``). It returns a relation of that
  engine (a DuckDB relation, a Spark DataFrame), a pyarrow Table or RecordBatchReader, or a Polars or
  pandas DataFrame.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quanta.errors import QuantaError

#: The dialect of a SQL transform that declares none.
DEFAULT_DIALECT = "duckdb"
_DIALECT_LINE = re.compile(r"^\s*--\s*dialect\s*:\s*([A-Za-z0-9_]+)\s*$")
#: Name under which a Python transform's result is registered before it is written.
_RESULT = "__quanta_transform_result"


class TransformError(QuantaError):
    """A transform is invalid or failed; the message names the file."""


def declared_dialect(path: Path, sql: str) -> str:
    """Return the dialect a SQL transform is written in: its ``-- dialect: <name>`` line, else DuckDB.

    Only the comment lines before the query count (a comment inside the query is the query's own).

    Args:
        path: the transform file (for messages).
        sql: its text.

    Returns:
        A sqlglot dialect name such as ``"duckdb"`` or ``"spark"``.

    Raises:
        TransformError: the named dialect is not one sqlglot knows; the message gives the line.
    """
    from sqlglot.dialects.dialect import Dialect

    for number, line in enumerate(sql.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _DIALECT_LINE.match(line)
        if match:
            name = match.group(1).lower()
            try:
                Dialect.get_or_raise(name)
            except ValueError:
                raise TransformError(
                    f"{path}:{number}: unknown SQL dialect {name!r}; write e.g. `-- dialect: duckdb` or "
                    "`-- dialect: spark`"
                ) from None
            return name
    return DEFAULT_DIALECT


def check_sql(path: Path, sql: str, inputs: Iterable[str], dialect: str = DEFAULT_DIALECT) -> Any:
    """Parse and check a SQL transform.

    Args:
        path: the transform file (for messages).
        sql: its text.
        inputs: the input port names it may read.
        dialect: the sqlglot dialect it is written in (see :func:`declared_dialect`).

    Returns:
        The parsed sqlglot query expression.

    Raises:
        TransformError: not one SELECT, a table that is not an input port, or a table function.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        raise TransformError(f"{path}: not valid {dialect} SQL: {error}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise TransformError(f"{path}: a SQL transform is exactly one SELECT query (CTEs allowed)")
    query = statements[0]
    allowed = {name.lower() for name in inputs}
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        if isinstance(table.this, exp.Func) or not table.name:
            raise TransformError(
                f"{path}: {table.sql('duckdb')} reads outside the product's inputs; "
                "read data only through input ports"
            )
        if table.db or table.catalog or table.name.lower() not in allowed | ctes:
            raise TransformError(
                f"{path}: table {table.sql('duckdb')} is not an input port of this product; "
                f"input ports: {', '.join(sorted(allowed)) or 'none'}"
            )
    for func in query.find_all(exp.Func):
        name = (func.sql_name() if not isinstance(func, exp.Anonymous) else str(func.this)).lower()
        if name.startswith(("read_", "glob", "sniff_csv")) or name in {"read_text", "read_blob"}:
            raise TransformError(f"{path}: function {name}() reads files; read data only through input ports")
    return query


def stage_sql(engine: Any, path: Path, target: Path, inputs: Iterable[str]) -> Path:
    """Run the SQL transform at ``path`` on ``engine`` and write its result as Parquet at ``target``.

    The query is checked in the dialect it declares (:func:`declared_dialect`) and rendered in the
    engine's (``engine.dialect``), so a DuckDB transform runs on Spark through sqlglot's transpiler.

    Args:
        engine: the product's engine (``DuckDBEngine`` or ``SparkEngine``), its inputs registered.
        path: the transform file.
        target: where the staged Parquet goes (a file on DuckDB, a folder on Spark).
        inputs: the input port names.

    Returns:
        The staged data's path.

    Raises:
        TransformError: the SQL is refused by :func:`check_sql`, cannot be rendered for the engine, or
            fails on it.
    """
    from sqlglot.errors import ErrorLevel, SqlglotError

    text = path.read_text(encoding="utf-8")
    dialect = declared_dialect(path, text)
    query = check_sql(path, text, inputs, dialect)
    # Transpiling must not silently drop what the target dialect lacks; in its own dialect a query is
    # rendered as before.
    level = ErrorLevel.RAISE if dialect != engine.dialect else ErrorLevel.WARN
    try:
        sql = query.sql(engine.dialect, unsupported_level=level)
    except SqlglotError as error:
        raise TransformError(f"{path}: cannot be written in {engine.dialect} SQL: {error}") from None
    try:
        return engine.write_parquet(sql, target)
    except QuantaError as error:
        raise TransformError(f"{path}: {error.message}") from None


def stage_python(engine: Any, path: Path, target: Path, inputs: Iterable[str]) -> Path:
    """Run the Python transform at ``path`` on ``engine`` and write its result as Parquet at ``target``.

    Args:
        engine: the product's engine (``DuckDBEngine`` or ``SparkEngine``), its inputs registered.
        path: the transform file.
        target: where the staged Parquet goes (a file on DuckDB, a folder on Spark).
        inputs: the input port names.

    Returns:
        The staged data's path.

    Raises:
        TransformError: the module has no ``transform`` function, it raised, or it returned something
            that is not a relation of the engine, Arrow data or a DataFrame.
    """
    from sqlglot import exp

    from quanta.engine import table_expression

    function = _load_function(path)
    if hasattr(engine, "lose_track"):  # the function may create anything through its relations
        engine.lose_track()
    names = list(inputs)
    arguments: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "connection":
            arguments["connection"] = engine.connection
        elif parameter.name in names:
            arguments[parameter.name] = engine.table(parameter.name)
        elif parameter.kind is parameter.VAR_KEYWORD:
            arguments.update({n: engine.table(n) for n in names if n not in arguments})
        elif parameter.default is parameter.empty:
            raise TransformError(
                f"{path}: transform() parameter {parameter.name!r} is not an input port "
                f"(input ports: {', '.join(names) or 'none'}; `connection` gives the engine's connection)"
            )
    try:
        result = function(**arguments)
    except Exception as error:
        raise TransformError(f"{path}: transform() raised {type(error).__name__}: {error}") from error
    if engine.dialect == "duckdb" and type(result).__name__ == "RecordBatchReader":
        return _write_reader(path, result, target)
    try:
        engine.register(_RESULT, _registrable(path, result))
        return engine.write_parquet(
            exp.select("*").from_(table_expression(_RESULT)).sql(engine.dialect), target
        )
    except QuantaError as error:
        raise TransformError(f"{path}: {error.message}") from None
    finally:
        engine.drop(_RESULT)


def _load_function(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"quanta_transform_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise TransformError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise TransformError(f"{path}: importing it raised {type(error).__name__}: {error}") from error
    function = getattr(module, "transform", None)
    if not callable(function):
        raise TransformError(f"{path}: define a function `transform(<input ports>...)` returning the output")
    return function


def _write_reader(path: Path, reader: Any, target: Path) -> Path:
    """Stream a transform's ``pyarrow.RecordBatchReader`` into the staged Parquet file with pyarrow.

    A reader often pulls from a result still open on the engine's own DuckDB connection
    (``relation.to_arrow_reader()``), and DuckDB cannot start the COPY of :meth:`write_parquet` on that
    connection until the result is drained; pyarrow writes the batches as they come instead.
    """
    import pyarrow.parquet as pq

    try:
        with pq.ParquetWriter(target, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    except Exception as error:  # the reader runs the transform's own query as it streams
        raise TransformError(
            f"{path}: reading the returned batches raised {type(error).__name__}: {error}"
        ) from error
    return Path(target)


def _registrable(path: Path, result: Any) -> Any:
    """A transform's result as something every engine registers: its own relation, or Arrow data."""
    module = type(result).__module__.split(".")[0]
    if module in ("duckdb", "pyarrow", "pyspark"):
        return result
    if module == "polars":
        return result.to_arrow()
    if module == "pandas":
        import pyarrow as pa

        return pa.Table.from_pandas(result, preserve_index=False)
    raise TransformError(
        f"{path}: transform() returned {type(result).__name__}; return a relation of the engine (DuckDB "
        "relation, Spark DataFrame), a pyarrow Table or RecordBatchReader, or a Polars or pandas DataFrame"
    )

"""Running a product's transform into the staging area: one Parquet file per output port.

The staged file is what the gate tests and what publishing commits; it lives under the storage's staging
folder (``quanta.storage.staging_path``) until the run ends, and an interrupted run's folder is removed by
reconciliation.

* SQL (``transforms/<port>.sql``): one DuckDB ``SELECT`` (CTEs allowed). It is parsed with sqlglot before
  it runs: only a query is accepted, every table it reads must be an input port (or one of its own CTEs),
  and table functions (``read_csv``, ``read_parquet``...) are refused, so a transform reads nothing but its
  declared inputs.
* Python (``transforms/<port>.py``): a function ``transform`` called with one keyword argument per input
  port (a DuckDB relation named after the port); a parameter called ``connection`` receives the DuckDB
  connection. It returns a DuckDB relation, a pyarrow Table or RecordBatchReader, or a Polars or pandas
  DataFrame.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quanta.errors import QuantaError


class TransformError(QuantaError):
    """A transform is invalid or failed; the message names the file."""


def check_sql(path: Path, sql: str, inputs: Iterable[str]) -> Any:
    """Parse and check a SQL transform.

    Args:
        path: the transform file (for messages).
        sql: its text.
        inputs: the input port names it may read.

    Returns:
        The parsed sqlglot query expression.

    Raises:
        TransformError: not one SELECT, a table that is not an input port, or a table function.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as error:
        raise TransformError(f"{path}: not valid DuckDB SQL: {error}") from None
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


def stage_sql(connection: Any, path: Path, target: Path, inputs: Iterable[str]) -> None:
    """Run the SQL transform at ``path`` and write its result to the Parquet file ``target``.

    Raises:
        TransformError: the SQL is refused by :func:`check_sql` or fails in DuckDB.
    """
    import duckdb

    query = check_sql(path, path.read_text(encoding="utf-8"), inputs)
    try:
        connection.sql(query.sql("duckdb")).write_parquet(str(target))
    except duckdb.Error as error:
        raise TransformError(f"{path}: {error}") from None


def stage_python(connection: Any, path: Path, target: Path, inputs: Iterable[str]) -> None:
    """Run the Python transform at ``path`` and write its result to the Parquet file ``target``.

    Raises:
        TransformError: the module has no ``transform`` function, it raised, or it returned something
            that is not a relation, Arrow data or a DataFrame.
    """
    import duckdb

    function = _load_function(path)
    names = list(inputs)
    arguments: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "connection":
            arguments["connection"] = connection
        elif parameter.name in names:
            arguments[parameter.name] = connection.table(parameter.name)
        elif parameter.kind is parameter.VAR_KEYWORD:
            arguments.update({n: connection.table(n) for n in names if n not in arguments})
        elif parameter.default is parameter.empty:
            raise TransformError(
                f"{path}: transform() parameter {parameter.name!r} is not an input port "
                f"(input ports: {', '.join(names) or 'none'}; `connection` gives the DuckDB connection)"
            )
    try:
        result = function(**arguments)
    except Exception as error:
        raise TransformError(f"{path}: transform() raised {type(error).__name__}: {error}") from error
    relation = _as_relation(connection, path, result)
    try:
        relation.write_parquet(str(target))
    except duckdb.Error as error:
        raise TransformError(f"{path}: {error}") from None


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


def _as_relation(connection: Any, path: Path, result: Any) -> Any:
    import duckdb

    if isinstance(result, duckdb.DuckDBPyRelation):
        return result
    module = type(result).__module__.split(".")[0]
    if module == "pyarrow":
        return connection.from_arrow(result)
    if module == "polars":
        return connection.from_arrow(result.to_arrow())
    if module == "pandas":
        return connection.from_df(result)
    raise TransformError(
        f"{path}: transform() returned {type(result).__name__}; return a DuckDB relation, a pyarrow Table "
        "or RecordBatchReader, or a Polars or pandas DataFrame"
    )

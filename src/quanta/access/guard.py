"""The query guard: the first of the two locks on a consumer's SQL.

Before anything runs, :func:`guard` parses the statement with sqlglot (DuckDB dialect) and refuses, with a
:class:`QueryRefused` that says why and what to do instead:

- anything but exactly one read query (``SELECT``, ``WITH ... SELECT``, ``FROM``-first, ``VALUES``,
  set operations): ``COPY``, ``ATTACH``, ``INSTALL``/``LOAD``, ``PRAGMA``, ``SET``, DDL, DML, ``SELECT ...
  INTO`` and multiple statements;
- table functions (``read_csv``, ``read_parquet``, ``read_text``, ``glob``, ``query``, ``range`` ...), the
  DuckDB file-reading shorthand ``FROM 'file.csv'``, and any call of a function that reads files, settings
  or the catalog (every DuckDB table function and a list of extension readers);
- system catalogs (``information_schema``, ``pg_catalog``, ``duckdb_*``, ``sqlite_master`` ...);
- any table that is not a port named ``domain.product.port`` (optionally ``@vN`` for the Delta version N
  or ``AS OF '<build id or timestamp>'`` for time travel) or a CTE defined in the statement.

What runs afterwards is not the consumer's text but the statement sqlglot understood, rewritten by
:meth:`GuardedStatement.rewrite` so that each port reads a relation registered in the sandbox
(:mod:`quanta.engine.sandbox`) — so the parser and the engine cannot disagree about what is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from quanta.errors import AccessDenied

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["GuardedStatement", "PortRef", "QueryRefused", "guard", "statement_hash"]

#: Longest statement accepted (characters); parsing is linear but a consumer should not make it costly.
MAX_STATEMENT_CHARS = 100_000
#: Prefix of the relation names registered in the sandbox; user SQL may not name anything with it.
RESERVED_PREFIX = "__quanta"

#: Schemas and catalogs that expose DuckDB's (or a compatible engine's) internals.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "system", "temp", "main", "memory"})
SYSTEM_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "pg_tables", "pg_class"})

#: Function names refused anywhere in a statement, in addition to DuckDB's own table functions.
DENIED_FUNCTIONS = frozenset(
    {
        "getenv",
        "glob",
        "query",
        "query_table",
        "sniff_csv",
        "read_text",
        "read_blob",
        "delta_scan",
        "iceberg_scan",
        "iceberg_metadata",
        "iceberg_snapshots",
        "postgres_scan",
        "postgres_query",
        "postgres_attach",
        "sqlite_scan",
        "sqlite_attach",
        "mysql_scan",
        "mysql_query",
        "http_get",
        "http_post",
        "st_read",
        "read_xlsx",
        "load_aws_credentials",
        "which_secret",
        "json_execute_serialized_sql",
    }
)
_DENIED_PATTERNS = re.compile(
    r"^(read_.*|.*_scan|.*_scan_.*|duckdb_.*|pragma_.*|parquet_.*|sqlite_.*|postgres_.*|mysql_.*|"
    r"iceberg_.*|delta_.*|.*_attach|.*secret.*|.*extension.*|.*logging.*|.*profiling.*)$"
)
#: DuckDB table functions that are harmless as scalar expressions.
_SCALAR_TOO = frozenset({"unnest", "repeat", "range", "generate_series", "json_each", "json_tree"})

_VERSION_TOKEN = re.compile(r"^[vV](\d+)$")
#: Cheap pre-check: only statements containing ``@`` or the word ``of`` may use time travel syntax.
_MAY_TIME_TRAVEL = re.compile(r"@|\bof\b", re.IGNORECASE)


class _QuietCommandFallback(logging.Filter):
    """Drop sqlglot's "falling back to parsing as a Command" warning: the guard refuses those anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but the fallback warning."""
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_QuietCommandFallback())


class QueryRefused(AccessDenied):
    """The statement is not a read of authorised ports; the message says what is refused and why."""


@dataclass(frozen=True, slots=True, order=True)
class PortRef:
    """One port named by a statement, with the version selector it was read at.

    Attributes:
        domain: the domain folder name, lower case.
        product: the product folder name, lower case.
        port: the output port name, lower case.
        version: the Delta table version (``@vN``), or ``None`` for the latest.
        as_of: a build id or an ISO timestamp (``AS OF '...'``), or ``None``.
    """

    domain: str
    product: str
    port: str
    version: int | None = None
    as_of: str | None = None

    @property
    def name(self) -> str:
        """``domain.product.port`` (without version selector)."""
        return f"{self.domain}.{self.product}.{self.port}"

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@v{self.version}"
        if self.as_of is not None:
            return f"{self.name} AS OF '{self.as_of}'"
        return self.name


@dataclass(slots=True)
class GuardedStatement:
    """A statement that passed the guard: the parsed tree and the ports it reads.

    Attributes:
        statement: the text as given.
        expression: the parsed query (sqlglot tree).
        ports: the distinct port references, in order of first appearance.
        columns: the column names referenced anywhere in the statement (lower case); ``"*"`` when a star
            selects every column.
    """

    statement: str
    expression: exp.Expression
    ports: tuple[PortRef, ...]
    columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def hash(self) -> str:
        """SHA-256 of the statement text (what the audit log records)."""
        return statement_hash(self.statement)

    def port_names(self) -> tuple[str, ...]:
        """The distinct ``domain.product.port`` names the statement reads."""
        return tuple(dict.fromkeys(ref.name for ref in self.ports))

    def columns_of(self, available: list[str]) -> list[str]:
        """Return which of a port's ``available`` columns the statement may read (all of them for ``*``)."""
        if "*" in self.columns:
            return list(available)
        return [name for name in available if name.lower() in self.columns]

    def rewrite(self, relations: Mapping[PortRef, str], *, in_place: bool = False) -> str:
        """Return the DuckDB SQL to run, with each port replaced by its sandbox relation.

        A port without an alias keeps its port name as alias so that ``port.column`` still resolves;
        fully qualified columns (``domain.product.port.column``) are rewritten to that alias.

        Args:
            relations: the sandbox relation name of every reference in :attr:`ports`.
            in_place: rewrite :attr:`expression` itself instead of a copy (faster; the statement can
                then not be rewritten again).

        Returns:
            The statement as DuckDB SQL.
        """
        from sqlglot import exp

        tree = self.expression if in_place else self.expression.copy()
        port_names = [ref.port for ref in self.ports]
        aliases: dict[tuple[str, str, str], str] = {}
        for table in list(tree.find_all(exp.Table)):
            ref = _table_ref(table)
            if ref is None:
                continue
            relation = relations[ref]
            alias = table.alias
            if not alias:
                alias = ref.port if port_names.count(ref.port) == 1 else relation
            aliases[(ref.domain, ref.product, ref.port)] = alias
            replacement = exp.Table(this=exp.to_identifier(relation, quoted=True))
            alias_node = table.args.get("alias")
            if alias_node is not None:
                replacement.set("alias", alias_node.copy())
            elif alias != relation:
                replacement.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
            for key in ("joins", "laterals", "pivots", "sample", "hints"):
                if table.args.get(key):
                    replacement.set(key, table.args[key])
            table.replace(replacement)
        for column in tree.find_all(exp.Column):
            parts = (column.args.get("catalog"), column.args.get("db"), column.args.get("table"))
            if parts[0] is None or parts[1] is None:
                continue
            key = tuple(part.name.lower() for part in parts)
            if key in aliases:
                column.set("catalog", None)
                column.set("db", None)
                column.set("table", exp.to_identifier(aliases[key], quoted=True))
        return tree.sql(dialect="duckdb")


def statement_hash(statement: str) -> str:
    """Return the hex SHA-256 of ``statement`` (UTF-8), as recorded in the audit log."""
    import hashlib

    return hashlib.sha256(statement.encode("utf-8")).hexdigest()


def guard(statement: str) -> GuardedStatement:
    """Parse and check one consumer statement; see the module docstring for every rule.

    Args:
        statement: the SQL text (DuckDB dialect) with ports named ``domain.product.port``.

    Returns:
        The checked statement and the ports it reads (authorisation is the caller's next step).

    Raises:
        QueryRefused: the statement is empty, cannot be parsed, or breaks a rule; the message names the
            construct and the fix.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    if not statement or not statement.strip():
        raise QueryRefused("the statement is empty: give one SELECT over ports named domain.product.port")
    if len(statement) > MAX_STATEMENT_CHARS:
        raise QueryRefused(
            f"the statement is {len(statement)} characters long; the limit is {MAX_STATEMENT_CHARS}: "
            "query less at a time"
        )
    try:
        text = _normalise_time_travel(statement) if _MAY_TIME_TRAVEL.search(statement) else statement
        trees = [tree for tree in sqlglot.parse(text, read="duckdb") if tree is not None]
    except (ParseError, TokenError) as error:
        raise QueryRefused(f"the statement cannot be parsed as DuckDB SQL: {_first_line(error)}") from None
    if not trees:
        raise QueryRefused("the statement is empty: give one SELECT over ports named domain.product.port")
    if len(trees) > 1:
        raise QueryRefused(
            f"multiple statements are not allowed ({len(trees)} found): send one read query at a time"
        )
    tree = trees[0]
    if not isinstance(tree, exp.Query | exp.Values):
        raise QueryRefused(
            f"only read queries are allowed (SELECT, WITH ... SELECT, FROM ..., VALUES), not "
            f"{_describe(tree)}"
        )
    _check_nodes(tree)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    ports: list[PortRef] = []
    for table in tree.find_all(exp.Table):
        ref = _check_table(table, ctes)
        if ref is not None and ref not in ports:
            ports.append(ref)
    # Every identifier (columns, USING keys, aliases...) counts: a superset of the columns read is safe.
    columns = {node.name.lower() for node in tree.find_all(exp.Identifier) if node.name}
    if any(isinstance(node, exp.Star) and not isinstance(node.parent, exp.Func) for node in tree.walk()):
        columns.add("*")
    return GuardedStatement(statement, tree, tuple(ports), frozenset(columns))


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _describe(node: exp.Expression) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Command):
        return f"{str(node.this).upper()} (an engine command)"
    return node.key.upper()


def _normalise_time_travel(statement: str) -> str:
    """Rewrite ``port@vN`` and ``port AS OF x`` into the ``FOR VERSION|TIMESTAMP AS OF`` sqlglot parses.

    Works on sqlglot's tokens (never on raw text), so strings and comments are left alone.
    """
    from sqlglot.dialects.duckdb import DuckDB
    from sqlglot.tokens import TokenType

    tokens = DuckDB().tokenize(statement)
    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.token_type == TokenType.PARAMETER and token.text == "@":
            match = _VERSION_TOKEN.match(following.text)
            if following.token_type == TokenType.VAR and match:
                edits.append((token.start, following.end + 1, f" FOR VERSION AS OF {int(match.group(1))}"))
        elif (
            token.token_type == TokenType.ALIAS
            and following.token_type == TokenType.VAR
            and following.text.upper() == "OF"
        ):
            edits.append((token.start, following.end + 1, "FOR TIMESTAMP AS OF"))
    for start, end, replacement in reversed(edits):
        statement = statement[:start] + replacement + statement[end:]
    return statement


def _refused_node_types() -> tuple[type, ...]:
    from sqlglot import exp

    names = (
        "Command",
        "Copy",
        "Attach",
        "Detach",
        "Install",
        "Pragma",
        "Set",
        "SetItem",
        "Use",
        "Into",
        "Create",
        "Drop",
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Alter",
        "AlterColumn",
        "TruncateTable",
        "Transaction",
        "Commit",
        "Rollback",
        "Export",
        "LoadData",
        "Describe",
        "Summarize",
        "Show",
        "Placeholder",
        "Parameter",
        "SessionParameter",
    )
    return tuple(getattr(exp, name) for name in names if hasattr(exp, name))


def _check_nodes(tree: exp.Expression) -> None:
    from sqlglot import exp

    refused = _refused_node_types()
    for node in tree.walk():
        if isinstance(node, refused):
            if isinstance(node, exp.Placeholder | exp.Parameter):
                raise QueryRefused("query parameters ($1, ?, @x) are not supported: write the values inline")
            raise QueryRefused(f"{_describe(node)} is not allowed inside a read query")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name and _is_denied_function(name) and not isinstance(node.parent, exp.Table):
                raise QueryRefused(
                    f"the function {name}() reads files, settings or the catalog and is not allowed: "
                    f"query ports as tables named domain.product.port"
                )
        if isinstance(node, exp.Identifier) and node.name.lower().startswith(RESERVED_PREFIX):
            raise QueryRefused(f"names starting with {RESERVED_PREFIX!r} are reserved by Quanta")


def _function_name(node: exp.Func) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _is_denied_function(name: str) -> bool:
    if name in _SCALAR_TOO:
        return False
    return name in DENIED_FUNCTIONS or name in _duckdb_table_functions() or bool(_DENIED_PATTERNS.match(name))


@cache
def _duckdb_table_functions() -> frozenset[str]:
    """Every table, table-macro and pragma function of the installed DuckDB (asked once)."""
    import duckdb

    with duckdb.connect(":memory:") as connection:
        rows = connection.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('table', 'table_macro', 'pragma')"
        ).fetchall()
    return frozenset(row[0] for row in rows)


def _check_table(table: exp.Table, ctes: set[str]) -> PortRef | None:
    """Return the port a table node names, ``None`` for a CTE, or raise for anything else."""
    from sqlglot import exp

    if not isinstance(table.this, exp.Identifier):
        name = _function_name(table.this) if isinstance(table.this, exp.Func) else table.this.sql()
        raise QueryRefused(
            f"table functions such as {name}() are not allowed: query ports as tables named "
            f"domain.product.port"
        )
    parts = [part.name for part in table.parts]
    lowered = [part.lower() for part in parts]
    if len(parts) == 1 and lowered[0] in ctes and table.args.get("version") is None:
        return None
    if (
        any(part in SYSTEM_SCHEMAS for part in lowered[:-1])
        or lowered[-1] in SYSTEM_TABLES
        or any(part.startswith(("duckdb_", "pg_", "sqlite_")) for part in lowered)
    ):
        raise QueryRefused(
            f"system catalogs are not available ({'.'.join(parts)}): use `quanta access list` or the "
            f"marketplace to see which ports you may query"
        )
    if len(parts) == 1 and ("/" in parts[0] or "." in parts[0] or ":" in parts[0]):
        raise QueryRefused(
            f"reading files is not allowed ({parts[0]!r}): query ports named domain.product.port"
        )
    if len(parts) != 3:
        raise QueryRefused(
            f"unknown table {'.'.join(parts)!r}: a table must be a port named domain.product.port "
            f"(optionally port@vN or port AS OF '<build>') or a CTE of the statement"
        )
    return _table_ref(table)


def _table_ref(table: exp.Table) -> PortRef | None:
    from sqlglot import exp

    if not isinstance(table.this, exp.Identifier):
        return None
    parts = [part.name.lower() for part in table.parts]
    if len(parts) != 3:
        return None
    version: int | None = None
    as_of: str | None = None
    travel = table.args.get("version")
    if travel is not None:
        value = travel.expression
        if not isinstance(value, exp.Literal):
            raise QueryRefused(f"time travel needs a literal version or build id, not {value.sql()!r}")
        if str(travel.this).upper() == "VERSION":
            if value.is_string or not str(value.this).isdigit():
                raise QueryRefused(f"a port version is a whole number (port@v3), not {value.sql()!r}")
            version = int(value.this)
        else:
            as_of = str(value.this)
    return PortRef(parts[0], parts[1], parts[2], version, as_of)

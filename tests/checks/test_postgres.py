"""The PostgreSQL path: compiled SQL pushed down to a real PostgreSQL server started by the test setup.

The flights table is loaded into PostgreSQL with ``COPY``; the same contract is tested there and on
DuckDB, and both must agree with the independent DuckDB answers.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, flights_properties, result

pytestmark = pytest.mark.postgres

COLUMNS = (
    "year integer, month integer, day integer, dep_time integer, sched_dep_time integer, "
    "dep_delay integer, arr_time integer, sched_arr_time integer, arr_delay integer, carrier text, "
    "flight integer, tailnum text, origin text, dest text, air_time integer, distance integer, "
    "hour integer, minute integer, "
    "time_hour timestamptz"
)


@pytest.fixture()
def pg_server(postgres_url, nycflights, monkeypatch):
    """A PostgreSQL ``servers`` entry whose database holds ``public.flights``; the user comes from the env."""
    import psycopg

    url = urlparse(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as con:
        con.execute(f"CREATE TABLE public.flights ({COLUMNS})")
        with (
            con.cursor().copy(
                "COPY public.flights FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NA')"
            ) as copy,
            open(nycflights["flights"], "rb") as source,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
    monkeypatch.setenv("QUANTA_POSTGRES_USER", url.username)
    monkeypatch.delenv("QUANTA_POSTGRES_PASSWORD", raising=False)
    return {
        "server": "pg",
        "type": "postgresql",
        "host": url.hostname,
        "port": url.port,
        "database": url.path.lstrip("/"),
        "schema": "public",
    }


def postgres_contract(server):
    properties = flights_properties(
        year={"required": True},
        month={"logicalTypeOptions": {"minimum": 1, "maximum": 12}},
        carrier={"logicalTypeOptions": {"pattern": "^[A-Z0-9]{2}$", "maxLength": 2}},
        tailnum={
            "quality": [
                {"id": "tail-nulls", "metric": "nullValues", "mustBeLessThan": 0.5, "unit": "percent"}
            ]
        },
        origin={
            "quality": [
                {
                    "id": "origin",
                    "metric": "invalidValues",
                    "arguments": {"validValues": ["JFK", "LGA"]},
                    "mustBe": 0,
                }
            ]
        },
        dep_time={"quality": [{"id": "missing", "metric": "missingValues", "mustBeLessThan": 10000}]},
        dest={"quality": [{"id": "dest-dupes", "metric": "duplicateValues", "mustBe": 0}]},
    )
    quality = [
        {"id": "rows", "metric": "rowCount", "mustBeBetween": [336776, 336776]},
        {
            "id": "key",
            "metric": "duplicateValues",
            "arguments": {"properties": ["time_hour", "carrier", "flight"]},
            "mustBe": 0,
        },
        {
            "id": "sql",
            "type": "sql",
            "query": "SELECT COUNT(*) FROM {object} WHERE arr_delay > 600",
            "mustBe": 0,
        },
    ]
    sla = [
        {"id": "latency", "property": "latency", "value": 1, "unit": "d", "element": "flights.time_hour"},
        {"id": "frequency", "property": "frequency", "value": 1, "unit": "d", "element": "flights.time_hour"},
        {"id": "av", "property": "availability", "value": 99.9, "unit": "percent"},
    ]
    return contract(properties=properties, quality=quality, sla=sla, servers=[server])


def test_contract_runs_inside_postgres_and_agrees_with_duckdb(pg_server, flights_parquet, oracle):
    now = dt.datetime(2014, 1, 1, 12, tzinfo=dt.UTC)
    text = postgres_contract(pg_server)
    on_pg = run_contract(text, now=now, samples=2)
    on_duckdb = run_contract(text, data=flights_parquet, now=now, samples=2)
    assert on_pg.dialect == "postgres" and on_pg.server == "pg"
    assert all("public" in q for q in on_pg.queries if "quanta_rows" in q)
    fused = [q for q in on_pg.queries if "quanta_rows" in q]
    assert len(fused) == 1
    for pg, duck in zip(on_pg.results, on_duckdb.results, strict=True):
        assert pg.rule_id == duck.rule_id
        if pg.kind in ("field_type",):
            continue  # actual type names differ (int32 vs int64); both must pass
        assert pg.status == duck.status, (pg.rule_id, pg.reason, duck.reason)
        if isinstance(pg.value, int | float) and pg.kind != "availability":
            assert pg.value == pytest.approx(duck.value), pg.rule_id
    assert all(r.status == "passed" for r in on_pg.results if r.kind == "field_type")
    checks = {
        "tail-nulls": oracle("SELECT (COUNT(*) - COUNT(tailnum)) * 100.0 / COUNT(*) FROM flights"),
        "origin": oracle("SELECT COUNT(*) FROM flights WHERE origin NOT IN ('JFK', 'LGA')"),
        "missing": oracle("SELECT COUNT(*) FROM flights WHERE dep_time IS NULL"),
        "dest-dupes": oracle("SELECT COUNT(dest) - COUNT(DISTINCT dest) FROM flights"),
        "flights.carrier.pattern": 0,
        "key": 0,
        "rows": 336776,
        "sql": oracle("SELECT COUNT(*) FROM flights WHERE arr_delay > 600"),
    }
    for rule_id, expected in checks.items():
        assert result(on_pg, rule_id).value == pytest.approx(expected), rule_id
    assert result(on_pg, "origin").status == "failed"
    assert len(result(on_pg, "origin").samples) == 2
    assert all(s["origin"] == "EWR" for s in result(on_pg, "origin").samples)
    assert result(on_pg, "latency").status == "passed"
    assert result(on_pg, "frequency").status == "passed"
    assert result(on_pg, "av.pg").status == "passed"


def test_credentials_come_from_the_environment(pg_server, monkeypatch):
    from quanta.errors import ConnectionFailed

    monkeypatch.setenv("QUANTA_POSTGRES_USER", "nobody_here")
    with pytest.raises(ConnectionFailed, match="QUANTA_POSTGRES_USER"):
        run_contract(contract(properties=[{"name": "year"}], servers=[pg_server]))

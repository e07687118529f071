"""The honest findings of the example mesh, counted by independent DuckDB queries over the extracted source
files, and declared by the contracts with the rule and severity the build must report them with."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.example.support import ExampleMesh, custom, rule_metric, rule_passes, scalar


@pytest.fixture(scope="module")
def raw(example_dir: Path) -> duckdb.DuckDBPyConnection:
    """The five extracted CSVs as views flights, planes, airports, airlines, weather."""
    con = duckdb.connect()
    for table in ("flights", "planes", "airports", "airlines", "weather"):
        con.read_csv(str(example_dir / "sources" / f"{table}.csv")).create_view(table)
    return con


def _property(mesh: ExampleMesh, contract_id: str, name: str) -> dict:
    (obj,) = mesh.contracts[contract_id]["schema"]
    (prop,) = [p for p in obj["properties"] if p["name"] == name]
    return prop


def _relationship(mesh: ExampleMesh, contract_id: str, prop: str, to: str) -> dict:
    (rel,) = [r for r in _property(mesh, contract_id, prop).get("relationships", []) if r["to"] == to]
    return rel


def _rule(mesh: ExampleMesh, contract_id: str, prop: str, rule_id: str) -> dict:
    (rule,) = [r for r in _property(mesh, contract_id, prop).get("quality", []) if r["id"] == rule_id]
    return rule


def test_tailnum_missing_from_the_aircraft_registry(raw, mesh: ExampleMesh) -> None:
    rows, tails = raw.execute(
        "SELECT COUNT(*), COUNT(DISTINCT tailnum) FROM flights "
        "WHERE tailnum IS NOT NULL AND tailnum NOT IN (SELECT tailnum FROM planes)"
    ).fetchall()[0]
    assert (rows, tails) == (50_094, 721)
    # Two airlines report fleet numbers: American Airlines and Envoy Air hold most of the misses.
    by_carrier = dict(
        raw.execute(
            "SELECT carrier, COUNT(*) FROM flights WHERE tailnum IS NOT NULL "
            "AND tailnum NOT IN (SELECT tailnum FROM planes) GROUP BY carrier"
        ).fetchall()
    )
    assert by_carrier["MQ"] + by_carrier["AA"] == 47_869
    rel = _relationship(mesh, "operations.flights.flights", "tailnum", "aircraft.tailnum")
    assert custom(rel, "quantaContractId") == "fleet.aircraft.aircraft"
    assert custom(rel, "quantaSeverity") == "warning"
    assert custom(rel, "quantaRuleId") == "flights_tailnum_aircraft"


def test_destinations_missing_from_the_airport_list(raw, mesh: ExampleMesh) -> None:
    rows, airports = raw.execute(
        "SELECT COUNT(*), list(DISTINCT dest ORDER BY dest) FROM flights "
        "WHERE dest NOT IN (SELECT faa FROM airports)"
    ).fetchall()[0]
    assert rows == 7_602 and airports == ["BQN", "PSE", "SJU", "STT"]
    rel = _relationship(mesh, "operations.flights.flights", "dest", "airports.faa")
    assert custom(rel, "quantaContractId") == "reference.airports.airports"
    assert custom(rel, "quantaSeverity") == "warning"
    assert custom(rel, "quantaRuleId") == "flights_dest_airport"


def test_the_other_relationships_hold(raw, mesh: ExampleMesh) -> None:
    origin = "SELECT COUNT(*) FROM flights WHERE origin NOT IN (SELECT faa FROM airports)"
    carrier = "SELECT COUNT(*) FROM flights WHERE carrier NOT IN (SELECT carrier FROM airlines)"
    station = "SELECT COUNT(*) FROM weather WHERE origin NOT IN (SELECT faa FROM airports)"
    assert [scalar(raw, sql) for sql in (origin, carrier, station)] == [0, 0, 0]
    for cid, prop, to in (
        ("operations.flights.flights", "origin", "airports.faa"),
        ("operations.flights.flights", "carrier", "airlines.carrier"),
        ("climate.airport_weather.airport_weather", "origin", "airports.faa"),
    ):
        assert custom(_relationship(mesh, cid, prop, to), "quantaSeverity") == "error"


def test_cancelled_flights_have_no_departure_time_and_the_percent_rule_passes(raw, mesh) -> None:
    cancelled, total = raw.execute(
        "SELECT COUNT(*) FILTER (WHERE dep_time IS NULL), COUNT(*) FROM flights"
    ).fetchall()[0]
    assert (cancelled, total) == (8_255, 336_776)
    rule = _rule(mesh, "operations.flights.flights", "dep_time", "flights_dep_time_cancelled_share")
    assert rule["metric"] == "nullValues" and rule["unit"] == "percent"
    assert rule_passes(100.0 * cancelled / total, rule)  # 2.45% < 3%
    raw.execute("CREATE OR REPLACE VIEW f AS SELECT dep_time FROM flights")
    assert rule_metric(raw, "f", "dep_time", rule) == pytest.approx(2.4511841698933416)


def test_one_weather_reading_has_an_impossible_wind_speed(raw, mesh: ExampleMesh) -> None:
    readings = raw.execute(
        "SELECT origin, time_hour, wind_speed FROM weather WHERE wind_speed NOT BETWEEN 0 AND 100"
    ).fetchall()
    assert len(readings) == 1
    origin, time_hour, speed = readings[0]
    assert (origin, round(speed)) == ("EWR", 1_048)
    assert time_hour.isoformat() == "2013-02-12T08:00:00+00:00"
    # Every other reading is at most 42.6 mph, as the rule's description says.
    assert scalar(raw, "SELECT MAX(wind_speed) FROM weather WHERE wind_speed <= 100") == pytest.approx(
        42.57886
    )
    rule = _rule(
        mesh, "climate.airport_weather.airport_weather", "wind_speed", "airport_weather_wind_speed_range"
    )
    assert (rule["type"], rule["severity"], rule["mustBe"]) == ("sql", "warning", 0)
    assert not rule_passes(len(readings), rule)


def test_four_flights_have_a_tail_number_that_is_not_a_us_registration(raw, mesh: ExampleMesh) -> None:
    rows = raw.execute(
        "SELECT tailnum, COUNT(*) FROM flights "
        "WHERE tailnum IS NOT NULL AND NOT regexp_full_match(tailnum, '^N[0-9A-Z]+$') GROUP BY tailnum"
    ).fetchall()
    assert rows == [("D942DN", 4)]
    rule = _rule(mesh, "operations.flights.flights", "tailnum", "flights_tailnum_format")
    assert rule["arguments"]["pattern"] == "^N[0-9A-Z]+$"
    assert (rule["metric"], rule["severity"], rule["mustBe"]) == ("invalidValues", "warning", 0)

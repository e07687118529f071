"""Foreign keys (ODCS v3.1 ``relationships``) inside one contract and across contracts of a mesh."""

from __future__ import annotations

from quanta.checks.api import test_contract as run_contract
from tests.checks.helpers import contract, result


def objects(nycflights):
    flights = {
        "name": "flights",
        "properties": [
            {"name": "carrier", "relationships": [{"to": "airlines.carrier"}]},
            {"name": "tailnum", "relationships": [{"id": "tail", "to": "planes.tailnum"}]},
            {"name": "origin"},
            {"name": "dest"},
        ],
        "relationships": [
            {"id": "origin", "type": "foreignKey", "from": "flights.origin", "to": "airports.faa"},
            {"id": "dest", "from": ["flights.dest"], "to": ["airports.faa"]},
        ],
    }
    airlines = {"name": "airlines", "properties": [{"name": "carrier"}, {"name": "name"}]}
    planes = {"name": "planes", "properties": [{"name": "tailnum"}]}
    airports = {"name": "airports", "properties": [{"name": "faa"}]}
    return [flights, airlines, planes, airports]


def test_foreign_keys_within_one_contract(nycflights, oracle):
    unknown_tail = oracle(
        "SELECT COUNT(*) FROM flights f WHERE tailnum IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM planes p WHERE p.tailnum = f.tailnum)"
    )
    unknown_dest = oracle(
        "SELECT COUNT(*) FROM flights f WHERE NOT EXISTS (SELECT 1 FROM airports a WHERE a.faa = f.dest)"
    )
    data = {name: nycflights[name] for name in ("flights", "airlines", "planes", "airports")}
    report = run_contract(contract(objects=objects(nycflights)), data=data, samples=2)
    assert result(report, "flights.carrier.relationship.0").value == 0
    assert result(report, "flights.carrier.relationship.0").status == "passed"
    assert result(report, "origin").status == "passed"
    tail = result(report, "tail")
    assert tail.value == unknown_tail > 0
    assert tail.status == "failed"
    assert len(tail.samples) == 2 and all(s["tailnum"] for s in tail.samples)
    dest = result(report, "dest")
    assert dest.value == unknown_dest > 0
    assert dest.status == "failed"
    assert dest.dimension == "consistency"


def test_foreign_key_to_another_contract_of_the_mesh(nycflights, oracle):
    """``to`` names an object of another contract; its data comes through ``related``."""
    flights = {
        "name": "flights",
        "properties": [
            {
                "name": "carrier",
                "relationships": [{"id": "airline", "to": "source.nycflights13.airlines.carrier"}],
            },
            {"name": "tailnum", "relationships": [{"id": "plane", "to": "planes.tailnum"}]},
        ],
    }
    unknown_tail = oracle(
        "SELECT COUNT(*) FROM flights f WHERE tailnum IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM planes p WHERE p.tailnum = f.tailnum)"
    )
    related = {"source.nycflights13.airlines": nycflights["airlines"], "planes": nycflights["planes"]}
    report = run_contract(contract(objects=[flights]), data=nycflights["flights"], related=related)
    assert result(report, "airline").status == "passed"
    assert result(report, "plane").value == unknown_tail
    assert result(report, "plane").status == "failed"

    report = run_contract(contract(objects=[flights]), data=nycflights["flights"])
    assert result(report, "airline").status == "not_evaluated"
    assert "related=" in result(report, "airline").reason

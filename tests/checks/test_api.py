"""``test_contract`` inputs: contract as object, path or text; data as path, folder, Arrow, relation or a
table of an injected engine (how a build gates staged data)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

import quanta
from quanta.checks.api import test_contract as run_contract
from quanta.engine import DuckDBEngine
from quanta.errors import UsageError
from quanta.spec import load_contract
from tests.checks.helpers import contract, result

PROPS = [{"name": "tailnum", "quality": [{"id": "nulls", "metric": "nullValues", "mustBe": 0}]}]


def test_contract_as_document_path_or_text(flights_parquet, tmp_path, oracle):
    text = contract(properties=PROPS)
    path = tmp_path / "flights.odcs.yaml"
    path.write_text(text)
    expected = oracle("SELECT COUNT(*) - COUNT(tailnum) FROM flights")
    for form in (text, path, str(path), load_contract(path)):
        report = quanta.test_contract(form, data=flights_parquet)
        assert result(report, "nulls").value == expected


def test_staged_arrow_relation_and_engine_table(flights_parquet, oracle):
    expected = oracle("SELECT COUNT(*) - COUNT(tailnum) FROM flights WHERE origin = 'JFK'")
    import pyarrow.compute as pc

    everything = pq.read_table(flights_parquet)
    table = everything.filter(pc.equal(everything["origin"], "JFK"))
    report = run_contract(contract(properties=PROPS), data=table)
    assert result(report, "nulls").value == expected

    engine = DuckDBEngine(memory_limit="1GB")
    relation = engine.connection.read_parquet(str(flights_parquet)).filter("origin = 'JFK'")
    report = run_contract(contract(properties=PROPS), data={"flights": relation}, engine=engine)
    assert result(report, "nulls").value == expected

    engine.register("staged_flights", relation)
    report = run_contract(contract(properties=PROPS), data={"flights": "staged_flights"}, engine=engine)
    assert result(report, "nulls").value == expected
    assert engine.query("SELECT 1 AS one").read_all().num_rows == 1  # the injected engine stays open
    engine.close()


def test_folder_with_one_file_per_object(nycflights, tmp_path, oracle):
    import shutil

    for name in ("airlines", "planes"):
        shutil.copyfile(nycflights[name], tmp_path / f"{name}.csv")
    objects = [
        {"name": "airlines", "properties": [{"name": "carrier", "required": True, "unique": True}]},
        {
            "name": "planes",
            "properties": [{"name": "tailnum", "unique": True}, {"name": "year"}],
            "quality": [
                {"id": "rows", "metric": "rowCount", "mustBe": oracle("SELECT COUNT(*) FROM planes")}
            ],
        },
    ]
    report = run_contract(contract(objects=objects), data=tmp_path)
    assert report.passed, [r.reason for r in report.blocking_failures]
    assert result(report, "rows").value == 3322
    assert len([q for q in report.queries if "quanta_rows" in q]) == 2  # one scan per object


def test_usage_errors(flights_parquet, tmp_path):
    with pytest.raises(UsageError, match="does not declare"):
        run_contract(contract(properties=PROPS), data={"airports": flights_parquet})
    with pytest.raises(UsageError, match="no servers"):
        run_contract(contract(properties=PROPS, servers=[]))
    with pytest.raises(UsageError, match="does not exist"):
        run_contract(tmp_path / "missing.odcs.yaml")
    with pytest.raises(UsageError, match="no server named"):
        run_contract(contract(properties=PROPS), server="prod")

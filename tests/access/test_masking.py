"""Masking and row filters, applied to real Delta snapshots before the consumer's sandbox sees them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from quanta.access.catalog import ColumnRule, PortInfo
from quanta.access.guard import QueryRefused
from quanta.access.masking import prepare_port, validate_row_filter


@pytest.fixture()
def snapshot(tmp_path: Path):
    from deltalake import DeltaTable, write_deltalake

    data = pa.table(
        {
            "id": [1, 2, 3, 4],
            "email": ["a@x.org", "b@x.org", None, "d@x.org"],
            "salary": [100.0, 200.0, 300.0, 400.0],
            "origin": ["JFK", "LGA", "JFK", "EWR"],
        }
    )
    write_deltalake(str(tmp_path / "t"), data)
    return DeltaTable(str(tmp_path / "t")).to_pyarrow_dataset()


PORT = PortInfo(
    "hr",
    "people",
    "people",
    "1.0.0",
    "hr.people.people",
    "1.0.0",
    "hr-team",
    "unused",
    (
        ColumnRule("id"),
        ColumnRule("email", True, "hash"),
        ColumnRule("salary", True, "null"),
        ColumnRule("origin"),
    ),
)


def test_sensitive_columns_are_hashed_or_nulled(snapshot) -> None:
    result = prepare_port(PORT, snapshot, columns=None, pii=False, salt="s")
    rows = result.data.read_all().to_pydict()
    assert rows["email"] == [
        hashlib.sha256(f"s{e}".encode()).hexdigest() if e else None
        for e in ["a@x.org", "b@x.org", None, "d@x.org"]
    ]
    assert rows["salary"] == [None, None, None, None]
    assert result.data.read_all().schema.field("salary").type == pa.float64()
    assert rows["origin"] == ["JFK", "LGA", "JFK", "EWR"]
    assert set(result.masked) == {"email", "salary"}


def test_pii_grant_shows_values(snapshot) -> None:
    result = prepare_port(PORT, snapshot, columns=None, pii=True)
    assert result.data.read_all().column("email").to_pylist()[0] == "a@x.org"
    assert result.masked == ()


def test_row_filters_keep_rows_matching_any_agreement(snapshot) -> None:
    result = prepare_port(PORT, snapshot, columns=["id"], pii=False, row_filters=["origin = 'JFK'", "id = 4"])
    assert sorted(result.data.read_all().column("id").to_pylist()) == [1, 3, 4]
    assert result.columns == ("id",)


def test_row_filter_on_a_masked_column_filters_on_the_real_value(snapshot) -> None:
    result = prepare_port(PORT, snapshot, columns=None, pii=False, row_filters=["salary > 250"])
    assert sorted(result.data.read_all().column("id").to_pylist()) == [3, 4]
    assert result.data.read_all().column("salary").to_pylist() == [None, None]


@pytest.mark.parametrize(
    "condition",
    [
        "id IN (SELECT 1)",
        "EXISTS (SELECT * FROM read_csv('/etc/passwd'))",
        "length(read_text('/etc/passwd')) > 0",
        "unknown_column = 1",
        "t.id = 1",
        "id = 1; DROP TABLE x",
    ],
)
def test_invalid_row_filters_are_refused(condition: str) -> None:
    with pytest.raises(QueryRefused):
        validate_row_filter(condition, ["id", "email", "salary", "origin"])

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


@pytest.fixture()
def wide_snapshot(tmp_path: Path):
    """A Delta snapshot of several types, among them a zoned timestamp and nulls, in three files."""
    import datetime as dt
    from decimal import Decimal

    from deltalake import DeltaTable, write_deltalake

    rows = 700
    data = pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": [None if i % 7 == 0 else f"n{i}" for i in range(rows)],
            "price": pa.array([Decimal(i) / 100 for i in range(rows)], pa.decimal128(10, 2)),
            "at": pa.array(
                [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i) for i in range(rows)],
                pa.timestamp("us", tz="UTC"),
            ),
            "flag": [i % 2 == 0 for i in range(rows)],
        }
    )
    for part in range(3):
        write_deltalake(str(tmp_path / "w"), data.slice(part * 250, 250), mode="append")
    return DeltaTable(str(tmp_path / "w")).to_pyarrow_dataset()


WIDE = PortInfo("ops", "w", "w", "1.0.0", "ops.w.w", "1.0.0", "ops-team", "unused", ())


def through_duckdb(prepared, snapshot) -> pa.Table:
    """The same prepared SELECT read the other way: through the masking sandbox's DuckDB."""
    from quanta.access.masking import MaskedStream

    stream = MaskedStream(snapshot, prepared.data.sql, prepared.data.batch_rows)
    try:
        assert stream.passthrough is None
        return stream.read_all()
    finally:
        stream.close()


@pytest.mark.parametrize(
    ("columns", "limit"), [(None, None), (["at", "id"], None), (["name", "price"], 260), (None, 0)]
)
def test_a_read_that_masks_and_filters_nothing_skips_duckdb_with_the_same_rows_and_types(
    wide_snapshot, columns, limit
) -> None:
    prepared = prepare_port(WIDE, wide_snapshot, columns=columns, pii=False, limit=limit, batch_rows=100)
    try:
        assert prepared.data.passthrough == prepared.columns
        direct = prepared.data.read_all()
        expected = through_duckdb(prepared, wide_snapshot)
        assert direct.schema.equals(expected.schema)  # DuckDB's types, e.g. its name of the UTC zone
        assert direct.num_rows == expected.num_rows == (700 if limit is None else limit)
        if limit is None:
            assert direct.sort_by("id" if "id" in direct.schema.names else "price").equals(
                expected.sort_by("id" if "id" in expected.schema.names else "price")
            )
        assert max((b.num_rows for b in prepared.data.reader()), default=0) <= 100
    finally:
        prepared.data.close()


def test_masked_or_filtered_reads_still_go_through_duckdb(snapshot) -> None:
    for prepared in (
        prepare_port(PORT, snapshot, columns=None, pii=False, salt="s"),
        prepare_port(PORT, snapshot, columns=["id", "origin"], pii=True, row_filters=["origin = 'JFK'"]),
    ):
        assert prepared.data.passthrough is None
        prepared.data.close()
    unmasked = prepare_port(PORT, snapshot, columns=["id", "origin"], pii=False)  # no sensitive column
    assert unmasked.data.passthrough == ("id", "origin")
    assert unmasked.data.read_all().column("origin").to_pylist() == ["JFK", "LGA", "JFK", "EWR"]
    unmasked.data.close()

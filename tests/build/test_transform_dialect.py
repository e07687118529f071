"""A SQL transform may declare the dialect it is written in (``-- dialect: <name>``); DuckDB otherwise.

These tests need no Spark: a transform written for Spark runs on DuckDB through sqlglot's transpiler (the
reverse direction is in ``tests/build/test_spark_stages.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quanta.build.transform import TransformError, declared_dialect, stage_sql


def test_duckdb_is_the_default_dialect() -> None:
    assert declared_dialect(Path("t.sql"), "-- the orders port\nSELECT 1\n") == "duckdb"


def test_the_dialect_line_is_read_among_the_leading_comments() -> None:
    text = "-- orders, for the Spark cluster\n\n--   dialect:  Spark  \nSELECT 1\n"
    assert declared_dialect(Path("t.sql"), text) == "spark"


def test_a_comment_inside_the_query_is_not_a_declaration() -> None:
    assert declared_dialect(Path("t.sql"), "SELECT 1\n-- dialect: spark\n") == "duckdb"


def test_an_unknown_dialect_is_reported_at_its_line() -> None:
    with pytest.raises(TransformError, match=r"t\.sql:2: unknown SQL dialect 'sparkle'"):
        declared_dialect(Path("t.sql"), "-- about\n-- dialect: sparkle\nSELECT 1\n")


def test_a_spark_transform_runs_on_duckdb(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from quanta.engine import DuckDBEngine

    path = tmp_path / "labels.sql"
    path.write_text(
        "-- dialect: spark\nSELECT `id`, nvl(label, 'none') AS label, size(array(1, 2)) AS two FROM raw\n"
    )
    with DuckDBEngine() as engine:
        engine.register("raw", pa.table({"id": [1, 2], "label": ["a", None]}))
        staged = stage_sql(engine, path, tmp_path / "labels.parquet", ["raw"])
    assert pq.read_table(staged).sort_by("id").to_pylist() == [
        {"id": 1, "label": "a", "two": 2},
        {"id": 2, "label": "none", "two": 2},
    ]


def test_the_input_rule_holds_in_every_dialect(tmp_path: Path) -> None:
    from quanta.engine import DuckDBEngine

    path = tmp_path / "sneaky.sql"
    path.write_text("-- dialect: spark\nSELECT * FROM parquet.`/etc/data.parquet`\n")
    with DuckDBEngine() as engine, pytest.raises(TransformError, match="is not an input port"):
        stage_sql(engine, path, tmp_path / "out.parquet", ["raw"])

"""The second lock: the sealed DuckDB connection refuses files, network and settings on its own.

These statements are given to the sandbox directly, without the guard, to prove that a statement that
slipped past the parser still cannot read a file or reach the network.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from quanta.engine.sandbox import SandboxedConnection, SandboxError, SandboxLimits


@pytest.fixture()
def box():
    with SandboxedConnection(SandboxLimits(memory_limit="128MB", threads=1)) as connection:
        connection.register("t", pa.table({"a": [1, 2, 3]}))
        connection.seal()
        yield connection


def test_registered_data_is_readable(box: SandboxedConnection) -> None:
    assert box.query("SELECT sum(a) AS s FROM t").column("s").to_pylist() == [6]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('{secret}')",
        "SELECT * FROM read_text('{secret}')",
        "SELECT * FROM read_blob('{secret}')",
        "SELECT * FROM '{secret}'",
        "SELECT * FROM glob('{folder}/*')",
        "COPY t TO '{folder}/out.csv'",
        "ATTACH '{folder}/other.duckdb' AS other",
        "EXPORT DATABASE '{folder}/dump'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM read_csv('https://example.com/data.csv')",
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        "SET memory_limit = '64GB'",
        "SET autoload_known_extensions = true",
    ],
)
def test_sealed_sandbox_refuses_files_network_and_settings(
    box: SandboxedConnection, tmp_path: Path, statement: str
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    sql = statement.format(secret=secret, folder=tmp_path)
    with pytest.raises(SandboxError):
        box.query(sql)
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert not (tmp_path / "dump").exists()


def test_settings_stay_locked(box: SandboxedConnection) -> None:
    assert box.setting("enable_external_access").lower() == "false"
    assert box.setting("lock_configuration").lower() == "true"
    assert box.setting("autoload_known_extensions").lower() == "false"
    assert box.setting("autoinstall_known_extensions").lower() == "false"
    assert box.setting("python_enable_replacements").lower() == "false"
    assert box.setting("threads") == "1"


def test_python_variables_are_not_reachable(box: SandboxedConnection) -> None:
    secrets_table = pa.table({"password": ["hunter2"]})  # a replacement scan would find this local
    assert secrets_table.num_rows == 1
    with pytest.raises(SandboxError):
        box.query("SELECT * FROM secrets_table")


def test_nothing_can_be_registered_after_sealing(box: SandboxedConnection) -> None:
    with pytest.raises(SandboxError):
        box.register("late", pa.table({"x": [1]}))


def test_statements_need_a_sealed_sandbox() -> None:
    with SandboxedConnection() as connection, pytest.raises(SandboxError):
        connection.query("SELECT 1")

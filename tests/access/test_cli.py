"""The access commands as a user runs them: ``quanta token|access|query|audit`` through ``main``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

FLIGHTS = "operations.flights.flights"


@dataclass
class Run:
    """What one command printed and returned."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def quanta(capsys, monkeypatch):
    """Run ``quanta ... --mesh MESH`` in this process through the real entry point (``main``)."""
    from quanta.cli.app import main

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)

    def run(mesh: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        monkeypatch.delenv("QUANTA_TOKEN", raising=False)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main([*args, "--mesh", str(mesh)])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_request_approve_query_audit(quanta, mesh: Path, tmp_path: Path) -> None:
    requested = quanta(
        mesh,
        "access",
        "request",
        FLIGHTS,
        "--for",
        "analytics",
        "--purpose",
        "routes",
        "--as",
        "ana",
        "--format",
        "json",
    )
    assert requested.returncode == 0, requested.stderr
    agreement = json.loads(requested.stdout)
    assert agreement["state"] == "requested"
    pending = quanta(mesh, "access", "list", "--pending", "--as", "olga", "--format", "json")
    assert [a["id"] for a in json.loads(pending.stdout)] == [agreement["id"]]
    approved = quanta(mesh, "access", "approve", agreement["id"][:8], "--as", "olga", "--reason", "fine")
    assert approved.returncode == 0, approved.stderr
    assert "active" in approved.stdout

    result = quanta(
        mesh,
        "query",
        f"SELECT carrier, tailnum FROM {FLIGHTS} ORDER BY flight",
        "--as",
        "bob",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["carrier"] for r in rows] == ["UA", "AA", "UA", "DL"]
    assert rows[0]["tailnum"] != "N101" and "masked" in result.stderr

    out = tmp_path / "flights.parquet"
    exported = quanta(
        mesh, "query", f"SELECT * FROM {FLIGHTS}", "--as", "bob", "--format", "parquet", "--output", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    import pyarrow.parquet as pq

    assert pq.read_table(out).column("pilot").to_pylist() == [None] * 4

    denied = quanta(mesh, "query", "SELECT * FROM read_csv('/etc/passwd')", "--as", "bob")
    assert denied.returncode == 1
    assert "error:" in denied.stderr and "Traceback" not in denied.stderr

    audit = quanta(mesh, "audit", "--principal", "bob", "--format", "json")
    entries = json.loads(audit.stdout)
    assert [e["decision"] for e in entries[:3]] == ["deny", "allow", "allow"]
    assert all(e["statementHash"] for e in entries[:3])

    shown = quanta(mesh, "access", "show", agreement["id"], "--format", "json")
    assert [t["action"] for t in json.loads(shown.stdout)["transitions"]] == [
        "request",
        "approve",
        "activate",
    ]
    revoked = quanta(mesh, "access", "revoke", agreement["id"], "--as", "olga", "--reason", "done")
    assert revoked.returncode == 0, revoked.stderr
    again = quanta(mesh, "query", f"SELECT count(*) FROM {FLIGHTS}", "--as", "bob")
    assert again.returncode == 1 and "no active access agreement" in again.stderr


def test_token_identity_and_usage_errors(quanta, mesh: Path) -> None:
    created = quanta(mesh, "token", "create", "--principal", "olga", "--label", "ci")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("qt_") and "not shown again" in created.stderr
    csv = quanta(
        mesh, "query", f"SELECT count(*) AS n FROM {FLIGHTS}", "--format", "csv", env={"QUANTA_TOKEN": token}
    )
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines() == ['"n"', "4"]
    listed = quanta(mesh, "token", "list")
    assert token not in listed.stdout and token.split("_")[1] in listed.stdout
    nobody = quanta(mesh, "query", "SELECT 1")
    assert nobody.returncode == 2 and "--as" in nobody.stderr
    bad = quanta(mesh, "query", "SELECT 1", "--as", "olga", "--format", "xml")
    assert bad.returncode == 2
    ports = quanta(mesh, "access", "ports", "--as", "olga")
    assert ports.returncode == 0 and FLIGHTS in ports.stdout


@pytest.mark.parametrize("principal", ["mallory"])
def test_unknown_principal_is_a_usage_error(quanta, mesh: Path, principal: str) -> None:
    result = quanta(mesh, "query", "SELECT 1", "--as", principal)
    assert result.returncode == 2 and "unknown principal" in result.stderr

"""Local accounts on a real SQLite registry: scrypt hashing, verify, disable, and the ``quanta account``
commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from quanta.access import accounts
from quanta.access.service import UnknownPrincipal

PASSWORD = "correct horse battery staple"


def test_a_hash_carries_its_parameters_and_a_fresh_salt() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == (
        "scrypt",
        accounts.SCRYPT_N,
        accounts.SCRYPT_R,
        accounts.SCRYPT_P,
    )
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(key)) == accounts.KEY_LENGTH
    assert first != second  # per-hash salt
    assert PASSWORD not in first
    assert accounts.password_matches(PASSWORD, first) and accounts.password_matches(PASSWORD, second)
    assert not accounts.password_matches(PASSWORD + "!", first)
    assert not accounts.password_matches(PASSWORD, "not-a-hash")
    cheap = accounts.hash_password(PASSWORD, n=2**10)  # older, cheaper parameters still verify
    assert cheap.startswith("scrypt$1024$") and accounts.password_matches(PASSWORD, cheap)


def test_set_verify_change_and_disable(sqlite_service, mesh: Path) -> None:
    accounts.set_password(sqlite_service, "bob", PASSWORD)
    principal = accounts.verify(sqlite_service, "bob", PASSWORD)
    assert principal is not None and principal.name == "bob" and "analytics" in principal.teams
    assert accounts.verify(sqlite_service, "bob", "wrong password") is None
    assert accounts.verify(sqlite_service, "nobody", PASSWORD) is None

    accounts.set_password(sqlite_service, "bob", "a new password")
    assert accounts.verify(sqlite_service, "bob", PASSWORD) is None
    assert accounts.verify(sqlite_service, "bob", "a new password") is not None

    accounts.disable(sqlite_service, "bob")
    assert accounts.verify(sqlite_service, "bob", "a new password") is None
    accounts.set_password(sqlite_service, "bob", PASSWORD)  # setting a password re-enables
    assert accounts.verify(sqlite_service, "bob", PASSWORD) is not None

    registry_bytes = (mesh / ".quanta" / "registry.db").read_bytes()
    assert PASSWORD.encode() not in registry_bytes and b"a new password" not in registry_bytes
    reasons = [entry.reason for entry in sqlite_service.audit(principal="bob")]
    assert "password set" in reasons and "account disabled" in reasons


def test_refusals_say_what_to_do(sqlite_service) -> None:
    with pytest.raises(UnknownPrincipal, match="unknown principal 'mallory'"):
        accounts.set_password(sqlite_service, "mallory", PASSWORD)
    with pytest.raises(accounts.AccountError, match="is a team"):
        accounts.set_password(sqlite_service, "analytics", PASSWORD)
    with pytest.raises(accounts.AccountError, match="at least 8 characters"):
        accounts.set_password(sqlite_service, "bob", "short")
    with pytest.raises(accounts.AccountError, match="quanta account set-password olga"):
        accounts.disable(sqlite_service, "olga")


def _quanta(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str]:
    from quanta.cli.app import main

    monkeypatch.delenv("QUANTA_REGISTRY_URL", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_set_password_from_stdin_and_disable(sqlite_service, mesh: Path, monkeypatch, capsys) -> None:
    code, out = _quanta(
        monkeypatch,
        capsys,
        "account",
        "set-password",
        "olga",
        "--password-stdin",
        "--mesh",
        str(mesh),
        stdin=PASSWORD + "\n",
    )
    assert code == 0 and "password of olga set" in out and PASSWORD not in out
    assert accounts.verify(sqlite_service, "olga", PASSWORD) is not None

    code, out = _quanta(monkeypatch, capsys, "account", "disable", "olga", "--mesh", str(mesh))
    assert code == 0 and "disabled" in out
    assert accounts.verify(sqlite_service, "olga", PASSWORD) is None

    code, out = _quanta(
        monkeypatch,
        capsys,
        "account",
        "set-password",
        "olga",
        "--password-stdin",
        "--mesh",
        str(mesh),
        stdin="short\n",
    )
    assert code == 2 and "too short" in out and "Traceback" not in out

"""A real, throw-away PostgreSQL server for tests, started from the machine's PostgreSQL binaries.

The server runs as the ``postgres`` system user (``initdb`` refuses to run as root) in a temporary data
directory, listens on a free loopback port and is stopped when the test session ends. Tests that need it
use the ``postgres_url`` fixture (registered in ``tests/conftest.py``); when no PostgreSQL binaries are
installed the test is skipped locally and fails in CI (see ``tests/conftest.require``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


def find_pg_bin() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl``, or ``None`` when PostgreSQL is missing."""
    env = os.environ.get("QUANTA_PG_BIN")
    candidates = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


@dataclass
class PostgresServer:
    """A running server: ``url`` is a SQLAlchemy/psycopg URL for database ``quanta`` as superuser."""

    bin_dir: Path
    data_dir: Path
    port: int
    user: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the ``quanta`` database."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/quanta"

    @property
    def dsn(self) -> str:
        """libpq connection string of the ``quanta`` database."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=quanta"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server and remove its data directory."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)


def start_postgres() -> PostgresServer:
    """Initialise and start a fresh server; raise ``RuntimeError`` with the server's output on failure."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt install postgresql)")
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    root = Path(tempfile.mkdtemp(prefix="quanta-pg-"))
    data_dir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user=user)
        os.chmod(root, 0o755)
    server = PostgresServer(bin_dir=bin_dir, data_dir=data_dir, port=free_port(), user=user)
    server._run("initdb", "-D", str(data_dir), "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8")
    options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    result = server._run("pg_ctl", "-D", str(data_dir), "-o", options, "-l", str(root / "log"), "-w", "start")
    if result.returncode != 0:  # pragma: no cover - diagnostic path
        raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}")
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(
                f"host=127.0.0.1 port={server.port} user={user} dbname=postgres", autocommit=True
            ) as conn:
                conn.execute("CREATE DATABASE quanta")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return server

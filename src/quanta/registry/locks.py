"""Locks that serialise builders: the mesh lock (one build per mesh checkout) and per-product locks.

- :class:`MeshLock` is an exclusive ``fcntl.flock`` on ``<mesh>/.quanta/build.lock``. The kernel releases
  it when the holder dies (even by ``kill -9``), so a stale lock never blocks the next build. The file
  records who holds it, for the message the next builder shows.
- Product locks (:meth:`quanta.registry.Registry.product_lock`) serialise the publish-and-record step of
  one product across builders sharing one registry: a PostgreSQL session-level advisory lock on a
  PostgreSQL registry, an ``flock`` on a file beside a SQLite registry.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quanta.errors import QuantaError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


class LockHeld(QuantaError):
    """Another build holds the lock; the message says which process and since when."""

    exit_code = 2


def _holder_text(info: dict[str, Any]) -> str:
    if not info:
        return "another process"
    return (
        f"process {info.get('pid', '?')} on {info.get('host', '?')} (build {info.get('build', '?')}, "
        f"since {info.get('since', '?')})"
    )


class MeshLock:
    """An exclusive, process-wide lock on a mesh, released when the holder exits or dies.

    Example:
        >>> with MeshLock(mesh_root / ".quanta" / "build.lock", build_id="b1"):  # doctest: +SKIP
        ...     run_the_build()

    Args:
        path: the lock file (created with its folder).
        build_id: written into the file so that a waiting builder can say who holds the lock.
        timeout: seconds to wait for the lock; ``0`` fails at once, ``None`` waits forever.
    """

    def __init__(self, path: str | Path, *, build_id: str | None = None, timeout: float | None = 0) -> None:
        self.path = Path(path)
        self.build_id = build_id
        self.timeout = timeout
        self._fd: int | None = None

    def holder(self) -> dict[str, Any]:
        """Return what the current (or last) holder wrote into the lock file (empty when unknown)."""
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            LockHeld: another process holds it and ``timeout`` passed.
        """
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockHeld(
                        f"another build of this mesh is running: {_holder_text(self.holder())} holds "
                        f"{self.path}. Wait for it to finish and run the command again (the lock is "
                        "released automatically when that process ends, even if it crashed)."
                    ) from None
                time.sleep(0.1)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "build": self.build_id,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Release the lock (idempotent)."""
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> MeshLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def advisory_key(*parts: str) -> int:
    """Return a signed 64-bit key for ``pg_advisory_lock`` from text parts (stable across processes)."""
    digest = hashlib.blake2b("\x1f".join(("quanta", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on a dedicated connection.

    Args:
        engine: the registry engine (PostgreSQL).
        key: the lock key (:func:`advisory_key`).
        what: description for the timeout message, e.g. ``"product operations.flights"``.
        timeout: seconds to wait; ``None`` waits forever, ``0`` fails at once.
    """

    def __init__(self, engine: Engine, key: int, what: str, timeout: float | None = None) -> None:
        self.engine = engine
        self.key = key
        self.what = what
        self.timeout = timeout
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether it was taken."""
        from sqlalchemy import text

        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        conn.commit()
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout``.

        Raises:
            LockHeld: the lock was not free in time.
        """
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        delay = 0.02
        while not self.try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                raise LockHeld(
                    f"another builder holds the lock of {self.what} on the shared registry; it is released "
                    "when that builder finishes the product (or its database session ends)."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def release(self) -> None:
        """Release the lock and its connection (idempotent)."""
        from sqlalchemy import text

        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> AdvisoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FileProductLock:
    """A per-product ``flock`` beside a SQLite registry file, also exclusive between threads.

    Args:
        directory: the folder of lock files (``<registry file>.locks``).
        name: the product's ``domain.product``.
        timeout: seconds to wait; ``None`` waits forever.
    """

    _thread_locks: dict[str, threading.Lock] = {}  # noqa: RUF012 - shared on purpose
    _guard = threading.Lock()

    def __init__(self, directory: Path, name: str, timeout: float | None = None) -> None:
        self.path = directory / f"{name}.lock"
        with self._guard:
            self._thread_lock = self._thread_locks.setdefault(str(self.path), threading.Lock())
        self._file = MeshLock(self.path, timeout=timeout)
        self.timeout = timeout

    def __enter__(self) -> FileProductLock:
        if not self._thread_lock.acquire(timeout=-1 if self.timeout is None else self.timeout):
            raise LockHeld(f"another build thread holds the lock of product {self.path.stem}")
        try:
            self._file.acquire()
        except LockHeld:
            self._thread_lock.release()
            raise LockHeld(
                f"another builder holds the lock of product {self.path.stem} ({self.path}); it is released "
                "when that builder finishes the product or its process ends."
            ) from None
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.release()
        self._thread_lock.release()

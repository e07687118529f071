"""The mesh lock: one build of a mesh at a time.

An exclusive ``flock`` on ``<mesh>/.quanta/build.lock``. The operating system releases it when the
holding process ends, however it ends (``kill -9`` included), so a crashed build never leaves a stale
lock behind. The file records the holder's process id and start time for the message a second build
prints.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from quanta.errors import QuantaError

LOCK_FILE = ".quanta/build.lock"


class MeshLocked(QuantaError):
    """Another build of the same mesh is running."""

    exit_code = 2


class MeshLock:
    """Context manager holding the mesh's build lock.

    Args:
        mesh_root: the mesh folder.
        wait: seconds to wait for the lock before giving up (0: fail at once).

    Raises:
        MeshLocked: on enter, when another process holds the lock longer than ``wait``.
    """

    def __init__(self, mesh_root: Path, *, wait: float = 0.0) -> None:
        self.path = mesh_root / LOCK_FILE
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> MeshLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise MeshLocked(
                        f"another build of this mesh is running ({holder}); wait for it to finish, "
                        f"or stop that process. Lock file: {self.path}"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(data["since"]))
        return f"process {data['pid']}, started {since}"
    except (ValueError, KeyError, OSError):
        return "holder unknown"

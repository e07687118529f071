"""Sending OpenLineage events: a JSON-lines file in the mesh (default) or an HTTP endpoint (Marquez).

Configured by ``mesh.yaml``'s ``lineage`` mapping:

- ``{transport: file, path: .quanta/lineage.jsonl}`` (the default): one event per line, appended;
- ``{transport: http, url: http://localhost:5000, endpoint: api/v1/lineage, api_key_env: MARQUEZ_API_KEY,
  timeout: 5}``: ``POST`` to a Marquez-compatible server (openlineage-python's ``HttpTransport``);
- ``{transport: none}``: lineage is not emitted.

Lineage is an observer of the build: a failed emission never fails a build. :meth:`LineageEmitter.emit`
returns ``False`` and keeps the reason in :attr:`LineageEmitter.failures` for the build to report.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quanta.errors import ConfigError

#: Lineage configuration used when ``mesh.yaml`` has none.
DEFAULT_CONFIG: Mapping[str, Any] = {"transport": "file", "path": ".quanta/lineage.jsonl"}
TRANSPORTS = ("file", "http", "none")


class LineageEmitter:
    """Emits OpenLineage events through one transport; safe to share between build threads.

    Args:
        transport: an ``openlineage.client.transport.Transport``, or ``None`` to emit nothing.
        description: where the events go, for messages (e.g. the file path or URL).
    """

    def __init__(self, transport: Any, description: str) -> None:
        self._client = None
        if transport is not None:
            from openlineage.client import OpenLineageClient

            self._client = OpenLineageClient(transport=transport)
        self.description = description
        self.failures: list[str] = []
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | None = None, *, base_dir: str | Path | None = None
    ) -> LineageEmitter:
        """Create the emitter a ``mesh.yaml`` ``lineage`` mapping describes (see the module docs).

        Args:
            config: the mapping; :data:`DEFAULT_CONFIG` when ``None``.
            base_dir: folder a relative file ``path`` is relative to (the mesh root).

        Raises:
            ConfigError: unknown transport, or a missing ``url`` / ``path``.
        """
        config = dict(config or DEFAULT_CONFIG)
        kind = config.get("transport", "file")
        if kind == "none":
            return cls(None, "nowhere (lineage disabled)")
        if kind == "file":
            path = Path(config.get("path") or DEFAULT_CONFIG["path"]).expanduser()
            if not path.is_absolute():
                path = Path(base_dir or Path.cwd()) / path
            return cls.to_file(path)
        if kind == "http":
            url = config.get("url")
            if not url:
                raise ConfigError(
                    "lineage transport 'http' needs a 'url' in mesh.yaml (e.g. http://localhost:5000 for "
                    "Marquez)."
                )
            key_env = config.get("api_key_env")
            api_key = os.environ.get(key_env) if key_env else None
            return cls.to_http(
                url,
                endpoint=config.get("endpoint", "api/v1/lineage"),
                api_key=api_key,
                timeout=float(config.get("timeout", 5.0)),
            )
        raise ConfigError(
            f"unknown lineage transport {kind!r} in mesh.yaml: use one of {', '.join(TRANSPORTS)}."
        )

    @classmethod
    def to_file(cls, path: str | Path) -> LineageEmitter:
        """Append events as JSON lines to ``path`` (its folder is created)."""
        from openlineage.client.transport.file import FileConfig, FileTransport

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(FileTransport(FileConfig(log_file_path=str(path), append=True)), str(path))

    @classmethod
    def to_http(
        cls, url: str, *, endpoint: str = "api/v1/lineage", api_key: str | None = None, timeout: float = 5.0
    ) -> LineageEmitter:
        """POST events to a Marquez-compatible server at ``url`` + ``endpoint``.

        Args:
            url: the server's base URL.
            endpoint: the lineage endpoint path.
            api_key: a bearer token, if the server wants one (read it from the environment).
            timeout: seconds per request.
        """
        from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

        auth = ApiKeyTokenProvider({"api_key": api_key}) if api_key else None
        options: dict[str, Any] = {"url": url, "endpoint": endpoint, "timeout": timeout}
        if auth is not None:
            options["auth"] = auth
        config = HttpConfig(**options)
        config.retry = {"total": 1, "backoff_factor": 0.1, "status_forcelist": [500, 502, 503, 504]}
        return cls(HttpTransport(config), f"{url.rstrip('/')}/{endpoint.lstrip('/')}")

    @property
    def enabled(self) -> bool:
        """Whether events are sent anywhere."""
        return self._client is not None

    def emit(self, event: Any) -> bool:
        """Send one event; return whether it was delivered (failures are kept in :attr:`failures`)."""
        if self._client is None:
            return True
        try:
            with self._lock:
                self._client.emit(event)
        except Exception as exc:  # lineage must never fail a build
            self.failures.append(f"lineage event not delivered to {self.description}: {exc}")
            return False
        return True

    def close(self) -> None:
        """Flush and close the transport."""
        if self._client is not None:
            self._client.close(timeout=5.0)

"""Transports: JSON lines in the mesh (default) and HTTP to a real, local Marquez-compatible endpoint."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from quanta.errors import ConfigError
from quanta.lineage import Dataset, LineageEmitter, run_event
from tests.lineage.test_openlineage_schema import validate_event


def _event(state: str = "START", run_id: str | None = None):
    ns = "quanta://test"
    return run_event(
        state,
        run_id=run_id or str(uuid.uuid4()),
        job="reference.airports",
        namespace=ns,
        outputs=[Dataset(ns, "reference.airports.airports", schema=[{"name": "faa", "type": "string"}])],
    )


def test_the_default_transport_appends_json_lines_in_the_mesh(tmp_path: Path) -> None:
    emitter = LineageEmitter.from_config(None, base_dir=tmp_path)
    run_id = str(uuid.uuid4())
    threads = [threading.Thread(target=emitter.emit, args=(_event("START", run_id),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emitter.emit(_event("COMPLETE", run_id))
    emitter.close()
    lines = (tmp_path / ".quanta" / "lineage.jsonl").read_text().splitlines()
    assert len(lines) == 9 and emitter.failures == []
    events = [json.loads(line) for line in lines]
    for event in events:
        validate_event(event)
    assert [e["eventType"] for e in events].count("START") == 8 and events[-1]["eventType"] == "COMPLETE"


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], dict]] = []  # noqa: RUF012
    status = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def lineage_server():
    _Collector.received = []
    _Collector.status = 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Collector
    server.shutdown()
    server.server_close()


def test_the_http_transport_posts_events_like_marquez_expects(lineage_server, monkeypatch) -> None:
    server, collector = lineage_server
    monkeypatch.setenv("TEST_LINEAGE_KEY", "s3cret")
    url = f"http://127.0.0.1:{server.server_address[1]}"
    emitter = LineageEmitter.from_config({"transport": "http", "url": url, "api_key_env": "TEST_LINEAGE_KEY"})
    event = _event("COMPLETE")
    assert emitter.emit(event)
    emitter.close()
    [(path, headers, body)] = collector.received
    assert path == "/api/v1/lineage"
    assert headers["Authorization"] == "Bearer s3cret"
    assert body["run"]["runId"] == event.run.runId and body["eventType"] == "COMPLETE"
    validate_event(body)


def test_an_unreachable_or_failing_server_never_fails_the_build(lineage_server) -> None:
    server, collector = lineage_server
    collector.status = 400
    failing = LineageEmitter.to_http(f"http://127.0.0.1:{server.server_address[1]}", timeout=2)
    assert failing.emit(_event()) is False
    assert "not delivered" in failing.failures[0]
    closed = LineageEmitter.to_http("http://127.0.0.1:9", timeout=1)
    assert closed.emit(_event()) is False and len(closed.failures) == 1


def test_lineage_configuration_mistakes_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a 'url'"):
        LineageEmitter.from_config({"transport": "http"})
    with pytest.raises(ConfigError, match="unknown lineage transport 'kafka'"):
        LineageEmitter.from_config({"transport": "kafka"})
    disabled = LineageEmitter.from_config({"transport": "none"})
    assert not disabled.enabled and disabled.emit(_event())
    custom = LineageEmitter.from_config({"transport": "file", "path": "out/events.jsonl"}, base_dir=tmp_path)
    custom.emit(_event())
    assert len((tmp_path / "out" / "events.jsonl").read_text().splitlines()) == 1

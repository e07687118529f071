"""Served data is streamed: the first record batches reach the client while the server is still producing.

Over a real uvicorn server, a port of 600,000 rows (about 60 MB as an Arrow stream, far more than the
loopback socket buffers hold) is read through ``GET .../data``: the client decodes the first batches and,
while it holds the response unread, the server has not finished the result (the usage of the read is
recorded when the last batch has been produced). Then the rest arrives, masked like the first batches.
"""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import pyarrow as pa
import pytest

from tests.api.built import build_mesh
from tests.api.server import bearer_client, running

PORT = "/api/v1/products/operations.flights/ports/flights/data"
ROWS = 600_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The test mesh, built, with ``ROWS`` more flights appended to the published port; carl may read it."""
    import duckdb
    from deltalake import DeltaTable, write_deltalake

    built = build_mesh(tmp_path_factory.mktemp("streaming") / "mesh")
    location = built.root / ".quanta" / "tables" / "operations" / "flights" / "flights"
    schema = DeltaTable(str(location)).schema().to_arrow()
    for part in range(3):
        rows = duckdb.sql(
            "SELECT 100000 + i AS flight_id, ['JFK', 'LGA', 'EWR'][1 + i % 3] AS origin, "
            "(i % 90) - 10 AS dep_delay, 'crew' || i || '@example.com' AS crew_email "
            "FROM range($start, $stop) t(i)",
            params={"start": part * ROWS // 3, "stop": (part + 1) * ROWS // 3},
        ).to_arrow_table()
        write_deltalake(str(location), rows.cast(pa.schema(schema)), mode="append")
    from quanta.access.session import open_service

    service = open_service(built.root)
    granted = service.request("carl", "operations.flights.flights", "bulk")
    service.approve(granted.id, "olga")
    service.store.engine.dispose()
    return built


@pytest.fixture(scope="module")
def server(big):
    from quanta.api import ServeSettings, create_app

    app = create_app(ServeSettings(mesh_root=big.root, max_rows=10_000_000))
    with running(app) as url:
        yield url


def _consumed(client: httpx.Client) -> dict:
    usage = client.get("/api/v1/usage", params={"product": "operations.flights"}).json()
    return {r["kind"]: r for r in usage["items"] if r["principal"] == "carl" and r["port"] == "flights"}


def test_first_batches_arrive_before_the_server_has_produced_the_result(big, server):
    carl = bearer_client(server, big.tokens["carl"], timeout=300)
    with carl.stream("GET", PORT, params={"format": "arrow"}) as response:
        assert response.status_code == 200
        assert "x-row-count" not in response.headers, "the count is not known before the rows are read"
        received = bytearray()
        chunks = response.iter_bytes()
        first: list[pa.RecordBatch] = []
        while not first:
            received += next(chunks)
            try:
                reader = pa.ipc.open_stream(bytes(received))
                first = [reader.read_next_batch()]
            except (OSError, StopIteration):  # not a whole batch yet (ArrowInvalid is an OSError)
                continue
        assert "consume" not in _consumed(carl), (
            "the server is still producing while the client holds batches"
        )
        for chunk in chunks:
            received += chunk
    table = pa.ipc.open_stream(bytes(received)).read_all()
    assert table.num_rows == ROWS + 4
    assert table.column_names == ["flight_id", "origin", "dep_delay", "crew_email"]
    emails = table.column("crew_email").to_pylist()
    assert all(e is None or "@" not in e for e in emails), "every streamed batch is masked"
    assert first[0].num_rows < table.num_rows
    assert _consumed(carl)["consume"]["count"] == 1


def test_csv_and_ndjson_stream_with_one_header_and_the_limit(big, server):
    carl = bearer_client(server, big.tokens["carl"], timeout=300)
    csv = carl.get(PORT, params={"format": "csv", "limit": 70_000}).text.splitlines()
    assert csv[0] == '"flight_id","origin","dep_delay","crew_email"'
    assert len(csv) == 70_001 and csv.count(csv[0]) == 1, "one header for several batches"
    lines = carl.get(PORT, params={"format": "ndjson", "limit": 3}).text.splitlines()
    assert len(lines) == 3 and all("@" not in json.loads(line)["crew_email"] for line in lines)
    query = carl.post(
        "/api/v1/query",
        json={"sql": "SELECT flight_id FROM operations.flights.flights ORDER BY flight_id DESC", "limit": 2},
    )
    assert [json.loads(line)["flight_id"] for line in query.text.splitlines()] == [
        100000 + ROWS - 1,
        100000 + ROWS - 2,
    ]


def test_a_client_that_goes_away_stops_the_server_which_counts_the_rows_read_for_it(big, server):
    carl = bearer_client(server, big.tokens["carl"], timeout=300)
    before = _consumed(carl).get("consume", {"count": 0, "rows": 0})
    with carl.stream("GET", PORT, params={"format": "arrow"}) as response:
        assert response.status_code == 200
        received = bytearray()
        # Until a whole record batch has arrived: the first chunk is the schema message alone, and a
        # client that leaves then has been sent no row (the server rightly counts none).
        for chunk in response.iter_raw():
            received += chunk
            with contextlib.suppress(OSError, StopIteration):  # not a whole batch yet
                pa.ipc.open_stream(bytes(received)).read_next_batch()
                break
    # The response is closed after its first batch: the server stops producing and records the use.
    deadline = time.monotonic() + 60
    while (after := _consumed(carl).get("consume", before))["count"] == before["count"]:
        assert time.monotonic() < deadline, "the server recorded the interrupted read"
        time.sleep(0.1)  # each poll also writes (the token's last use): usage is counted all the same
    assert after["count"] == before["count"] + 1
    assert 0 < after["rows"] - before["rows"] < ROWS + 4, "only the batches read before the client left"
    table = pa.ipc.open_stream(carl.get(PORT, params={"format": "arrow", "limit": 5}).content).read_all()
    assert table.num_rows == 5, "the server serves the next request"


def test_quanta_serve_parses_http_with_httptools():
    """uvicorn's automatic choice (what ``quanta serve`` uses) is the C parser ``httptools``, a dependency."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    async def app(scope, receive, send) -> None:  # pragma: no cover - never called
        raise AssertionError

    config = uvicorn.Config(app, host="127.0.0.1", port=0)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


def _read_with_urllib(server: str, token: str) -> pa.Table:
    """The client docs/marketplace.md shows: pyarrow reads the standard library's response as a file."""
    import urllib.request

    request = urllib.request.Request(
        f"{server}{PORT}?format=arrow", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return pa.ipc.open_stream(response).read_all()


def test_the_documented_client_reads_masked_and_unmasked_streams_with_one_schema(big, server):
    masked = _read_with_urllib(server, big.tokens["carl"])  # the analyst: crew_email is masked
    plain = _read_with_urllib(server, big.tokens["olga"])  # the owner sees every value: no DuckDB pass
    assert masked.num_rows == plain.num_rows == ROWS + 4
    assert masked.schema.equals(plain.schema)
    assert all(e is None or "@" not in e for e in masked.column("crew_email").to_pylist())
    emails = plain.column("crew_email").to_pylist()
    assert sum(1 for e in emails if e and "@" in e) >= ROWS
    assert (
        plain.sort_by("flight_id").column("flight_id").equals(masked.sort_by("flight_id").column("flight_id"))
    )

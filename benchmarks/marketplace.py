"""Marketplace benchmarks: search over 10,000 products, and data streaming against DuckDB.

Run: ``.venv/bin/python benchmarks/marketplace.py [--products 10000] [--queries 400] [--rows 1000000]``

Search: the products are generated with a fixed seed from 60 business words plus ``--vocabulary`` made-up
words drawn with Zipf weights (a few words occur in almost every product, most are rare), with 8-20 schema
properties each. Each query is one to three words drawn the same way, with a domain facet on a quarter of
them, timed through :meth:`quanta.api.search.SearchIndex.search` exactly as ``GET /api/v1/products``
calls it (facets included). Reported as wall time and as the thread's CPU time (what the code costs when
the machine is not shared), for full-text search and, when the ``semantic`` extra is installed, for
hybrid search (the same queries, each also embedded and compared with the 10,000 product embeddings).
Target: p95 under 50 ms.

Streaming: a one-product mesh whose port holds ``--rows`` generated rows is built with ``quanta build``;
its owner reads the port through ``GET /api/v1/products/bench.events/ports/events/data`` (Arrow IPC
stream over HTTP, through the access service) from ``quanta serve`` running in a process of its own, as
deployed, and decodes it with pyarrow as it arrives into one Arrow table (read with two clients,
``--clients``: the standard library's ``urllib``, whose response pyarrow reads as a file, and ``httpx``,
whose chunk iterator costs the client about 0.25 s of CPU per 160 MB); against DuckDB reading the same
Delta table directly into one Arrow table (``deltalake`` dataset → DuckDB → Arrow, every row and column).
The two alternate ``--repeat`` times and the medians are compared (the first round, which warms caches, is
left out). ``--in-process-server`` serves from a uvicorn thread of the benchmark's own process instead
(server and client then share one GIL; the set-up of the figures before 2026-11-21 15:00). Target: at
least 70% of DuckDB's rows/s.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

WORDS = (  # noqa: SIM905 - a sentence reads better than 60 quoted words
    "flight delay airport carrier weather wind precipitation route punctuality aircraft fleet passenger "
    "booking revenue cost fuel crew schedule gate runway departure arrival cancellation hourly daily "
    "monthly customer invoice payment order shipment inventory warehouse supplier product price discount "
    "region country city station sensor temperature pressure humidity flood risk asset building exposure"
).split()
DOMAINS = [f"domain{i:02d}" for i in range(40)]
SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "ba", "de", "fi", "go", "hu", "ja"]


def vocabulary(size: int, rng: random.Random) -> tuple[list[str], list[float]]:
    """The business words plus ``size`` made-up words, with Zipf weights (a few words are very common)."""
    made_up = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size * 2)}
    words = WORDS + sorted(made_up)[:size]
    return words, [1 / (rank + 1) for rank in range(len(words))]


def seed(count: int, rng: random.Random, words: list[str], weights: list[float]):
    """Generate ``count`` search documents from ``words`` drawn with ``weights``."""
    from quanta.api.search import SearchDocument

    def pick(k: int) -> list[str]:
        return rng.choices(words, weights, k=k)

    documents = []
    for i in range(count):
        domain = rng.choice(DOMAINS)
        name = "_".join(pick(2)) + f"_{i}"
        description = " ".join(pick(rng.randint(12, 40)))
        properties = tuple("_".join(pick(2)) for _ in range(rng.randint(8, 20)))
        schema = " ".join(f"{name} {' '.join(pick(6))}" for name in properties)
        documents.append(
            SearchDocument(
                key=f"{domain}.{name}",
                domain=domain,
                name=name,
                title=name.replace("_", " "),
                description=description,
                tags=tuple(pick(3)),
                schema_text=schema,
                owner=f"team{rng.randint(0, 60)}",
                status=rng.choice(["active", "active", "active", "draft", "deprecated"]),
                certification=rng.choice(["OK", "NOT COMPLIANT"]),
                usage=rng.randint(0, 5000),
                quality=rng.random(),
                freshness=time.time() - rng.randint(0, 10**7),
                properties=properties,
            )
        )
    return documents


def main() -> None:
    """Run the search and the streaming benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--vocabulary",
        type=int,
        default=5000,
        help="made-up words besides the 60 business words; 0 = every query matches most products",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the streaming benchmark")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-data", action="store_true")
    parser.add_argument("--formats", nargs="+", default=["arrow"], choices=["arrow", "csv", "ndjson"])
    parser.add_argument(
        "--clients",
        nargs="+",
        default=["urllib", "httpx"],
        choices=["urllib", "httpx"],
        help="HTTP clients reading the stream (default: both)",
    )
    parser.add_argument(
        "--in-process-server",
        action="store_true",
        help="serve from a thread of the benchmark's process instead of a `quanta serve` process",
    )
    args = parser.parse_args()
    if not args.skip_search:
        search_benchmark(args)
    if not args.skip_data:
        stream_benchmark(
            args.rows,
            args.repeat,
            args.formats,
            in_process=args.in_process_server,
            clients=tuple(args.clients),
        )


def search_benchmark(args: argparse.Namespace) -> None:
    """Seed ``args.products`` products and time ``args.queries`` searches, full-text then hybrid."""
    from quanta.api.search import SearchIndex
    from quanta.api.semantic import load_embedder

    embedder = load_embedder()
    modes = [("full-text", None)] + ([("hybrid (semantic)", embedder)] if embedder is not None else [])
    if embedder is None:
        print("semantic search not measured: install the extra `quanta[semantic]` (wordllama)")
    for label, model in modes:
        rng = random.Random(42)
        words, weights = vocabulary(args.vocabulary, rng)
        documents = seed(args.products, rng, words, weights)
        index = SearchIndex(model)
        started = time.perf_counter()
        index.replace(documents)
        indexing = time.perf_counter() - started
        timings: list[float] = []
        cpu_timings: list[float] = []
        for _ in range(args.queries):
            text = " ".join(rng.choices(words, weights, k=rng.randint(1, 3)))
            filters = {"domain": [rng.choice(DOMAINS)]} if rng.random() < 0.25 else None
            started, cpu = time.perf_counter(), time.thread_time()
            page = index.search(text, filters=filters, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.thread_time() - cpu) * 1000)
            assert page.total >= 0
        print(f"{label}: {args.products} products indexed ({len(words)} distinct words) in {indexing:.2f} s")
        for clock, values in (("wall time", timings), ("CPU time", cpu_timings)):
            values.sort()
            p50, p95 = statistics.median(values), values[int(len(values) * 0.95) - 1]
            print(
                f"  search, {clock}, {args.queries} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                "(target p95 < 50 ms)"
            )


# -- data streaming --------------------------------------------------------------------------------------

_DESCRIPTOR = """apiVersion: v1.0.0
kind: DataProduct
id: bench.events
name: events
version: 1.0.0
status: active
domain: bench
description: {purpose: Generated events for the streaming benchmark.}
inputPorts: [{name: raw, version: 1.0.0, contractId: source.events}]
outputPorts: [{name: events, type: tables, version: 1.0.0, contractId: bench.events.events}]
"""
_COLUMNS = [("id", "integer"), ("kind", "string"), ("amount", "number"), ("at", "timestamp")]


def _contract(contract_id: str, extra: str = "") -> str:
    properties = "".join(f"      - {{name: {n}, logicalType: {t}}}\n" for n, t in _COLUMNS)
    return (
        f"apiVersion: v3.1.0\nkind: DataContract\nid: {contract_id}\nversion: 1.0.0\nstatus: active\n{extra}"
        f"schema:\n  - name: events\n    properties:\n{properties}"
    )


def make_mesh(root, rows: int):
    """A one-product mesh whose port holds ``rows`` generated rows, built; returns a token of its owner."""
    import subprocess
    import sys

    import duckdb

    (root / "sources").mkdir(parents=True)
    (root / "mesh.yaml").write_text("name: bench\nteams:\n  - {name: bench-team, members: [ben]}\n")
    product = root / "domains" / "bench" / "events"
    (product / "contracts").mkdir(parents=True)
    (product / "transforms").mkdir()
    (root / "domains" / "bench" / "domain.yaml").write_text("name: bench\nowner: bench-team\n")
    (product / "product.odps.yaml").write_text(_DESCRIPTOR)
    server = "servers: [{server: local, type: local, path: sources/events.parquet, format: parquet}]\n"
    (product / "contracts" / "source.odcs.yaml").write_text(_contract("source.events", server))
    (product / "contracts" / "events.odcs.yaml").write_text(_contract("bench.events.events"))
    (product / "transforms" / "events.sql").write_text("SELECT * FROM raw")
    duckdb.sql(
        "COPY (SELECT i::BIGINT AS id, ['click','view','buy'][1 + i % 3] AS kind, (i % 1000) / 10.0 AS amount, "
        f"TIMESTAMP '2026-01-01' + to_seconds(i) AS at FROM range({int(rows)}) t(i)) "
        f"TO '{root / 'sources' / 'events.parquet'}' (FORMAT parquet)"
    )
    built = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "build", "--mesh", str(root)], capture_output=True, text=True
    )
    if built.returncode != 0:
        raise SystemExit(built.stdout + built.stderr)
    from quanta.access.session import open_service

    service = open_service(root)
    token = service.create_token("ben").token
    service.request("ben", "bench.events.events", "benchmark")  # the owner team: approved at once
    return token


def stream_benchmark(
    rows: int,
    repeat: int,
    formats: list[str],
    *,
    in_process: bool = False,
    clients: tuple[str, ...] = ("urllib", "httpx"),
) -> None:
    """Rows per second: GET .../data (Arrow IPC over HTTP) against DuckDB reading the Delta table.

    The server is ``quanta serve`` in a process of its own, as deployed; ``in_process=True`` runs uvicorn
    in a thread of the benchmark's process instead (server and client then share one GIL: the set-up of
    the figures measured before 2026-11-21 15:00). Each client reads the whole response as a consumer
    would: ``urllib`` (the standard library's response object, read by pyarrow as a file) and ``httpx``
    (its chunk iterator, fed to pyarrow through a file-like adapter). Both decode into one Arrow table.
    """
    import tempfile
    from pathlib import Path

    import httpx

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "mesh"
        token = make_mesh(root, rows)
        table_path = root / ".quanta" / "tables" / "bench" / "events" / "events"
        direct: list[float] = []
        runs = [(fmt, client) for fmt in formats for client in clients]
        served: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
        first: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
        server = _server_in_thread(root, rows) if in_process else _server_process(root, rows)
        with server as url, httpx.Client(base_url=url, timeout=600) as http:
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(repeat + 1):  # the first round warms caches and is left out
                direct.append(_direct_read(table_path, rows))
                for fmt, client in runs:
                    if client == "urllib":
                        seconds, first_byte = _served_read_urllib(url, headers, fmt, rows)
                    else:
                        seconds, first_byte = _served_read(http, headers, fmt, rows)
                    served[fmt, client].append(seconds)
                    first[fmt, client].append(first_byte)
    where = "uvicorn in a thread of this process" if in_process else "`quanta serve` in its own process"
    median_direct = statistics.median(direct[1:])
    print(
        f"DuckDB reading the Delta table: {rows / median_direct:,.0f} rows/s "
        f"(median {median_direct:.3f} s of {repeat}; best {min(direct[1:]):.3f} s)"
    )
    for fmt, client in runs:
        times = served[fmt, client][1:]
        median = statistics.median(times)
        print(
            f"GET .../data as {fmt} over HTTP from {where}, read with {client}: {rows / median:,.0f} rows/s "
            f"(median {median:.3f} s, best {min(times):.3f} s, first bytes after "
            f"{statistics.median(first[fmt, client][1:]):.3f} s)"
        )
        ratios = sorted(d / s for d, s in zip(direct[1:], times, strict=True))
        print(
            f"served / direct ({fmt}, {client}): {median_direct / median:.0%} of the medians; per round "
            f"{', '.join(f'{r:.0%}' for r in ratios)} (target at least 70%)"
        )


@contextmanager
def _server_process(root, rows: int) -> Iterator[str]:
    """``quanta serve`` on the mesh, on a free loopback port, in a process of its own; yields its URL."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "quanta.cli.app", "serve", "--mesh", str(root), "--port", str(port)]
    environment = {**os.environ, "QUANTA_SERVE_MAX_ROWS": str(rows)}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/v1/openapi.json", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise SystemExit(
                        f"quanta serve did not start: {process.communicate()[1].decode()}"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def _server_in_thread(root, rows: int) -> Iterator[str]:
    """uvicorn serving the mesh in a thread of this process (``tests.api.server.running``); yields its URL."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.api.server
    from quanta.api import ServeSettings, create_app
    from tests.api.server import running

    with running(create_app(ServeSettings(mesh_root=root, max_rows=rows))) as url:
        yield url


def _direct_read(table_path, rows: int) -> float:
    """Seconds for DuckDB to read the whole Delta table into Arrow (deltalake dataset → DuckDB → Arrow)."""
    import duckdb
    from deltalake import DeltaTable

    started = time.perf_counter()
    dataset = DeltaTable(str(table_path)).to_pyarrow_dataset()
    result = duckdb.connect().from_arrow(dataset).arrow()
    result = result.read_all() if hasattr(result, "read_all") else result
    seconds = time.perf_counter() - started
    assert result.num_rows == rows
    return seconds


class _Body(io.RawIOBase):
    """A response body as a binary file read while it arrives (what pyarrow's IPC stream reader reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = memoryview(b"")
        self.started: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            if self.started is None:
                self.started = time.perf_counter()
            self._left = memoryview(chunk)
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def _served_read_urllib(url: str, headers: dict[str, str], fmt: str, rows: int) -> tuple[float, float]:
    """As :func:`_served_read`, with the standard library's client: pyarrow reads the response object
    (which decodes the chunked transfer) as a file. Seconds until the response's headers stand for the
    first bytes."""
    import json
    import urllib.request

    import pyarrow as pa

    request = urllib.request.Request(
        f"{url}/api/v1/products/bench.events/ports/events/data?format={fmt}", headers=headers
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        first = time.perf_counter() - started
        if fmt == "arrow":
            got = pa.ipc.open_stream(response).read_all().num_rows
        else:
            data = response.read()
            got = (
                data.count(b"\n") - 1
                if fmt == "csv"
                else sum(1 for line in data.splitlines() if json.loads(line))
            )
    seconds = time.perf_counter() - started
    assert got == rows, (fmt, got)
    return seconds, first


def _served_read(http, headers: dict[str, str], fmt: str, rows: int) -> tuple[float, float]:
    """Seconds to receive and decode the whole port over HTTP, and seconds until its first bytes.

    An Arrow stream is decoded as it arrives, into one Arrow table (like the direct read's result); CSV
    and NDJSON are collected, then counted.
    """
    import json

    import pyarrow as pa

    path = "/api/v1/products/bench.events/ports/events/data"
    started = time.perf_counter()
    with http.stream("GET", path, params={"format": fmt}, headers=headers) as response:
        response.raise_for_status()
        assert "content-encoding" not in response.headers  # the raw bytes are the body
        body = _Body(response.iter_raw())
        if fmt == "arrow":
            got = pa.ipc.open_stream(io.BufferedReader(body, 1 << 20)).read_all().num_rows
        else:
            data = io.BufferedReader(body, 1 << 20).read()
            if fmt == "csv":
                got = data.count(b"\n") - 1
            else:
                got = sum(1 for line in data.splitlines() if json.loads(line))
    seconds = time.perf_counter() - started
    assert got == rows, (fmt, got)
    return seconds, (body.started or started) - started


if __name__ == "__main__":
    main()

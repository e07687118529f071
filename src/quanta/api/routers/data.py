"""Data: stream a port's rows (``/api/v1/products/{id}/ports/{port}/data``) and run queries (``/api/v1/query``).

Both go only through the access service, which authorizes from the caller's agreements, masks restricted
columns, applies row filters and writes the audit log. Rows are sent as an Arrow IPC stream, CSV or
NDJSON, batch by batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from quanta.api import consumption
from quanta.api.ahead import produced_ahead
from quanta.api.deps import CallerDep, ProductByIdDep, ServicesDep
from quanta.api.services import Conflict
from quanta.api.sunset import lifecycle_headers

router = APIRouter(prefix="/api/v1", tags=["data"])
Format = Literal["arrow", "csv", "ndjson"]
MEDIA = {"arrow": "application/vnd.apache.arrow.stream", "csv": "text/csv", "ndjson": "application/x-ndjson"}


class _Chunks:
    """A write-only file object collecting what the Arrow IPC writer writes, drained after each batch."""

    closed = False

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


#: The end-of-stream marker of the Arrow IPC streaming format (continuation token, zero length).
_IPC_END = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def _has_dictionary(data_type: Any) -> bool:
    """Whether an Arrow type is or contains a dictionary type (those need the IPC writer's bookkeeping)."""
    import pyarrow as pa

    if pa.types.is_dictionary(data_type):
        return True
    return any(_has_dictionary(data_type.field(i).type) for i in range(data_type.num_fields))


def _encode(stream: Any, fmt: Format) -> Iterator[bytes | memoryview]:
    """Encode record batches as they come: an Arrow IPC stream, CSV with one header, or NDJSON.

    The Arrow IPC stream is the schema message, one encapsulated message per record batch (each
    serialised once, into one buffer, and handed to the server without another copy) and the end-of-stream
    marker (Arrow columnar format, "IPC Streaming Format"); schemas with dictionary types go through
    pyarrow's stream writer, which also writes their dictionary batches.
    """
    import pyarrow as pa

    if fmt == "arrow" and not any(_has_dictionary(f.type) for f in stream.schema):
        yield memoryview(stream.schema.serialize())
        for batch in stream:
            yield memoryview(batch.serialize())
        yield _IPC_END
    elif fmt == "arrow":
        chunks = _Chunks()
        writer = pa.ipc.new_stream(pa.PythonFile(chunks, mode="w"), stream.schema)
        yield chunks.drain()
        for batch in stream:
            writer.write_batch(batch)
            yield chunks.drain()
        writer.close()
        yield chunks.drain()
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        header = True
        for batch in stream:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=header))
            header = False
            yield sink.getvalue().to_pybytes()
        if header:  # no rows: the header alone
            sink = pa.BufferOutputStream()
            pacsv.write_csv(stream.schema.empty_table(), sink)
            yield sink.getvalue().to_pybytes()
    else:
        for batch in stream:
            yield "".join(json.dumps(row, default=str) + "\n" for row in batch.to_pylist()).encode()


def _streamed(stream: Any, fmt: Format, done: Callable[[int], None]) -> Iterator[bytes | memoryview]:
    """Encode ``stream`` and call ``done(rows)`` once: after the last batch, before the response ends.

    A client that goes away early closes the generator: the rows sent so far are counted and the
    sandboxes are released.
    """
    counted = False
    try:
        for chunk in _encode(stream, fmt):
            if chunk:
                yield chunk
        counted = True
        done(stream.rows)
    finally:
        stream.close()
        if not counted:
            done(stream.rows)


def stream_response(
    stream: Any, fmt: Format, filename: str, done: Callable[[int], None]
) -> StreamingResponse:
    """A streaming response of an enforced ``QueryStream`` in ``fmt``; ``done(rows)`` records the usage.

    The batches are read and encoded in a thread of their own, one ahead of the one being sent
    (:func:`quanta.api.ahead.produced_ahead`), so DuckDB reads while uvicorn sends. A stream that read
    deprecated ports carries their ``Deprecation``/``Sunset``/``Link`` headers (:mod:`quanta.api.sunset`).
    """
    suffix = {"arrow": "arrows", "csv": "csv", "ndjson": "ndjson"}[fmt]
    return StreamingResponse(
        produced_ahead(_streamed(stream, fmt, done)),
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{suffix}"',
            **lifecycle_headers(stream.facts.deprecations),
        },
    )


@router.get(
    "/products/{product_id}/ports/{port}/data",
    summary="Rows of a port, as the caller may see them",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def get_data(
    product: ProductByIdDep,
    port: str,
    services: ServicesDep,
    caller: CallerDep,
    format: Format = "arrow",
    limit: Annotated[int | None, Query(ge=1, le=100_000_000, description="At most this many rows.")] = None,
) -> StreamingResponse:
    """The latest published rows of the port, masked and filtered by the caller's agreement.

    A deprecated port's rows come with ``Deprecation``, ``Sunset`` and ``Link: rel="successor-version"``
    headers; a retired port is ``410 Gone``.
    """
    if product.port(port) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{product.key} has no output port {port!r}")
    if services.state(product)["paused"]:
        raise Conflict(f"{product.key} is paused by its owners; its data is not served until it is resumed")
    limit = min(limit or services.settings.max_rows, services.settings.max_rows)
    stream = consumption.read_stream(services, caller, f"{product.key}.{port}", limit)
    return stream_response(
        stream,
        format,
        f"{product.key}.{port}",
        lambda rows: services.count_use(product.key, port, caller, "consume", rows),
    )


class QueryRequest(BaseModel):
    """One read-only SQL statement over ports named ``domain.product.port``."""

    sql: str = Field(min_length=1, max_length=100_000, description="DuckDB SQL; only SELECT queries.")
    format: Format = Field("ndjson", description="Result encoding.")
    limit: int | None = Field(None, ge=1, le=100_000_000, description="At most this many rows.")


@router.post(
    "/query",
    summary="Run a query through the enforced path",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def post_query(
    services: ServicesDep, caller: CallerDep, body: Annotated[QueryRequest, Body()]
) -> StreamingResponse:
    """The same guard, authorization, masking and audit as ``quanta query``.

    Reading a deprecated port adds ``Deprecation``/``Sunset``/``Link`` headers; a retired one is ``410``.
    """
    limit = min(body.limit or services.settings.max_rows, services.settings.max_rows)
    stream = consumption.query(services, caller, body.sql, limit)

    def done(rows: int) -> None:
        for name in stream.facts.ports:
            key, port = name.rsplit(".", 1)
            services.count_use(key, port, caller, "query", rows)

    return stream_response(stream, body.format, "query", done)
